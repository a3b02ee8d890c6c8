package io.canopy.identity;

import io.canopy.multiformats.Varint;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * The libp2p {@code PublicKey} / {@code PrivateKey} protobuf message (peer-ids.md §Keys), which
 * both have the same shape:
 *
 * <pre>
 * message PublicKey { required KeyType Type = 1; required bytes Data = 2; }
 * </pre>
 *
 * The spec asks for a deterministic encoding (Type then Data, minimal varints), which {@link
 * #encode} writes. {@link #decode} accepts the fields in any order and skips unknown fields as a
 * protobuf decoder would, but requires both fields.
 */
record KeyMessage(KeyType type, byte[] data) {
  /** Far above any key we accept (an RSA-4096 public key is ~550 bytes); bounds what we parse. */
  static final int MAX_ENCODED_LENGTH = 4096;

  private static final int WIRE_VARINT = 0;
  private static final int WIRE_I64 = 1;
  private static final int WIRE_LEN = 2;
  private static final int WIRE_I32 = 5;

  byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4 + data.length);
    out.writeBytes(Varint.encode((1 << 3) | WIRE_VARINT));
    out.writeBytes(Varint.encode(type.number()));
    out.writeBytes(Varint.encode((2 << 3) | WIRE_LEN));
    out.writeBytes(Varint.encode(data.length));
    out.writeBytes(data);
    return out.toByteArray();
  }

  static KeyMessage decode(byte[] bytes, String what) {
    if (bytes.length > MAX_ENCODED_LENGTH) {
      throw new KeyFormatException(what + " protobuf too long: " + bytes.length + " bytes");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    Long type = null;
    byte[] data = null;
    try {
      while (in.hasRemaining()) {
        long tag = Varint.read(in);
        long field = tag >>> 3;
        int wire = (int) (tag & 7);
        if (field == 1 && wire == WIRE_VARINT) {
          type = Varint.read(in);
        } else if (field == 2 && wire == WIRE_LEN) {
          data = readBytes(in);
        } else {
          skip(in, wire);
        }
      }
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException("malformed " + what + " protobuf: " + e.getMessage(), e);
    }
    if (type == null) {
      throw new KeyFormatException(what + " protobuf has no Type field");
    }
    if (data == null) {
      throw new KeyFormatException(what + " protobuf has no Data field");
    }
    return new KeyMessage(KeyType.byNumber(type), data);
  }

  private static byte[] readBytes(ByteBuffer in) {
    long length = Varint.read(in);
    if (length > in.remaining()) {
      throw new IllegalArgumentException("field of " + length + " bytes, only " + in.remaining() + " left");
    }
    byte[] b = new byte[(int) length];
    in.get(b);
    return b;
  }

  private static void skip(ByteBuffer in, int wire) {
    switch (wire) {
      case WIRE_VARINT -> Varint.read(in);
      case WIRE_I64 -> advance(in, 8);
      case WIRE_LEN -> readBytes(in);
      case WIRE_I32 -> advance(in, 4);
      default -> throw new IllegalArgumentException("unsupported wire type " + wire);
    }
  }

  private static void advance(ByteBuffer in, int n) {
    if (in.remaining() < n) {
      throw new IllegalArgumentException("truncated field");
    }
    in.position(in.position() + n);
  }
}
