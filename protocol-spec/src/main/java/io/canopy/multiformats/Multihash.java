package io.canopy.multiformats;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.bouncycastle.crypto.digests.Blake3Digest;

/**
 * A self-describing hash: {@code varint(code) varint(length) digest}
 * (github.com/multiformats/multihash). Immutable; {@link #digest()} returns a copy.
 */
public final class Multihash {
  /** Identity multihashes inline their data; past this size they stop being a hash of anything. */
  public static final int MAX_IDENTITY_LENGTH = 128;
  /** No supported function has a longer digest; larger claimed lengths are corrupt input. */
  public static final int MAX_DIGEST_LENGTH = 128;

  private final long code;
  private final byte[] digest;

  private Multihash(long code, byte[] digest) {
    this.code = code;
    this.digest = digest;
  }

  public static Multihash of(long code, byte[] digest) {
    if (digest.length > MAX_DIGEST_LENGTH) {
      throw new IllegalArgumentException("multihash digest too long: " + digest.length + " bytes");
    }
    return new Multihash(code, digest.clone());
  }

  /** Hashes {@code data} with {@code function} (sha2-256, sha2-512, blake3 or identity). */
  public static Multihash compute(Multicodec function, byte[] data) {
    return compute(function, data, 0, data.length);
  }

  public static Multihash compute(Multicodec function, byte[] data, int offset, int length) {
    return new Multihash(function.code(), hasher(function).hash(data, offset, length));
  }

  /** Whether {@link #compute} can produce this function. */
  public static boolean isSupported(Multicodec function) {
    return switch (function) {
      case SHA2_256, SHA2_512, BLAKE3, IDENTITY -> true;
      default -> false;
    };
  }

  /** Checks that {@code data} hashes to this multihash; false for functions we cannot compute. */
  public boolean matches(byte[] data) {
    return matches(data, 0, data.length);
  }

  public boolean matches(byte[] data, int offset, int length) {
    Multicodec fn = Multicodec.byCode(code).orElse(null);
    if (fn == null || !isSupported(fn)) {
      return false;
    }
    if (fn == Multicodec.IDENTITY && length != digest.length) {
      return false; // also keeps over-long data from the identity size check, which throws
    }
    return MessageDigest.isEqual(digest, hasher(fn).hash(data, offset, length));
  }

  interface Hasher {
    byte[] hash(byte[] data, int offset, int length);
  }

  private static Hasher hasher(Multicodec function) {
    return switch (function) {
      case SHA2_256 -> jdk("SHA-256");
      case SHA2_512 -> jdk("SHA-512");
      case BLAKE3 -> (data, offset, length) -> {
        Blake3Digest d = new Blake3Digest(256);
        d.update(data, offset, length);
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return out;
      };
      case IDENTITY -> (data, offset, length) -> {
        if (length > MAX_IDENTITY_LENGTH) {
          throw new IllegalArgumentException(
              "identity multihash limited to " + MAX_IDENTITY_LENGTH + " bytes, got " + length);
        }
        return Arrays.copyOfRange(data, offset, offset + length);
      };
      default -> throw new IllegalArgumentException("unsupported hash function: " + function.codecName());
    };
  }

  private static Hasher jdk(String algorithm) {
    return (data, offset, length) -> {
      try {
        MessageDigest md = MessageDigest.getInstance(algorithm);
        md.update(data, offset, length);
        return md.digest();
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(algorithm + " missing from the JDK", e);
      }
    };
  }

  public long code() {
    return code;
  }

  public byte[] digest() {
    return digest.clone();
  }

  public int digestLength() {
    return digest.length;
  }

  public int encodedLength() {
    return Varint.size(code) + Varint.size(digest.length) + digest.length;
  }

  public byte[] toBytes() {
    byte[] out = new byte[encodedLength()];
    writeTo(out, 0);
    return out;
  }

  int writeTo(byte[] out, int offset) {
    offset = Varint.write(code, out, offset);
    offset = Varint.write(digest.length, out, offset);
    System.arraycopy(digest, 0, out, offset, digest.length);
    return offset + digest.length;
  }

  public static Multihash fromBytes(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    Multihash mh = read(in);
    if (in.hasRemaining()) {
      throw new IllegalArgumentException("trailing bytes after multihash");
    }
    return mh;
  }

  /** Reads one multihash from {@code in}, advancing its position. */
  public static Multihash read(ByteBuffer in) {
    long code = Varint.read(in);
    long length = Varint.read(in);
    if (length > MAX_DIGEST_LENGTH) {
      throw new IllegalArgumentException("multihash digest length " + length + " exceeds " + MAX_DIGEST_LENGTH);
    }
    if (in.remaining() < length) {
      throw new IllegalArgumentException("truncated multihash: digest needs " + length + " bytes, " + in.remaining() + " left");
    }
    byte[] digest = new byte[(int) length];
    in.get(digest);
    return new Multihash(code, digest);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Multihash m && m.code == code && Arrays.equals(m.digest, digest);
  }

  @Override
  public int hashCode() {
    return Objects.hash(code, Arrays.hashCode(digest));
  }

  @Override
  public String toString() {
    return Multicodec.describe(code) + ":" + HexFormat.of().formatHex(digest);
  }
}
