package io.canopy.compute.llm;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Writes small GGUF files byte by byte for the reader tests (including deliberately broken ones). */
final class GgufTestWriter {
  private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
  private final List<Object[]> tensors = new ArrayList<>(); // name, dims, type id, data
  private int kvCount;
  int version = 3;
  int magic = Gguf.MAGIC;
  int alignment = 32;

  GgufTestWriter kv(String key, GgufValueType type, Object value) {
    str(kv, key);
    u32(kv, type.id);
    value(kv, type, value);
    kvCount++;
    return this;
  }

  GgufTestWriter array(String key, GgufValueType elementType, List<?> values) {
    str(kv, key);
    u32(kv, GgufValueType.ARRAY.id);
    u32(kv, elementType.id);
    u64(kv, values.size());
    for (Object v : values) {
      value(kv, elementType, v);
    }
    kvCount++;
    return this;
  }

  /** Raw bytes appended to the metadata section (counted as one kv pair). */
  GgufTestWriter rawKv(byte[] bytes) {
    kv.writeBytes(bytes);
    kvCount++;
    return this;
  }

  GgufTestWriter tensor(String name, long[] dims, int typeId, byte[] data) {
    tensors.add(new Object[] {name, dims, typeId, data});
    return this;
  }

  GgufTestWriter f32Tensor(String name, int cols, int rows, float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return tensor(name, rows == 1 ? new long[] {cols} : new long[] {cols, rows}, GgmlType.F32.id, b.array());
  }

  byte[] bytes() {
    return bytes(null);
  }

  /** With {@code offsetOverride} non-null, the first tensor's offset field is replaced by it. */
  byte[] bytes(Long offsetOverride) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    u32(out, magic);
    u32(out, version);
    u64(out, tensors.size());
    u64(out, kvCount);
    out.writeBytes(kv.toByteArray());
    long offset = 0;
    List<Long> offsets = new ArrayList<>();
    for (Object[] t : tensors) {
      str(out, (String) t[0]);
      long[] dims = (long[]) t[1];
      u32(out, dims.length);
      for (long d : dims) {
        u64(out, d);
      }
      u32(out, (Integer) t[2]);
      long off = offsets.isEmpty() && offsetOverride != null ? offsetOverride : offset;
      u64(out, off);
      offsets.add(offset);
      offset += align(((byte[]) t[3]).length);
    }
    while (out.size() % alignment != 0) {
      out.write(0);
    }
    for (Object[] t : tensors) {
      byte[] d = (byte[]) t[3];
      out.writeBytes(d);
      for (long i = d.length; i < align(d.length); i++) {
        out.write(0);
      }
    }
    return out.toByteArray();
  }

  private long align(long n) {
    return (n + alignment - 1) / alignment * alignment;
  }

  static void value(ByteArrayOutputStream o, GgufValueType type, Object v) {
    switch (type) {
      case UINT8, INT8 -> o.write(((Number) v).intValue());
      case UINT16, INT16 -> {
        int x = ((Number) v).intValue();
        o.write(x);
        o.write(x >> 8);
      }
      case UINT32, INT32 -> u32(o, ((Number) v).intValue());
      case UINT64, INT64 -> u64(o, ((Number) v).longValue());
      case FLOAT32 -> u32(o, Float.floatToRawIntBits(((Number) v).floatValue()));
      case FLOAT64 -> u64(o, Double.doubleToRawLongBits(((Number) v).doubleValue()));
      case BOOL -> o.write((Boolean) v ? 1 : 0);
      case STRING -> str(o, (String) v);
      default -> throw new IllegalArgumentException(type.toString());
    }
  }

  static void u32(ByteArrayOutputStream o, int v) {
    for (int i = 0; i < 4; i++) {
      o.write(v >>> (8 * i));
    }
  }

  static void u64(ByteArrayOutputStream o, long v) {
    for (int i = 0; i < 8; i++) {
      o.write((int) (v >>> (8 * i)));
    }
  }

  static void str(ByteArrayOutputStream o, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    u64(o, b.length);
    o.writeBytes(b);
  }
}
