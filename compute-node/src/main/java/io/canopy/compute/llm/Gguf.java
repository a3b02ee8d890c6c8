package io.canopy.compute.llm;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (ggml docs/gguf.md), versions 2 and 3, little-endian: the metadata key/value pairs,
 * the tensor infos, and memory-mapped access to tensor data. Layout:
 *
 * <pre>
 * u32 magic "GGUF" | u32 version | u64 tensor_count | u64 kv_count
 * kv_count x (string key, u32 value_type, value)
 * tensor_count x (string name, u32 n_dims, u64 ne[n_dims], u32 ggml_type, u64 offset)
 * padding to general.alignment (default 32) | tensor data (offsets relative to here)
 * </pre>
 *
 * Strings are a u64 byte length then UTF-8 bytes; arrays a u32 element type, a u64 count, then the
 * elements. Every length, count and offset is checked against the file before it is used.
 */
public final class Gguf implements Closeable {
  public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
  public static final int DEFAULT_ALIGNMENT = 32;
  static final int MAX_DIMS = 4; // GGML_MAX_DIMS
  /**
   * Deepest nesting of arrays of arrays accepted. Models use flat arrays only; the reader recurses
   * once per level, so without a bound a file of nested array headers overflows the stack.
   */
  static final int MAX_ARRAY_NESTING = 8;

  private final MappedFile file;
  private final int version;
  private final Map<String, Object> metadata;
  private final Map<String, GgufTensorInfo> tensors;
  private final int alignment;
  private final long dataOffset;

  private long pos;

  private Gguf(MappedFile file) throws IOException {
    this.file = file;
    if (file.size() < 4) {
      throw new GgufFormatException("not a GGUF file: " + file.size() + " bytes, too short for the magic");
    }
    int magic = (int) file.le(0, 4, "magic");
    if (magic != MAGIC) {
      throw new GgufFormatException(String.format("not a GGUF file: magic 0x%08x, expected 0x%08x (\"GGUF\")", magic, MAGIC));
    }
    pos = 4;
    int v = (int) u32("version");
    if (v == 1) {
      throw new GgufFormatException("GGUF version 1 is not supported (32-bit counts); convert the model to version 3");
    }
    if (v != 2 && v != 3) {
      if (Integer.reverseBytes(v) == 2 || Integer.reverseBytes(v) == 3) {
        throw new GgufFormatException("big-endian GGUF files are not supported (version field reads "
            + Integer.toHexString(v) + ")");
      }
      throw new GgufFormatException("unsupported GGUF version " + Integer.toUnsignedString(v) + " (supported: 2, 3)");
    }
    this.version = v;
    long tensorCount = u64("tensor count");
    long kvCount = u64("metadata count");
    // Each kv takes at least 8 (key length) + 4 (type) + 1 bytes; each tensor info at least 8+4+4+8.
    if (kvCount < 0 || kvCount > remaining() / 13) {
      throw new GgufFormatException("corrupt header: metadata count " + Long.toUnsignedString(kvCount) + " cannot fit in the file");
    }
    if (tensorCount < 0 || tensorCount > remaining() / 24) {
      throw new GgufFormatException("corrupt header: tensor count " + Long.toUnsignedString(tensorCount) + " cannot fit in the file");
    }
    Map<String, Object> md = new LinkedHashMap<>();
    for (long i = 0; i < kvCount; i++) {
      long at = pos;
      String key = string("metadata key");
      GgufValueType type = GgufValueType.of((int) u32("value type"), pos - 4);
      Object value = value(type, key);
      if (md.putIfAbsent(key, value) != null) {
        throw new GgufFormatException("duplicate metadata key '" + key + "' at offset " + at);
      }
    }
    this.metadata = Collections.unmodifiableMap(md);
    this.alignment = readAlignment(md);

    record Raw(String name, long[] dims, GgmlType type, long offset) {}
    // Grown as infos are read, not sized by the count: a count that fits a huge file is still a
    // claim, and one beyond an int would be a negative size.
    List<Raw> raws = new ArrayList<>((int) Math.min(tensorCount, 1024));
    for (long i = 0; i < tensorCount; i++) {
      String name = string("tensor name");
      long nDims = u32("tensor dimension count");
      if (nDims < 1 || nDims > MAX_DIMS) {
        throw new GgufFormatException("tensor '" + name + "' has " + nDims + " dimensions (1.." + MAX_DIMS + " allowed)");
      }
      long[] dims = new long[(int) nDims];
      for (int d = 0; d < nDims; d++) {
        dims[d] = u64("tensor dimension");
        if (dims[d] < 0) {
          throw new GgufFormatException("tensor '" + name + "' has a negative or huge dimension " + Long.toUnsignedString(dims[d]));
        }
      }
      GgmlType type = GgmlType.of((int) u32("tensor type"), name);
      long offset = u64("tensor offset");
      raws.add(new Raw(name, dims, type, offset));
    }
    this.dataOffset = alignUp(pos, alignment);
    Map<String, GgufTensorInfo> ts = new LinkedHashMap<>();
    for (Raw r : raws) {
      long bytes = tensorBytes(r.name, r.dims, r.type);
      if (r.offset < 0 || r.offset % alignment != 0) {
        throw new GgufFormatException("tensor '" + r.name + "' offset " + Long.toUnsignedString(r.offset)
            + " is not a multiple of the alignment " + alignment);
      }
      long start = dataOffset + r.offset;
      if (start < 0 || start > file.size() || bytes > file.size() - start) {
        throw new GgufFormatException("tensor '" + r.name + "' data [" + start + ", " + (start + bytes)
            + ") lies beyond the end of the file (" + file.size() + " bytes): truncated file?");
      }
      if (ts.putIfAbsent(r.name, new GgufTensorInfo(r.name, r.dims, r.type, start, bytes)) != null) {
        throw new GgufFormatException("duplicate tensor name '" + r.name + "'");
      }
    }
    this.tensors = Collections.unmodifiableMap(ts);
  }

