package io.canopy.gateway.s3.auth;

/**
 * How a verified request's body must be read, from its {@code x-amz-content-sha256} value (S3 API
 * Reference, "Signature Calculations for the Authorization Header" and "Chunked Upload").
 */
public enum PayloadMode {
  /** A hex SHA-256 of the body was signed: the body must hash to it ({@link Sha256CheckingInputStream}). */
  SIGNED_PAYLOAD(null),
  /** {@code UNSIGNED-PAYLOAD}: the body is read as is (presigned URLs, or clients over TLS). */
  UNSIGNED_PAYLOAD("UNSIGNED-PAYLOAD"),
  /** {@code aws-chunked}, every chunk signed, chained from the request's (seed) signature. */
  STREAMING_SIGNED("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
  /** {@code aws-chunked}, every chunk and the trailing headers signed. */
  STREAMING_SIGNED_TRAILER("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"),
  /** {@code aws-chunked}, chunks not signed, a trailing checksum protects the data. */
  STREAMING_UNSIGNED_TRAILER("STREAMING-UNSIGNED-PAYLOAD-TRAILER");

  private final String headerValue;

  PayloadMode(String headerValue) {
    this.headerValue = headerValue;
  }

  /** The literal {@code x-amz-content-sha256} value; null for {@link #SIGNED_PAYLOAD} (a hash). */
  public String headerValue() {
    return headerValue;
  }

  /** True for the {@code aws-chunked} modes, whose body {@link StreamingPayloadDecoder} decodes. */
  public boolean isStreaming() {
    return this == STREAMING_SIGNED || this == STREAMING_SIGNED_TRAILER || this == STREAMING_UNSIGNED_TRAILER;
  }

  /** True when every chunk carries a signature. */
  public boolean hasChunkSignatures() {
    return this == STREAMING_SIGNED || this == STREAMING_SIGNED_TRAILER;
  }

  /** True when trailing headers follow the final chunk. */
  public boolean hasTrailer() {
    return this == STREAMING_SIGNED_TRAILER || this == STREAMING_UNSIGNED_TRAILER;
  }

  /** The mode whose literal header value is {@code value}, or null (a hash or an unknown value). */
  static PayloadMode ofLiteral(String value) {
    for (PayloadMode mode : values()) {
      if (mode.headerValue != null && mode.headerValue.equals(value)) {
        return mode;
      }
    }
    return null;
  }
}
