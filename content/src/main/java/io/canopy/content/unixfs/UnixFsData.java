package io.canopy.content.unixfs;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The UnixFS {@code Data} protobuf carried in a DAG-PB node's Data field (ipfs/specs UNIXFS.md).
 * Optional fields are null when absent: Kubo writes {@code filesize} even when zero, and a CID
 * depends on whether a field is present, so absence must be kept apart from zero.
 *
 * <p>Fields are encoded in field-number order, blocksizes unpacked, as go-unixfs (proto2) does.
 */
public record UnixFsData(
    UnixFsType type,
    byte[] data,
    Long fileSize,
    List<Long> blockSizes,
    Long hashType,
    Long fanout,
    Integer mode,
    UnixTime mtime) {

  public UnixFsData {
    blockSizes = List.copyOf(blockSizes);
  }

  public static UnixFsData file(byte[] data, long fileSize, List<Long> blockSizes) {
    return new UnixFsData(UnixFsType.FILE, data, fileSize, blockSizes, null, null, null, null);
  }

  public static UnixFsData directory() {
    return new UnixFsData(UnixFsType.DIRECTORY, null, null, List.of(), null, null, null, null);
  }

  public UnixFsData withMetadata(Integer mode, UnixTime mtime) {
    return new UnixFsData(type, data, fileSize, blockSizes, hashType, fanout, mode, mtime);
  }

  /** Data bytes, never null (absent reads as empty). */
  public byte[] dataOrEmpty() {
    return data == null ? new byte[0] : data;
  }

  public byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 + (data == null ? 0 : data.length) + blockSizes.size() * 4);
    varintField(out, 1, type.wire());
    if (data != null && data.length > 0) {
      tag(out, 2, 2);
      varint(out, data.length);
      out.writeBytes(data);
    }
    if (fileSize != null) {
      varintField(out, 3, fileSize);
    }
    for (long size : blockSizes) {
      varintField(out, 4, size);
    }
    if (hashType != null) {
      varintField(out, 5, hashType);
    }
    if (fanout != null) {
      varintField(out, 6, fanout);
    }
    if (mode != null) {
      varintField(out, 7, mode & 0xFFFFFFFFL);
    }
    if (mtime != null) {
      ByteArrayOutputStream t = new ByteArrayOutputStream(16);
      varintField(t, 1, mtime.seconds());
      if (mtime.nanos() != null) {
        tag(t, 2, 5);
        int n = mtime.nanos();
        t.write(n);
        t.write(n >>> 8);
        t.write(n >>> 16);
        t.write(n >>> 24);
      }
      tag(out, 8, 2);
      varint(out, t.size());
      out.writeBytes(t.toByteArray());
    }
    return out.toByteArray();
  }

  public static UnixFsData decode(byte[] bytes) {
    if (bytes == null) {
      throw new UnixFsException("DAG-PB node has no Data field, so it is not UnixFS");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    UnixFsType type = null;
    byte[] data = null;
    Long fileSize = null;
    List<Long> blockSizes = new ArrayList<>();
    Long hashType = null;
    Long fanout = null;
    Integer mode = null;
    UnixTime mtime = null;
    while (in.hasRemaining()) {
      long tag = varint(in);
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      switch (field) {
        case 1 -> type = UnixFsType.fromWire(expectVarint(in, wire, "Type"));
        case 2 -> data = lengthDelimited(in, wire, "Data");
        case 3 -> fileSize = expectVarint(in, wire, "filesize");
        case 4 -> {
          if (wire == 2) { // packed, as some encoders write repeated scalars
            ByteBuffer packed = ByteBuffer.wrap(lengthDelimited(in, wire, "blocksizes"));
            while (packed.hasRemaining()) {
              blockSizes.add(varint(packed));
            }
          } else {
            blockSizes.add(expectVarint(in, wire, "blocksizes"));
          }
        }
        case 5 -> hashType = expectVarint(in, wire, "hashType");
        case 6 -> fanout = expectVarint(in, wire, "fanout");
        case 7 -> mode = (int) expectVarint(in, wire, "mode");
        case 8 -> mtime = decodeTime(lengthDelimited(in, wire, "mtime"));
        default -> skip(in, wire, field);
      }
    }
    if (type == null) {
      throw new UnixFsException("UnixFS Data has no Type");
    }
    return new UnixFsData(type, data, fileSize, blockSizes, hashType, fanout, mode, mtime);
  }

  private static UnixTime decodeTime(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    long seconds = 0;
    Integer nanos = null;
    while (in.hasRemaining()) {
      long tag = varint(in);
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      if (field == 1) {
        seconds = expectVarint(in, wire, "mtime.Seconds");
      } else if (field == 2 && wire == 5) {
        if (in.remaining() < 4) {
          throw new UnixFsException("truncated mtime.FractionalNanoseconds");
        }
        nanos = in.get() & 0xFF | (in.get() & 0xFF) << 8 | (in.get() & 0xFF) << 16 | (in.get() & 0xFF) << 24;
      } else {
        skip(in, wire, field);
      }
    }
    return new UnixTime(seconds, nanos);
  }

  private static void skip(ByteBuffer in, int wire, int field) {
    switch (wire) {
      case 0 -> varint(in);
      case 1 -> advance(in, 8, field);
      case 2 -> lengthDelimited(in, wire, "field " + field);
      case 5 -> advance(in, 4, field);
      default -> throw new UnixFsException("UnixFS field " + field + " has invalid wire type " + wire);
    }
  }

  private static void advance(ByteBuffer in, int n, int field) {
    if (in.remaining() < n) {
      throw new UnixFsException("truncated UnixFS field " + field);
    }
    in.position(in.position() + n);
  }

  private static long expectVarint(ByteBuffer in, int wire, String name) {
    if (wire != 0) {
      throw new UnixFsException("UnixFS " + name + " has wire type " + wire + ", expected varint");
    }
    return varint(in);
  }

  private static byte[] lengthDelimited(ByteBuffer in, int wire, String name) {
    if (wire != 2) {
      throw new UnixFsException("UnixFS " + name + " has wire type " + wire + ", expected bytes");
    }
    long len = varint(in);
    if (len < 0 || len > in.remaining()) {
      throw new UnixFsException("UnixFS " + name + " length " + len + " runs past the end");
    }
    byte[] out = new byte[(int) len];
    in.get(out);
    return out;
  }

  private static long varint(ByteBuffer in) {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!in.hasRemaining()) {
        throw new UnixFsException("truncated varint in UnixFS Data");
      }
      int b = in.get() & 0xFF;
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new UnixFsException("varint too long in UnixFS Data");
  }

  private static void tag(ByteArrayOutputStream out, int field, int wire) {
    out.write((field << 3) | wire);
  }

  private static void varintField(ByteArrayOutputStream out, int field, long value) {
    tag(out, field, 0);
    varint(out, value);
  }

  private static void varint(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UnixFsData u
        && u.type == type
        && Arrays.equals(u.data, data)
        && java.util.Objects.equals(u.fileSize, fileSize)
        && u.blockSizes.equals(blockSizes)
        && java.util.Objects.equals(u.hashType, hashType)
        && java.util.Objects.equals(u.fanout, fanout)
        && java.util.Objects.equals(u.mode, mode)
        && java.util.Objects.equals(u.mtime, mtime);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(type, Arrays.hashCode(data), fileSize, blockSizes, hashType, fanout, mode, mtime);
  }
}
