package io.canopy.gateway.s3.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Shared checks: an S3 error code thrown, a body read to its end through the verified stream. */
final class AuthAssertions {
  private AuthAssertions() {}

  /** Runs {@code call}, asserts it throws an S3AuthException with {@code code}, returns it. */
  static S3AuthException assertAuthError(String code, ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).as("expected S3 error %s", code).isInstanceOf(S3AuthException.class);
    S3AuthException e = (S3AuthException) thrown;
    assertThat(e.code()).as("S3 error code (message: %s)", e.getMessage()).isEqualTo(code);
    return e;
  }

  /** Reads {@code in} to its end in reads of {@code readSize} bytes (1 = one byte at a time). */
  static byte[] drain(InputStream in, int readSize) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] buf = new byte[readSize];
    while (true) {
      int n = readSize == 1 ? singleRead(in, buf) : in.read(buf, 0, buf.length);
      if (n < 0) {
        return out.toByteArray();
      }
      out.write(buf, 0, n);
    }
  }

  private static int singleRead(InputStream in, byte[] buf) throws IOException {
    int b = in.read();
    if (b < 0) {
      return -1;
    }
    buf[0] = (byte) b;
    return 1;
  }

  /** The request's data, read through {@link AuthResult#verifiedBody} from {@code rawBody}. */
  static byte[] readVerified(AuthResult result, byte[] rawBody) throws IOException {
    return drain(result.verifiedBody(new ByteArrayInputStream(rawBody), rawBody.length), 8192);
  }
}