  /** Opens and parses {@code path}; tensor data is mapped on demand. */
  public static Gguf open(Path path) throws IOException {
    MappedFile f = new MappedFile(path);
    try {
      return new Gguf(f);
    } catch (IOException | RuntimeException e) {
      f.close();
      throw e;
    }
  }

  private static int readAlignment(Map<String, Object> md) throws GgufFormatException {
    Object a = md.get("general.alignment");
    if (a == null) {
      return DEFAULT_ALIGNMENT;
    }
    if (!(a instanceof Long l) || l <= 0 || l > (1 << 30) || Long.bitCount(l) != 1) {
      throw new GgufFormatException("general.alignment must be a power of two, got " + a);
    }
    return (int) (long) l;
  }

  private static long tensorBytes(String name, long[] dims, GgmlType type) throws GgufFormatException {
    if (dims[0] % type.blockSize != 0) {
      throw new GgufFormatException("tensor '" + name + "' row length " + dims[0] + " is not a multiple of the "
          + type + " block size " + type.blockSize);
    }
    try {
      long n = Math.multiplyExact(dims[0] / type.blockSize, (long) type.typeSize);
      for (int i = 1; i < dims.length; i++) {
        n = Math.multiplyExact(n, dims[i]);
      }
      return n;
    } catch (ArithmeticException e) {
      throw new GgufFormatException("tensor '" + name + "' size overflows 64 bits");
    }
  }

  private static long alignUp(long p, int alignment) {
    return (p + alignment - 1) / alignment * alignment;
  }

  private long remaining() {
    return file.size() - pos;
  }

  private long u32(String what) throws IOException {
    long v = file.le(pos, 4, what);
    pos += 4;
    return v;
  }

