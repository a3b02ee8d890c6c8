package io.canopy.gateway.s3.auth;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * The additional checksums S3 accepts ({@code x-amz-checksum-*}, S3 User Guide "Checking object
 * integrity"): the value on the wire is the base64 of the big-endian checksum or digest bytes.
 */
public enum ChecksumAlgorithm {
  CRC32("x-amz-checksum-crc32", 4),
  CRC32C("x-amz-checksum-crc32c", 4),
  CRC64NVME("x-amz-checksum-crc64nvme", 8),
  SHA1("x-amz-checksum-sha1", 20),
  SHA256("x-amz-checksum-sha256", 32);

  private final String headerName;
  private final int length;

  ChecksumAlgorithm(String headerName, int length) {
    this.headerName = headerName;
    this.length = length;
  }

  /** The header (or trailer) carrying this checksum, lower case, e.g. {@code x-amz-checksum-crc32}. */
  public String headerName() {
    return headerName;
  }

  /** Length of the checksum in bytes (before base64). */
  public int length() {
    return length;
  }

  /** The algorithm whose header is {@code name} (any case), or null. */
  public static ChecksumAlgorithm forHeader(String name) {
    String lower = name.trim().toLowerCase(Locale.ROOT);
    for (ChecksumAlgorithm a : values()) {
      if (a.headerName.equals(lower)) {
        return a;
      }
    }
    return null;
  }

  /** A fresh running checksum of this algorithm. */
  public Accumulator newAccumulator() {
    return switch (this) {
      case CRC32 -> new CrcAccumulator(new CRC32(), 4);
      case CRC32C -> new CrcAccumulator(new CRC32C(), 4);
      case CRC64NVME -> new CrcAccumulator(new Crc64Nvme(), 8);
      case SHA1 -> new DigestAccumulator(() -> digest("SHA-1"));
      case SHA256 -> new DigestAccumulator(SigV4::sha256);
    };
  }

  /** A checksum being computed over a stream of bytes. */
  public interface Accumulator {
    void update(byte[] bytes, int offset, int length);

    /** The checksum of everything so far, big-endian, as S3 base64-encodes it. */
    byte[] result();
  }

  private static MessageDigest digest(String name) {
    try {
      return MessageDigest.getInstance(name);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(name + " is part of every JDK", e);
    }
  }

  private static final class CrcAccumulator implements Accumulator {
    private final Checksum checksum;
    private final int bytes;

    CrcAccumulator(Checksum checksum, int bytes) {
      this.checksum = checksum;
      this.bytes = bytes;
    }

    @Override
    public void update(byte[] data, int offset, int len) {
      checksum.update(data, offset, len);
    }

    @Override
    public byte[] result() {
      byte[] full = ByteBuffer.allocate(8).putLong(checksum.getValue()).array();
      byte[] out = new byte[bytes];
      System.arraycopy(full, 8 - bytes, out, 0, bytes);
      return out;
    }
  }

  private static final class DigestAccumulator implements Accumulator {
    private final MessageDigest digest;

    DigestAccumulator(Supplier<MessageDigest> digest) {
      this.digest = digest.get();
    }

    @Override
    public void update(byte[] data, int offset, int len) {
      digest.update(data, offset, len);
    }

    @Override
    public byte[] result() {
      return ((MessageDigest) cloneOf(digest)).digest();
    }

    private static Object cloneOf(MessageDigest d) {
      try {
        return d.clone();
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException("JDK digests are cloneable", e);
      }
    }
  }
}
