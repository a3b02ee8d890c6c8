package io.canopy.gateway.s3.auth;

import java.io.InputStream;
import java.util.Objects;

/**
 * A request whose signature checked out: who signed it, and how its body must be read.
 *
 * @param credential the signer's access key (and account)
 * @param mode how the body is protected
 * @param declaredSha256 for {@link PayloadMode#SIGNED_PAYLOAD}, the lower-case hex SHA-256 the
 *     body must have; null otherwise
 * @param streaming for the {@code aws-chunked} modes, what the decoder needs; null otherwise
 */
public record AuthResult(Credential credential, PayloadMode mode, String declaredSha256, StreamingPayload streaming) {
  public AuthResult {
    Objects.requireNonNull(credential, "credential");
    Objects.requireNonNull(mode, "mode");
    if ((mode == PayloadMode.SIGNED_PAYLOAD) != (declaredSha256 != null)) {
      throw new IllegalArgumentException(mode + " with declared SHA-256 " + declaredSha256);
    }
    if (mode.isStreaming() != (streaming != null)) {
      throw new IllegalArgumentException(mode + " with streaming " + streaming);
    }
  }

  /** The result for a body that is not streamed in chunks. */
  public AuthResult(Credential credential, PayloadMode mode, String declaredSha256) {
    this(credential, mode, declaredSha256, null);
  }

  /** The account the request acts for. */
  public String account() {
    return credential.account();
  }

  /** {@link #verifiedBody(InputStream, long)} with the raw length unknown. */
  public InputStream verifiedBody(InputStream raw) {
    return verifiedBody(raw, -1);
  }

  /**
   * The request's data read from its raw body, checked as the mode demands: SHA-256 for a signed
   * payload, chunk signatures, trailing checksum and decoded length for {@code aws-chunked};
   * unchanged for an unsigned payload. Failures are {@link S3AuthException}s thrown from {@code
   * read}; the data is complete and valid only once {@code read} has returned -1.
   *
   * @param rawLength the raw body's Content-Length, to report a short body as IncompleteBody; -1
   *     if unknown. Only used for a signed, non-chunked payload (a chunked body has its own
   *     lengths).
   */
  public InputStream verifiedBody(InputStream raw, long rawLength) {
    return switch (mode) {
      case SIGNED_PAYLOAD -> new Sha256CheckingInputStream(raw, declaredSha256, rawLength);
      case UNSIGNED_PAYLOAD -> raw;
      case STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER -> streaming.decoder(raw);
    };
  }

  /**
   * The length of the object data: {@code x-amz-decoded-content-length} for {@code aws-chunked}
   * bodies, else {@code contentLength} (the raw body's length).
   */
  public long dataLength(long contentLength) {
    return streaming != null ? streaming.decodedContentLength() : contentLength;
  }
}