  private long u64(String what) throws IOException {
    long v = file.le(pos, 8, what);
    pos += 8;
    return v;
  }

  private String string(String what) throws IOException {
    long len = u64(what + " length");
    if (len < 0 || len > remaining() || len > Integer.MAX_VALUE - 8) {
      throw new GgufFormatException("corrupt " + what + ": length " + Long.toUnsignedString(len) + " at offset " + (pos - 8)
          + " exceeds the " + remaining() + " bytes left in the file");
    }
    byte[] b = file.bytes(pos, (int) len, what);
    pos += len;
    return new String(b, StandardCharsets.UTF_8);
  }

  private Object value(GgufValueType type, String key) throws IOException {
    return switch (type) {
      case UINT8 -> file.le(advance(1), 1, key);
      case INT8 -> (long) (byte) file.le(advance(1), 1, key);
      case UINT16 -> file.le(advance(2), 2, key);
      case INT16 -> (long) (short) file.le(advance(2), 2, key);
      case UINT32 -> file.le(advance(4), 4, key);
      case INT32 -> (long) (int) file.le(advance(4), 4, key);
      case UINT64, INT64 -> file.le(advance(8), 8, key);
      case FLOAT32 -> Float.intBitsToFloat((int) file.le(advance(4), 4, key));
      case FLOAT64 -> Double.longBitsToDouble(file.le(advance(8), 8, key));
      case BOOL -> {
        int b = (int) file.le(advance(1), 1, key);
        if (b > 1) {
          throw new GgufFormatException("metadata '" + key + "': bool value " + b + " at offset " + (pos - 1));
        }
        yield b == 1;
      }
      case STRING -> string("metadata '" + key + "'");
      case ARRAY -> array(key, 1);
    };
  }

  /** Checks {@code n} bytes are available at the cursor, moves past them, and returns where they start. */
  private long advance(int n) throws GgufFormatException {
    file.require(pos, n, "metadata value");
    long at = pos;
    pos += n;
    return at;
  }

