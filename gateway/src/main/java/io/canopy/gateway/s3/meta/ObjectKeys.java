package io.canopy.gateway.s3.meta;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Object keys as S3 sees them: up to 1024 bytes of UTF-8, ordered by those bytes. The database
 * stores and compares keys as bytes (BLOB/bytea), never as text, so SQLite and PostgreSQL (whatever
 * its collation) list in the same order S3 does.
 */
public final class ObjectKeys {
  public static final int MAX_KEY_BYTES = 1024;

  private ObjectKeys() {}

  /** The key's UTF-8 bytes; {@code InvalidArgument} for text that is not valid Unicode. */
  static byte[] utf8(String text) throws S3MetadataException {
    try {
      ByteBuffer buf = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(text));
      return Arrays.copyOfRange(buf.array(), buf.position(), buf.limit());
    } catch (CharacterCodingException e) {
      throw new S3MetadataException(S3MetadataException.INVALID_ARGUMENT, "not valid UTF-8 text (lone surrogate)");
    }
  }

  /** A key's bytes after checking it: not empty, valid Unicode, at most 1024 bytes of UTF-8. */
  static byte[] check(String key) throws S3MetadataException {
    if (key == null || key.isEmpty()) {
      throw new S3MetadataException(S3MetadataException.INVALID_ARGUMENT, "an object key has at least one character");
    }
    byte[] bytes = utf8(key);
    if (bytes.length > MAX_KEY_BYTES) {
      throw new S3MetadataException(S3MetadataException.KEY_TOO_LONG,
          "an object key is at most " + MAX_KEY_BYTES + " bytes of UTF-8; this one is " + bytes.length);
    }
    return bytes;
  }

  static String text(byte[] key) {
    return new String(key, StandardCharsets.UTF_8);
  }

  static boolean startsWith(byte[] value, byte[] prefix) {
    return value.length >= prefix.length && Arrays.equals(value, 0, prefix.length, prefix, 0, prefix.length);
  }

  static int compare(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  /**
   * The least byte string greater than every string starting with {@code prefix}, or null if
   * there is none (empty prefix, or all 0xff, which UTF-8 never produces).
   */
  static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xff) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return null;
  }

  /** The index of {@code needle} in {@code haystack} at or after {@code from}, or -1. */
  static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
