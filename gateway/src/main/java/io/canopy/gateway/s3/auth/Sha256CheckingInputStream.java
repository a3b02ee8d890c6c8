package io.canopy.gateway.s3.auth;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Objects;

/**
 * Passes a body through while hashing it, and at its end checks the hash against the signed
 * {@code x-amz-content-sha256}: a mismatch is thrown (XAmzContentSHA256Mismatch) instead of the
 * end-of-stream, so a caller that stops only at -1 never takes a wrong body as complete.
 */
public final class Sha256CheckingInputStream extends InputStream {
  private final InputStream in;
  private final String expectedHex;
  private final long expectedLength;
  private final MessageDigest digest = SigV4.sha256();
  private long count;
  private boolean done;
  private S3AuthException failure;

  /** Checks {@code in} against {@code expectedHex}; its length is not known. */
  public Sha256CheckingInputStream(InputStream in, String expectedHex) {
    this(in, expectedHex, -1);
  }

  /**
   * Checks {@code in} against {@code expectedHex} (64 hex digits, any case); if {@code
   * expectedLength} is not -1, a body ending sooner is IncompleteBody and a longer one is refused.
   */
  public Sha256CheckingInputStream(InputStream in, String expectedHex, long expectedLength) {
    this.in = Objects.requireNonNull(in, "in");
    this.expectedHex = expectedHex.toLowerCase(Locale.ROOT);
    if (!SigV4.isLowerHex(this.expectedHex, 64)) {
      throw new IllegalArgumentException("not a hex SHA-256: " + expectedHex);
    }
    this.expectedLength = expectedLength;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (failure != null) {
      throw failure;
    }
    if (done) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    int n = in.read(b, off, len);
    if (n < 0) {
      finish();
      return -1;
    }
    digest.update(b, off, n);
    count += n;
    if (expectedLength >= 0 && count > expectedLength) {
      throw fail(new S3AuthException(S3AuthException.INVALID_REQUEST,
          "The body is longer than its Content-Length of " + expectedLength + " bytes."));
    }
    return n;
  }

  private void finish() throws S3AuthException {
    if (expectedLength >= 0 && count < expectedLength) {
      throw fail(new S3AuthException(S3AuthException.INCOMPLETE_BODY,
          "You did not provide the number of bytes specified by the Content-Length HTTP header."));
    }
    String actual = SigV4.hex(digest.digest());
    if (!SigV4.signaturesEqual(expectedHex, actual)) {
      throw fail(new S3AuthException(S3AuthException.X_AMZ_CONTENT_SHA256_MISMATCH,
          "The provided 'x-amz-content-sha256' header does not match what was computed.",
          SigV4.details("ClientComputedContentSHA256", expectedHex, "S3ComputedContentSHA256", actual)));
    }
    done = true;
  }

  private S3AuthException fail(S3AuthException e) {
    failure = e;
    return e;
  }

  /** The number of body bytes passed through so far. */
  public long count() {
    return count;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
