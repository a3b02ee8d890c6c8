package io.canopy.content.car;

import io.canopy.multiformats.Cid;
import io.canopy.multiformats.InvalidCidException;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Just enough DAG-CBOR (ipld.io/specs/codecs/dag-cbor) for the CAR header. Writing is canonical:
 * shortest-form lengths, map keys sorted by length then bytes, so "roots" comes before "version",
 * and links as tag 42 over a byte string holding 0x00 (the identity multibase prefix) and the
 * binary CID. Reading accepts any definite-length CBOR map and skips keys it does not know.
 */
final class CarHeaderCbor {
  // RFC 8949 §3.1 major types
  private static final int UNSIGNED = 0;
  private static final int NEGATIVE = 1;
  private static final int BYTES = 2;
  private static final int TEXT = 3;
  private static final int ARRAY = 4;
  private static final int MAP = 5;
  private static final int TAG = 6;
  private static final int SIMPLE_OR_FLOAT = 7;
  /** The CBOR tag IPLD registered for CIDs. */
  private static final int CID_TAG = 42;
  /** Headers nest two levels (map, roots array); anything deeper is junk we need not recurse into. */
  private static final int MAX_DEPTH = 16;

  private CarHeaderCbor() {}

  static byte[] encode(List<Cid> roots) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 + roots.size() * 40);
    writeHead(out, MAP, 2);
    writeText(out, "roots");
    writeHead(out, ARRAY, roots.size());
    for (Cid root : roots) {
      byte[] cid = root.toBytes();
      writeHead(out, TAG, CID_TAG);
      writeHead(out, BYTES, cid.length + 1);
      out.write(0x00);
      out.writeBytes(cid);
    }
    writeText(out, "version");
    writeHead(out, UNSIGNED, CarHeader.VERSION);
    return out.toByteArray();
  }

  private static void writeText(ByteArrayOutputStream out, String text) {
    byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
    writeHead(out, TEXT, utf8.length);
    out.writeBytes(utf8);
  }

  /** A major type and its argument in the shortest form, as DAG-CBOR requires. */
  private static void writeHead(ByteArrayOutputStream out, int major, long value) {
    int type = major << 5;
    if (value < 24) {
      out.write(type | (int) value);
    } else if (value < 0x100) {
      out.write(type | 24);
      out.write((int) value);
    } else if (value < 0x10000) {
      out.write(type | 25);
      writeBigEndian(out, value, 2);
    } else if (value < 0x1_0000_0000L) {
      out.write(type | 26);
      writeBigEndian(out, value, 4);
    } else {
      out.write(type | 27);
      writeBigEndian(out, value, 8);
    }
  }

  private static void writeBigEndian(ByteArrayOutputStream out, long value, int bytes) {
    for (int i = bytes - 1; i >= 0; i--) {
      out.write((int) (value >>> (8 * i)));
    }
  }

  static CarHeader decode(byte[] cbor) throws CarFormatException {
    ByteBuffer in = ByteBuffer.wrap(cbor);
    try {
      long entries = expect(in, MAP, "the header");
      Long version = null;
      List<Cid> roots = null;
      for (long i = 0; i < entries; i++) {
        String key = readText(in);
        switch (key) {
          case "version" -> {
            if (version != null) {
              throw bad("\"version\" appears twice");
            }
            version = expect(in, UNSIGNED, "\"version\"");
          }
          case "roots" -> {
            if (roots != null) {
              throw bad("\"roots\" appears twice");
            }
            roots = readRoots(in);
          }
          default -> skip(in, 0);
        }
      }
      if (in.hasRemaining()) {
        throw bad(in.remaining() + " bytes after the header map");
      }
      if (version == null) {
        throw bad("no \"version\"");
      }
      if (version != CarHeader.VERSION) {
        throw new CarFormatException("unsupported CAR version " + version + ": Canopy reads CARv1 only"
            + (version == 2 ? " (this is a CARv2 file)" : ""));
      }
      if (roots == null) {
        throw bad("no \"roots\"");
      }
      return new CarHeader(roots);
    } catch (BufferUnderflowException e) {
      throw bad("the header ends in the middle of a value");
    }
  }

  private static List<Cid> readRoots(ByteBuffer in) throws CarFormatException {
    long count = expect(in, ARRAY, "\"roots\"");
    if (count > in.remaining()) {
      throw bad("\"roots\" claims " + count + " entries, more than the header holds");
    }
    List<Cid> roots = new ArrayList<>((int) count);
    for (long i = 0; i < count; i++) {
      long tag = expect(in, TAG, "root " + i);
      if (tag != CID_TAG) {
        throw bad("root " + i + " has CBOR tag " + tag + ", expected 42 (CID)");
      }
      byte[] bytes = readBytes(in, expect(in, BYTES, "root " + i));
      if (bytes.length < 2 || bytes[0] != 0x00) {
        throw bad("root " + i + " is not a CID link (no 0x00 prefix)");
      }
      try {
        roots.add(Cid.fromBytes(Arrays.copyOfRange(bytes, 1, bytes.length)));
      } catch (InvalidCidException e) {
        throw bad("root " + i + " is not a valid CID: " + e.getMessage());
      }
    }
    return roots;
  }

  private static String readText(ByteBuffer in) throws CarFormatException {
    byte[] utf8 = readBytes(in, expect(in, TEXT, "a map key"));
    return new String(utf8, StandardCharsets.UTF_8);
  }

  private static byte[] readBytes(ByteBuffer in, long length) throws CarFormatException {
    if (length > in.remaining()) {
      throw bad("a string of " + length + " bytes runs past the end of the header");
    }
    byte[] out = new byte[(int) length];
    in.get(out);
    return out;
  }

  /** Reads a head of the given major type and returns its argument. */
  private static long expect(ByteBuffer in, int major, String what) throws CarFormatException {
    int initial = in.get() & 0xFF;
    if (initial >>> 5 != major) {
      throw bad(what + " has CBOR major type " + (initial >>> 5) + ", expected " + major);
    }
    return argument(in, initial);
  }

  private static long argument(ByteBuffer in, int initial) throws CarFormatException {
    int info = initial & 31;
    if (info < 24) {
      return info;
    }
    long value = switch (info) {
      case 24 -> in.get() & 0xFFL;
      case 25 -> in.getShort() & 0xFFFFL;
      case 26 -> in.getInt() & 0xFFFF_FFFFL;
      case 27 -> in.getLong();
      default -> throw bad("indefinite-length or reserved CBOR item (additional info " + info + ")");
    };
    if (value < 0) {
      throw bad("CBOR length or integer beyond 2^63");
    }
    return value;
  }

  /** Skips one value of a key we do not know, with nesting bounded. */
  private static void skip(ByteBuffer in, int depth) throws CarFormatException {
    if (depth > MAX_DEPTH) {
      throw bad("values nested deeper than " + MAX_DEPTH);
    }
    int initial = in.get() & 0xFF;
    int major = initial >>> 5;
    if (major == SIMPLE_OR_FLOAT) {
      int info = initial & 31;
      int payload = switch (info) {
        case 24 -> 1;
        case 25 -> 2;
        case 26 -> 4;
        case 27 -> 8;
        default -> {
          if (info > 27) {
            throw bad("indefinite-length or reserved CBOR item (additional info " + info + ")");
          }
          yield 0;
        }
      };
      readBytes(in, payload);
      return;
    }
    long arg = argument(in, initial);
    switch (major) {
      case UNSIGNED, NEGATIVE -> { }
      case BYTES, TEXT -> readBytes(in, arg);
      case ARRAY, MAP -> {
        // every item takes at least one byte: a count larger than what is left is a lie
        long items = major == MAP ? arg * 2 : arg;
        if (arg > in.remaining() || items > in.remaining()) {
          throw bad("a CBOR " + (major == MAP ? "map" : "array") + " claims " + arg + " entries, more than the header holds");
        }
        for (long i = 0; i < items; i++) {
          skip(in, depth + 1);
        }
      }
      case TAG -> skip(in, depth + 1);
      default -> throw new IllegalStateException("CBOR major type " + major);
    }
  }

  private static CarFormatException bad(String why) {
    return new CarFormatException("bad CAR header: " + why);
  }
}
