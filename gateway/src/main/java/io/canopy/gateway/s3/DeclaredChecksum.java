package io.canopy.gateway.s3;

import io.canopy.gateway.s3.auth.ChecksumAlgorithm;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Objects;
import java.util.function.Function;

/**
 * A checksum a client declared in an {@code x-amz-checksum-*} request header of PutObject or
 * UploadPart (S3 User Guide, "Checking object integrity"), computed over the body as it is read
 * and compared at its end: a mismatch is {@link S3Error#BadDigest}, as S3 answers it. The AWS SDKs
 * send one by default with every PutObject whose body they can read twice (the JavaScript v3 SDK
 * sends {@code x-amz-checksum-crc32} with a Buffer body); the AWS CLI sends one on request
 * ({@code --checksum-crc32}). A checksum in an {@code aws-chunked} trailer is checked by the
 * payload decoder instead.
 */
final class DeclaredChecksum {
  private final ChecksumAlgorithm algorithm;
  private final String value;
  private final byte[] expected;
  private ChecksumAlgorithm.Accumulator accumulator;

  private DeclaredChecksum(ChecksumAlgorithm algorithm, String value, byte[] expected) {
    this.algorithm = algorithm;
    this.value = value;
    this.expected = expected;
  }

  /**
   * The checksum declared in the headers {@code header} looks up (by lower-case name; null when
   * absent), or null if none is. Two of them, or one whose value is not the base64 of a checksum
   * of its algorithm's length, are InvalidRequest, as in S3.
   */
  static DeclaredChecksum of(Function<String, String> header) {
    DeclaredChecksum found = null;
    for (ChecksumAlgorithm algorithm : ChecksumAlgorithm.values()) {
      String value = header.apply(algorithm.headerName());
      if (value == null) {
        continue;
      }
      if (found != null) {
        throw new S3Exception(S3Error.InvalidRequest,
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
      }
      byte[] expected = null;
      try {
        expected = Base64.getDecoder().decode(value.trim());
      } catch (IllegalArgumentException e) {
        // reported below
      }
      if (expected == null || expected.length != algorithm.length()) {
        throw new S3Exception(S3Error.InvalidRequest, "Value for " + algorithm.headerName() + " header is invalid.");
      }
      found = new DeclaredChecksum(algorithm, value.trim(), expected);
    }
    return found;
  }

  /** {@code body}, with every byte read through it counted into this checksum; call once. */
  InputStream watch(InputStream body) {
    if (accumulator != null) {
      throw new IllegalStateException("already watching a body");
    }
    ChecksumAlgorithm.Accumulator sum = algorithm.newAccumulator();
    accumulator = sum;
    return new FilterInputStream(Objects.requireNonNull(body, "body")) {
      @Override
      public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
          sum.update(new byte[] {(byte) b}, 0, 1);
        }
        return b;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = in.read(buffer, offset, length);
        if (n > 0) {
          sum.update(buffer, offset, n);
        }
        return n;
      }

      @Override
      public long skip(long n) throws IOException {
        // Skipped bytes must be counted too: read them.
        return Math.max(0, read(new byte[(int) Math.min(n, 8192)]));
      }

      @Override
      public boolean markSupported() {
        return false;
      }
    };
  }

  /** Checks the bytes read through {@link #watch} (all of the body) against the declared value. */
  void verify() {
    if (accumulator == null) {
      throw new IllegalStateException("no body was watched");
    }
    if (!MessageDigest.isEqual(expected, accumulator.result())) {
      throw new S3Exception(S3Error.BadDigest,
          "The " + algorithm.name() + " you specified did not match the calculated checksum.");
    }
  }

  /** The header it came in, which S3 echoes in the response, e.g. {@code x-amz-checksum-crc32}. */
  String headerName() {
    return algorithm.headerName();
  }

  /** The declared (and, after {@link #verify}, checked) value, base64. */
  String value() {
    return value;
  }
}
