package io.canopy.p2p.multistream;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The wire form of multistream-select 1.0 messages (github.com/multiformats/multistream-select):
 * each message is an unsigned varint length, then that many bytes of UTF-8 text ending in
 * {@code '\n'}. The length counts the newline.
 *
 * <p>Only single-line messages are read and written: protocol ids, {@value #NA} and {@value #LS}.
 * Canopy never lists its protocols, so the multi-line {@code ls} answer is never parsed.
 */
public final class MultistreamMessage {
  /** The protocol id both sides send first (the multistream "header"). */
  public static final String PROTOCOL_ID = "/multistream/1.0.0";
  /** The responder's answer to a protocol it does not support. */
  public static final String NA = "na";
  /** A request to list the responder's protocols; Canopy answers it with {@link #NA}. */
  public static final String LS = "ls";
  /**
   * The largest message length (the varint value, newline included) accepted, as go- and
   * js-multistream do.
   */
  public static final int DEFAULT_MAX_MESSAGE_LENGTH = 1024;

  /** Five varint bytes carry 35 bits, more than any int limit; longer ones are garbage. */
  private static final int MAX_LENGTH_PREFIX_BYTES = 5;

  private MultistreamMessage() {}

  /** The encoded size of {@code message}: varint length, UTF-8 bytes, newline. */
  public static int encodedLength(String message) {
    int n = message.getBytes(StandardCharsets.UTF_8).length + 1;
    return varintSize(n) + n;
  }

  /**
   * Appends {@code message} to {@code out}.
   *
   * @throws IllegalArgumentException if the message is empty, contains a newline, or would be
   *     longer than {@code maxLength}
   */
  public static void write(String message, int maxLength, ByteBuf out) {
    byte[] utf8 = checkedUtf8(message, maxLength);
    int n = utf8.length + 1;
    while ((n & ~0x7F) != 0) {
      out.writeByte((n & 0x7F) | 0x80);
      n >>>= 7;
    }
    out.writeByte(n);
    out.writeBytes(utf8);
    out.writeByte('\n');
  }

  /** Checks that {@code message} can be sent under {@code maxLength}; returns its UTF-8 bytes. */
  static byte[] checkedUtf8(String message, int maxLength) {
    if (message.isEmpty()) {
      throw new IllegalArgumentException("empty multistream message");
    }
    if (message.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("multistream message contains a newline: " + quote(message));
    }
    byte[] utf8 = message.getBytes(StandardCharsets.UTF_8);
    if (utf8.length + 1 > maxLength) {
      throw new IllegalArgumentException(
          "multistream message of " + (utf8.length + 1) + " bytes exceeds the limit of " + maxLength);
    }
    return utf8;
  }

  /**
   * Reads one message from {@code in}, without its newline. Returns null, leaving the reader index
   * where it was, if {@code in} does not yet hold a whole message; otherwise advances past it.
   *
   * @throws MultistreamException if the bytes are not a multistream message (malformed varint,
   *     length 0 or above {@code maxLength}, no trailing newline, invalid UTF-8)
   */
  public static String read(ByteBuf in, int maxLength) throws MultistreamException {
    int start = in.readerIndex();
    int available = in.readableBytes();
    long length = 0;
    int prefix = 0;
    while (true) {
      if (prefix == available) {
        return null; // the varint itself is not complete yet
      }
      if (prefix == MAX_LENGTH_PREFIX_BYTES) {
        throw new MultistreamException("message length varint too long");
      }
      int b = in.getUnsignedByte(start + prefix);
      length |= (long) (b & 0x7F) << (7 * prefix);
      prefix++;
      if (length > maxLength) {
        throw new MultistreamException(
            "message of " + length + " bytes exceeds the limit of " + maxLength);
      }
      if ((b & 0x80) == 0) {
        if (b == 0 && prefix > 1) {
          throw new MultistreamException("message length varint is not minimally encoded");
        }
        break;
      }
    }
    if (length == 0) {
      throw new MultistreamException("empty message (length 0)");
    }
    if (available - prefix < length) {
      return null;
    }
    int bodyStart = start + prefix;
    int bodyLength = (int) length;
    if (in.getByte(bodyStart + bodyLength - 1) != '\n') {
      throw new MultistreamException("message does not end with a newline");
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(nioCopy(in, bodyStart, bodyLength - 1))
              .toString();
    } catch (CharacterCodingException e) {
      throw new MultistreamException("message is not valid UTF-8");
    }
    in.readerIndex(bodyStart + bodyLength);
    return text;
  }

  private static ByteBuffer nioCopy(ByteBuf in, int index, int length) {
    byte[] bytes = new byte[length];
    in.getBytes(index, bytes);
    return ByteBuffer.wrap(bytes);
  }

  private static int varintSize(int n) {
    int size = 1;
    while ((n >>>= 7) != 0) {
      size++;
    }
    return size;
  }

  /** A message quoted for a log line or an error, cut short if long. */
  static String quote(String message) {
    StringBuilder sb = new StringBuilder("'");
    int limit = Math.min(message.length(), 100);
    for (int i = 0; i < limit; i++) {
      char c = message.charAt(i);
      if (c >= 0x20 && c < 0x7f) {
        sb.append(c);
      } else {
        sb.append(String.format("\\u%04x", (int) c));
      }
    }
    if (limit < message.length()) {
      sb.append("...");
    }
    return sb.append('\'').toString();
  }
}
