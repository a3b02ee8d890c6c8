package io.canopy.gateway.s3.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Authentication or payload verification failed, with the S3 error code to send (see the package
 * documentation for the list) and a message for the client.
 *
 * <p>It is an {@link IOException} because the body streams of this package throw it from {@code
 * read}: it then travels unchanged through any stream code between the decoder and the HTTP layer.
 * {@link #findIn} digs it out of a wrapping exception.
 */
public final class S3AuthException extends IOException {
  private static final long serialVersionUID = 1L;

  public static final String ACCESS_DENIED = "AccessDenied";
  public static final String SIGNATURE_DOES_NOT_MATCH = "SignatureDoesNotMatch";
  public static final String INVALID_ACCESS_KEY_ID = "InvalidAccessKeyId";
  public static final String REQUEST_TIME_TOO_SKEWED = "RequestTimeTooSkewed";
  public static final String AUTHORIZATION_HEADER_MALFORMED = "AuthorizationHeaderMalformed";
  public static final String AUTHORIZATION_QUERY_PARAMETERS_ERROR = "AuthorizationQueryParametersError";
  public static final String INVALID_ARGUMENT = "InvalidArgument";
  public static final String INVALID_REQUEST = "InvalidRequest";
  public static final String MISSING_CONTENT_LENGTH = "MissingContentLength";
  public static final String X_AMZ_CONTENT_SHA256_MISMATCH = "XAmzContentSHA256Mismatch";
  public static final String INCOMPLETE_BODY = "IncompleteBody";
  public static final String INVALID_DIGEST = "InvalidDigest";
  public static final String BAD_DIGEST = "BadDigest";

  private final String code;
  private final Map<String, String> details;

  public S3AuthException(String code, String message) {
    this(code, message, Map.of());
  }

  /**
   * {@code details} are the extra elements S3 puts in such an error body (for example {@code
   * StringToSign} and {@code CanonicalRequest} for SignatureDoesNotMatch, {@code RequestTime} and
   * {@code ServerTime} for RequestTimeTooSkewed), in the map's order.
   */
  public S3AuthException(String code, String message, Map<String, String> details) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
    this.details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
  }

  /** The S3 error code, e.g. {@code SignatureDoesNotMatch}. */
  public String code() {
    return code;
  }

  /** Extra elements for the error body; read-only, possibly empty. */
  public Map<String, String> details() {
    return details;
  }

  /**
   * The S3AuthException that caused {@code failure}, looking through wrapping exceptions (such as
   * an {@link UncheckedIOException} around a body read), or null if there is none.
   */
  public static S3AuthException findIn(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof S3AuthException e) {
        return e;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return "S3AuthException[" + code + "]: " + getMessage();
  }
}
