package io.canopy.gateway.s3.meta;

/**
 * A refusal or failure of the S3 metadata layer, carrying the S3 error code string ({@code
 * NoSuchBucket}, {@code InvalidPart}, ...). The gateway's one S3 error table maps the code to the
 * HTTP status and XML body; this layer only names the code. A database failure is {@link
 * #INTERNAL_ERROR} with the {@link java.sql.SQLException} as cause; a pool that stays exhausted is
 * {@link #SERVICE_UNAVAILABLE}.
 *
 * <p>The account codes ({@link #ACCOUNT_ALREADY_EXISTS}, {@link #NO_SUCH_ACCOUNT}, {@link
 * #INVALID_ACCOUNT_NAME}) are Canopy's own: accounts are administered by the CLI, not over S3.
 */
public final class S3MetadataException extends Exception {
  private static final long serialVersionUID = 1L;

  public static final String NO_SUCH_BUCKET = "NoSuchBucket";
  public static final String NO_SUCH_KEY = "NoSuchKey";
  public static final String BUCKET_NOT_EMPTY = "BucketNotEmpty";
  public static final String BUCKET_ALREADY_EXISTS = "BucketAlreadyExists";
  public static final String BUCKET_ALREADY_OWNED_BY_YOU = "BucketAlreadyOwnedByYou";
  public static final String INVALID_BUCKET_NAME = "InvalidBucketName";
  public static final String NO_SUCH_UPLOAD = "NoSuchUpload";
  public static final String INVALID_PART = "InvalidPart";
  public static final String INVALID_PART_ORDER = "InvalidPartOrder";
  public static final String ENTITY_TOO_SMALL = "EntityTooSmall";
  public static final String KEY_TOO_LONG = "KeyTooLongError";
  public static final String METADATA_TOO_LARGE = "MetadataTooLarge";
  public static final String INVALID_ARGUMENT = "InvalidArgument";
  public static final String MALFORMED_XML = "MalformedXML";
  public static final String INTERNAL_ERROR = "InternalError";
  public static final String SERVICE_UNAVAILABLE = "ServiceUnavailable";
  public static final String ACCOUNT_ALREADY_EXISTS = "AccountAlreadyExists";
  public static final String NO_SUCH_ACCOUNT = "NoSuchAccount";
  public static final String INVALID_ACCOUNT_NAME = "InvalidAccountName";

  private final String code;

  public S3MetadataException(String code, String message) {
    super(message);
    this.code = code;
  }

  public S3MetadataException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The S3 error code, e.g. {@code NoSuchKey}. */
  public String code() {
    return code;
  }

  @Override
  public String toString() {
    return "S3MetadataException[" + code + "]: " + getMessage();
  }
}