  private GgufArray array(String key, int depth) throws IOException {
    if (depth > MAX_ARRAY_NESTING) {
      throw new GgufFormatException("metadata '" + key + "': arrays nested deeper than " + MAX_ARRAY_NESTING
          + " levels at offset " + pos);
    }
    GgufValueType et = GgufValueType.of((int) u32("array type"), pos - 4);
    long count = u64("array length");
    if (count < 0 || count > remaining() / et.minBytes || count > Integer.MAX_VALUE - 8) {
      throw new GgufFormatException("metadata '" + key + "': array of " + Long.toUnsignedString(count) + " " + et
          + " cannot fit in the " + remaining() + " bytes left at offset " + pos);
    }
    int n = (int) count;
    if (et.isInteger()) {
      long[] a = new long[n];
      for (int i = 0; i < n; i++) {
        a[i] = (Long) value(et, key);
      }
      return new GgufArray(et, a);
    }
    switch (et) {
      case FLOAT32 -> {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
          a[i] = (Float) value(et, key);
        }
        return new GgufArray(et, a);
      }
      case FLOAT64 -> {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
          a[i] = (Double) value(et, key);
        }
        return new GgufArray(et, a);
      }
      case BOOL -> {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) {
          a[i] = (Boolean) value(et, key);
        }
        return new GgufArray(et, a);
      }
      case STRING -> {
        String[] a = new String[n];
        for (int i = 0; i < n; i++) {
          a[i] = string("metadata '" + key + "' element");
        }
        return new GgufArray(et, a);
      }
      default -> {
        GgufArray[] a = new GgufArray[n];
        for (int i = 0; i < n; i++) {
          a[i] = array(key, depth + 1);
        }
        return new GgufArray(et, a);
      }
    }
  }

  public int version() {
    return version;
  }

  public int alignment() {
    return alignment;
  }

  /** File offset of the tensor data section. */
  public long dataOffset() {
    return dataOffset;
  }

  public long fileSize() {
    return file.size();
  }

  public Path path() {
    return file.path();
  }

  /**
   * Metadata values: {@code Long} for every integer type, {@code Float}, {@code Double},
   * {@code Boolean}, {@code String}, or {@link GgufArray}.
   */
  public Map<String, Object> metadata() {
    return metadata;
  }

  public Map<String, GgufTensorInfo> tensors() {
    return tensors;
  }

  public Optional<GgufTensorInfo> tensor(String name) {
    return Optional.ofNullable(tensors.get(name));
  }

  public Optional<String> getString(String key) throws GgufFormatException {
    Object v = metadata.get(key);
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof String s) {
      return Optional.of(s);
    }
    throw wrongType(key, "string", v);
  }

  public long getLong(String key, long defaultValue) throws GgufFormatException {
    Object v = metadata.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Long l) {
      return l;
    }
    throw wrongType(key, "integer", v);
  }

  /** An integer value that must fit in a non-negative {@code int}. */
  public int getInt(String key, int defaultValue) throws GgufFormatException {
    long v = getLong(key, defaultValue);
    if (v < 0 || v > Integer.MAX_VALUE) {
      throw new GgufFormatException("metadata '" + key + "' = " + v + " is out of range");
    }
    return (int) v;
  }

  public double getDouble(String key, double defaultValue) throws GgufFormatException {
    Object v = metadata.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Float f) {
      return f;
    }
    if (v instanceof Double d) {
      return d;
    }
    if (v instanceof Long l) {
      return l;
    }
    throw wrongType(key, "number", v);
  }

  public boolean getBoolean(String key, boolean defaultValue) throws GgufFormatException {
    Object v = metadata.get(key);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw wrongType(key, "bool", v);
  }

  public Optional<GgufArray> getArray(String key) throws GgufFormatException {
    Object v = metadata.get(key);
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof GgufArray a) {
      return Optional.of(a);
    }
    throw wrongType(key, "array", v);
  }

  private static GgufFormatException wrongType(String key, String expected, Object v) {
    String actual = v instanceof GgufArray a ? "array of " + a.elementType() : v.getClass().getSimpleName();
    return new GgufFormatException("metadata '" + key + "' should be a " + expected + " but is a " + actual);
  }

  /**
   * Maps a tensor's data as row-aligned chunks (each below 2 GiB) so that no row straddles two
   * buffers; {@code chunks[i]} holds rows {@code [i * rowsPerChunk, (i + 1) * rowsPerChunk)}.
   */
  TensorData map(GgufTensorInfo t) throws IOException {
    long rows = t.rows();
    long rowBytes = rows == 0 ? 0 : t.byteSize() / rows;
    if (rowBytes > Integer.MAX_VALUE) {
      throw new GgufFormatException("tensor '" + t.name() + "' has rows of " + rowBytes + " bytes, too long to map");
    }
    long rowsPerChunk = rowBytes == 0 ? Math.max(1, rows) : Math.max(1, MappedFile.SEGMENT_BYTES / rowBytes);
    int nChunks = (int) Math.max(1, (rows + rowsPerChunk - 1) / rowsPerChunk);
    ByteBuffer[] chunks = new ByteBuffer[nChunks];
    for (int i = 0; i < nChunks; i++) {
      long firstRow = i * rowsPerChunk;
      long nRows = Math.min(rowsPerChunk, rows - firstRow);
      chunks[i] = file.mapRegion(t.absoluteOffset() + firstRow * rowBytes, (int) (nRows * rowBytes));
    }
    return new TensorData(chunks, (int) rowsPerChunk, (int) rowBytes);
  }

  @Override
  public void close() throws IOException {
    file.close();
  }

  /** Row-aligned little-endian mappings of one tensor. */
  record TensorData(ByteBuffer[] chunks, int rowsPerChunk, int rowBytes) {}
}
