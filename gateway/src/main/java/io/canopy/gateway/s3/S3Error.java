package io.canopy.gateway.s3;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The S3 error table: every S3 error code the gateway sends, with its HTTP status and default
 * message, in one place (the model is Garage's {@code src/api/s3/error.rs}). The constant's name
 * is the wire code, exactly as the S3 API reference spells it ("Error responses — List of error
 * codes"), so {@link #code()} is {@link #name()}.
 *
 * <p>Layers that only know a code string (the metadata store, the auth layer) map it through
 * {@link #fromCode(String)}; anything unknown becomes {@link #InternalError} at the HTTP layer.
 */
public enum S3Error {
  // ---- 3xx ----------------------------------------------------------------------------------
  /** Conditional GET/HEAD: a 304 carries no body at all. */
  NotModified(304, "Not Modified"),

  // ---- 400 ----------------------------------------------------------------------------------
  AuthorizationHeaderMalformed(400, "The authorization header that you provided is not valid."),
  AuthorizationQueryParametersError(400,
      "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature,"
          + " X-Amz-Date, X-Amz-SignedHeaders and X-Amz-Expires parameters."),
  BadDigest(400, "The Content-MD5 or checksum value that you specified did not match what the server received."),
  EntityTooSmall(400, "Your proposed upload is smaller than the minimum allowed object size."),
  EntityTooLarge(400, "Your proposed upload exceeds the maximum allowed object size."),
  ExpiredToken(400, "The provided token has expired."),
  IllegalLocationConstraintException(400, "The specified location-constraint is not valid."),
  IncompleteBody(400, "You did not provide the number of bytes specified by the Content-Length HTTP header."),
  InvalidArgument(400, "Invalid Argument"),
  InvalidBucketName(400, "The specified bucket is not valid."),
  InvalidDigest(400, "The Content-MD5 or checksum value that you specified is not valid."),
  InvalidPart(400,
      "One or more of the specified parts could not be found. The part might not have been uploaded,"
          + " or the specified entity tag might not have matched the part's entity tag."),
  InvalidPartOrder(400, "The list of parts was not in ascending order. The parts list must be specified in order by part number."),
  InvalidRequest(400, "Invalid Request"),
  InvalidStorageClass(400, "The storage class you specified is not valid."),
  InvalidURI(400, "Couldn't parse the specified URI."),
  KeyTooLongError(400, "Your key is too long."),
  MalformedXML(400,
      "The XML you provided was not well-formed or did not validate against our published schema."),
  MetadataTooLarge(400, "Your metadata headers exceed the maximum allowed metadata size."),
  MissingRequestBodyError(400, "Request body is empty."),
  MissingSecurityHeader(400, "Your request is missing a required header."),
  RequestHeaderSectionTooLarge(400, "Your request header section exceeds the maximum allowed size."),
  RequestTimeout(400, "Your socket connection to the server was not read from or written to within the timeout period."),
  TooManyBuckets(400, "You have attempted to create more buckets than allowed."),
  UnexpectedContent(400, "This request does not support content."),
  XAmzContentSHA256Mismatch(400, "The provided 'x-amz-content-sha256' header does not match what was computed."),

  // ---- 403 ----------------------------------------------------------------------------------
  AccessDenied(403, "Access Denied"),
  InvalidAccessKeyId(403, "The AWS access key ID you provided does not exist in our records."),
  RequestTimeTooSkewed(403, "The difference between the request time and the server's time is too large."),
  SignatureDoesNotMatch(403,
      "The request signature we calculated does not match the signature you provided."
          + " Check your key and signing method."),

  // ---- 404 ----------------------------------------------------------------------------------
  NoSuchBucket(404, "The specified bucket does not exist"),
  NoSuchKey(404, "The specified key does not exist."),
  NoSuchUpload(404,
      "The specified multipart upload does not exist. The upload ID might not be valid,"
          + " or the multipart upload might have been aborted or completed."),

  // ---- 405, 409, 411, 412, 416 --------------------------------------------------------------
  MethodNotAllowed(405, "The specified method is not allowed against this resource."),
  BucketAlreadyExists(409,
      "The requested bucket name is not available. The bucket namespace is shared by all users"
          + " of the system. Please select a different name and try again."),
  BucketAlreadyOwnedByYou(409,
      "Your previous request to create the named bucket succeeded and you already own it."),
  BucketNotEmpty(409, "The bucket you tried to delete is not empty"),
  OperationAborted(409, "A conflicting conditional operation is currently in progress against this resource. Try again."),
  MissingContentLength(411, "You must provide the Content-Length HTTP header."),
  PreconditionFailed(412, "At least one of the preconditions you specified did not hold"),
  InvalidRange(416, "The requested range is not satisfiable"),
  /** GET/HEAD with a {@code partNumber} above the object's part count. */
  InvalidPartNumber(416, "The requested partnumber is not satisfiable"),

  // ---- 5xx ----------------------------------------------------------------------------------
  InternalError(500, "We encountered an internal error. Please try again."),
  NotImplemented(501, "A header or query you provided implies functionality that is not implemented."),
  ServiceUnavailable(503, "Service is unable to handle request."),
  SlowDown(503, "Please reduce your request rate.");

  private static final Map<String, S3Error> BY_CODE =
      Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(S3Error::code, Function.identity()));

  private final int httpStatus;
  private final String defaultMessage;

  S3Error(int httpStatus, String defaultMessage) {
    this.httpStatus = httpStatus;
    this.defaultMessage = defaultMessage;
  }

  /** The wire code, e.g. {@code NoSuchKey}: the {@code <Code>} of the error body. */
  public String code() {
    return name();
  }

  /** The HTTP status this error is sent with. */
  public int httpStatus() {
    return httpStatus;
  }

  /** The message used when the thrower gives none. */
  public String defaultMessage() {
    return defaultMessage;
  }

  /** False for 304 Not Modified, which HTTP forbids to carry a body; true for every other error. */
  public boolean hasBody() {
    return httpStatus != 304;
  }

  /** The entry for a wire code (exact, case-sensitive, as S3 codes are), if the table has it. */
  public static Optional<S3Error> fromCode(String code) {
    return code == null ? Optional.empty() : Optional.ofNullable(BY_CODE.get(code));
  }
}
