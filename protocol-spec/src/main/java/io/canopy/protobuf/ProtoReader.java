package io.canopy.protobuf;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Reads protobuf wire format field by field. Every length is checked against what is left, so a
 * hostile message can make it fail (with {@link ProtoException}) but never allocate more than the
 * message's own size. Typical use:
 *
 * <pre>{@code
 * ProtoReader r = new ProtoReader(bytes);
 * while (r.next()) {
 *   switch (r.field()) {
 *     case 1 -> name = r.string();
 *     case 2 -> size = r.varint();
 *     default -> r.skip();
 *   }
 * }
 * }</pre>
 */
public final class ProtoReader {
  private final ByteBuffer in;
  private int field;
  private int wireType;

  public ProtoReader(byte[] message) {
    this.in = ByteBuffer.wrap(message);
  }

  /** Advances to the next field; false at the end of the message. */
  public boolean next() {
    if (!in.hasRemaining()) {
      return false;
    }
    long tag = rawVarint();
    field = (int) (tag >>> 3);
    wireType = (int) (tag & 7);
    if (field <= 0 || tag >>> 3 > Integer.MAX_VALUE) {
      throw new ProtoException("invalid field number " + (tag >>> 3));
    }
    return true;
  }

  /**
   * Decodes a message of which exactly one field must be set (a protobuf {@code oneof} at the top
   * level, as every Canopy protocol message is). {@code body} reads the current field and returns
   * its value, or skips it and returns null if the field is unknown. No body, or two, is refused
   * with {@code error} applied to the reason ({@code what} names the message in it).
   */
  public static <T> T oneof(byte[] message, String what, Function<ProtoReader, T> body,
                            Function<String, ? extends RuntimeException> error) {
    T result = null;
    ProtoReader r = new ProtoReader(message);
    while (r.next()) {
      T m = body.apply(r);
      if (m != null) {
        if (result != null) {
          throw error.apply(what + " has more than one body");
        }
        result = m;
      }
    }
    if (result == null) {
      throw error.apply(what + " has no body");
    }
    return result;
  }

  public int field() {
    return field;
  }

  public int wireType() {
    return wireType;
  }

  public long varint() {
    expect(WireType.VARINT);
    return rawVarint();
  }

  public boolean bool() {
    return varint() != 0;
  }

  public byte[] bytes() {
    expect(WireType.LENGTH_DELIMITED);
    long length = rawVarint();
    if (length < 0 || length > in.remaining()) {
      throw new ProtoException("field " + field + " length " + Long.toUnsignedString(length) + " runs past the end of the message");
    }
    byte[] out = new byte[(int) length];
    in.get(out);
    return out;
  }

  /** A UTF-8 string field; invalid UTF-8 is an error, not a replacement character. */
  public String string() {
    byte[] raw = bytes();
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw))
          .toString();
    } catch (CharacterCodingException e) {
      throw new ProtoException("field " + field + " is not valid UTF-8");
    }
  }

  public int fixed32() {
    expect(WireType.FIXED32);
    need(4);
    return in.get() & 0xFF | (in.get() & 0xFF) << 8 | (in.get() & 0xFF) << 16 | (in.get() & 0xFF) << 24;
  }

  /** Skips the current field, whatever its wire type. */
  public void skip() {
    switch (wireType) {
      case WireType.VARINT -> rawVarint();
      case WireType.FIXED64 -> advance(8);
      case WireType.LENGTH_DELIMITED -> bytes();
      case WireType.FIXED32 -> advance(4);
      default -> throw new ProtoException("field " + field + " has unsupported wire type " + wireType);
    }
  }

  private void expect(int expected) {
    if (wireType != expected) {
      throw new ProtoException("field " + field + " has wire type " + wireType + ", expected " + expected);
    }
  }

  private void advance(int n) {
    need(n);
    in.position(in.position() + n);
  }

  private void need(int n) {
    if (in.remaining() < n) {
      throw new ProtoException("field " + field + " is truncated");
    }
  }

  private long rawVarint() {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!in.hasRemaining()) {
        throw new ProtoException("truncated varint");
      }
      int b = in.get() & 0xFF;
      value |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new ProtoException("varint longer than 10 bytes");
  }
}
