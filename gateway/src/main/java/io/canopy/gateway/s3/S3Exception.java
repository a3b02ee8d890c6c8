package io.canopy.gateway.s3;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An S3 request failed with one entry of the error table. Everything below the HTTP layer throws
 * this (or a code string mapped through {@link S3Error#fromCode}); the HTTP layer sends {@link
 * #httpStatus()} with {@link #toXml} as the body (none for {@link S3Error#NotModified}).
 */
public final class S3Exception extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final S3Error error;
  private final Map<String, String> details;

  /** The error with its default message. */
  public S3Exception(S3Error error) {
    this(error, null);
  }

  /** The error with a message for the client; null means the table's default message. */
  public S3Exception(S3Error error, String message) {
    this(error, message, Map.of());
  }

  /**
   * The error with extra elements S3 puts in some error bodies after {@code <Message>} (e.g.
   * {@code BucketName} for NoSuchBucket, {@code Key} for NoSuchKey, {@code ActualObjectSize} for
   * InvalidRange), rendered in the map's iteration order.
   */
  public S3Exception(S3Error error, String message, Map<String, String> details) {
    super(message == null ? Objects.requireNonNull(error, "error").defaultMessage() : message);
    this.error = Objects.requireNonNull(error, "error");
    this.details = new LinkedHashMap<>(details);
  }

  public S3Error error() {
    return error;
  }

  public int httpStatus() {
    return error.httpStatus();
  }

  /** The extra elements of the error body (read-only view). */
  public Map<String, String> details() {
    return java.util.Collections.unmodifiableMap(details);
  }

  /**
   * The S3 REST error body: {@code <Error><Code/><Message/>…<Resource/><RequestId/></Error>}.
   * {@code resource} (the bucket or object path, e.g. {@code /bucket/key}) and {@code requestId}
   * are left out when null.
   */
  public String toXml(String resource, String requestId) {
    XmlWriter xml = new XmlWriter().start("Error");
    xml.element("Code", error.code()).element("Message", getMessage());
    details.forEach(xml::element);
    xml.optional("Resource", resource).optional("RequestId", requestId);
    return xml.end().toString();
  }

  @Override
  public String toString() {
    return "S3Exception[" + error.code() + " " + error.httpStatus() + ": " + getMessage() + "]";
  }
}
