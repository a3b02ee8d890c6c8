package io.canopy.gateway.s3.meta;

import java.util.List;
import java.util.Optional;

/**
 * Everything the S3 face keeps besides object bytes: accounts and their access keys, buckets,
 * objects (each pointing at the CID of its UnixFS DAG), and multipart uploads with their parts.
 * One implementation, {@link JdbcS3Metadata}, runs on SQLite (embedded, the default) and on
 * PostgreSQL (shared by several gateways) with the same schema; the contract test runs against both.
 *
 * <p>Every mutation is one transaction. Refusals and failures are {@link S3MetadataException}s
 * carrying the S3 error code; authorization (who may touch which bucket) is the caller's, which
 * resolves the bucket once with {@link #bucket} and compares its owner and ACL.
 *
 * <p>CIDs and deals: a mutation that drops the last row referring to a CID (an object or part
 * replaced, deleted, discarded or aborted) lists it in the result's {@code releasableCids}, so the
 * caller can release its deal. Objects may share a CID (a copy stores the source's CID again);
 * such a CID is listed only when its last reference goes.
 *
 * <p>Implementations are safe for concurrent use from many threads.
 */
public interface S3Metadata extends AutoCloseable {
  /** S3's default and largest max-keys, max-uploads and max-parts. */
  int MAX_LIST = 1000;
  /** S3's part numbers run from 1 to 10,000. */
  int MAX_PART_NUMBER = 10_000;
  /** The least size of every part of a multipart object but the last (5 MiB). */
  long MIN_PART_SIZE = 5L * 1024 * 1024;
  /** The most keys one DeleteObjects request may name. */
  int MAX_BATCH_DELETE = 1000;

  // ---- accounts and access keys -----------------------------------------------------------

  /** A new account; {@code AccountAlreadyExists} if the name is taken, {@code InvalidAccountName}. */
  Account createAccount(String name) throws S3MetadataException;

  Optional<Account> account(String name) throws S3MetadataException;

  /**
   * A new key pair for {@code account}: an access key id of 20 upper-case letters and digits
   * starting {@code CNPY}, and a 40-character secret from a {@link java.security.SecureRandom}.
   * {@code NoSuchAccount} if there is no such account.
   */
  AccessKey issueAccessKey(String account) throws S3MetadataException;

  /** The active (not revoked) key with this id, with its secret, for the SigV4 verifier. */
  Optional<AccessKey> activeAccessKey(String accessKeyId) throws S3MetadataException;

  /** Every key of the account, revoked ones included, oldest first. */
  List<AccessKey> accessKeys(String account) throws S3MetadataException;

  /** Revokes a key; false if there is no such key or it was already revoked. */
  boolean revokeAccessKey(String accessKeyId) throws S3MetadataException;

  // ---- buckets ----------------------------------------------------------------------------

  /**
   * Creates a bucket owned by {@code account}: {@code InvalidBucketName}, {@code
   * BucketAlreadyOwnedByYou} (the account already owns it), {@code BucketAlreadyExists} (another
   * account does), {@code NoSuchAccount}.
   */
  Bucket createBucket(String account, String name, BucketAcl acl) throws S3MetadataException;

  Optional<Bucket> bucket(String name) throws S3MetadataException;

  /** The bucket, or {@code NoSuchBucket}. */
  Bucket headBucket(String name) throws S3MetadataException;

  /** The account's buckets by name. */
  List<Bucket> listBuckets(String account) throws S3MetadataException;

  /** {@code NoSuchBucket} if absent. */
  void setBucketAcl(String bucket, BucketAcl acl) throws S3MetadataException;

  /**
   * Deletes an empty bucket: {@code NoSuchBucket}; {@code BucketNotEmpty} while it has objects or
   * multipart uploads in progress (their parts hold deals the caller must release first, by
   * aborting).
   */
  void deleteBucket(String name) throws S3MetadataException;

  // ---- objects ----------------------------------------------------------------------------

  /**
   * Stores an object, replacing any previous one under the key in the same transaction (last
   * writer wins). {@code NoSuchBucket}, {@code KeyTooLongError} (over 1024 bytes of UTF-8),
   * {@code MetadataTooLarge} (user metadata over 2 KB), {@code InvalidArgument} (empty key, lone
   * surrogate). A CopyObject is a {@link #headObject} of the source and a put of its CID, size,
   * ETag and either its attributes (COPY) or the request's (REPLACE).
   */
  PutObjectResult putObject(String bucket, String key, ObjectWrite write) throws S3MetadataException;

  /** The object, or {@code NoSuchKey} / {@code NoSuchBucket}. */
  S3Object headObject(String bucket, String key) throws S3MetadataException;

  /** Deletes an object; deleting a missing key succeeds with nothing deleted, as in S3. */
  DeletedObject deleteObject(String bucket, String key) throws S3MetadataException;

  /**
   * DeleteObjects: up to 1000 keys in one transaction ({@code MalformedXML} beyond). An invalid
   * key is reported in the errors and does not stop the others.
   */
  BatchDeleteResult deleteObjects(String bucket, List<String> keys) throws S3MetadataException;

  /** Whether any object or part refers to the CID. */
  boolean isCidReferenced(String cid) throws S3MetadataException;

  /**
   * ListObjects (V1). Keys are ordered by their UTF-8 bytes; objects and common prefixes count
   * against {@code maxKeys} (capped at 1000; negative is {@code InvalidArgument}). Keys after
   * {@code marker} only; a marker that is a common prefix of this listing (as a {@code NextMarker}
   * is) skips the keys under it.
   *
   * @param prefix null or empty for none
   * @param delimiter null or empty for none
   * @param marker null for none
   */
  ObjectListing listObjectsV1(String bucket, String prefix, String delimiter, String marker, int maxKeys)
      throws S3MetadataException;

  /**
   * ListObjectsV2: as {@link #listObjectsV1}, starting after {@code continuationToken} if given
   * ({@code InvalidArgument} if it is not one this layer issued), else after {@code startAfter}.
   */
  ObjectListing listObjectsV2(String bucket, String prefix, String delimiter, String startAfter,
                              String continuationToken, int maxKeys) throws S3MetadataException;

  // ---- multipart uploads ------------------------------------------------------------------

  /** Starts an upload; the attributes become the object's on completion. */
  MultipartUpload createMultipartUpload(String bucket, String key, String initiator, ObjectAttributes attributes)
      throws S3MetadataException;

  /** The upload, or {@code NoSuchUpload} (also when it belongs to another bucket or key). */
  MultipartUpload multipartUpload(String bucket, String key, String uploadId) throws S3MetadataException;

  /**
   * Stores a part (number 1..10000, else {@code InvalidArgument}; ETag the part's hex MD5),
   * replacing a part with the same number. {@code NoSuchUpload}.
   */
  PutPartResult putPart(String bucket, String key, String uploadId, int partNumber, String cid, long size, String etag)
      throws S3MetadataException;

  /** ListParts: parts numbered above {@code partNumberMarker}, at most {@code maxParts} (cap 1000). */
  PartListing listParts(String bucket, String key, String uploadId, int partNumberMarker, int maxParts)
      throws S3MetadataException;

  /**
   * ListMultipartUploads with prefix and delimiter; after ({@code keyMarker}, {@code
   * uploadIdMarker}) when both are given, after {@code keyMarker} when only it is.
   */
  UploadListing listMultipartUploads(String bucket, String prefix, String delimiter, String keyMarker,
                                     String uploadIdMarker, int maxUploads) throws S3MetadataException;

  /**
   * Checks a CompleteMultipartUpload request without changing anything and returns the parts in
   * order, so the caller can build the object's DAG from them: {@code MalformedXML} (no parts),
   * {@code InvalidPartOrder} (not strictly ascending), {@code InvalidPart} (missing, or ETag not
   * matching; quotes ignored), {@code EntityTooSmall} (a part but the last under 5 MiB), {@code
   * NoSuchUpload}.
   */
  List<Part> checkCompletion(String bucket, String key, String uploadId, List<CompletedPart> parts)
      throws S3MetadataException;

  /**
   * Completes an upload in one transaction: checks the request again (the parts may have changed
   * since {@link #checkCompletion}), writes the object with root {@code cid}, the parts' total
   * size, the multipart ETag ({@link Etags#multipart}) and the upload's attributes, replacing any
   * previous object, and removes the upload and all its parts.
   */
  CompletedUpload completeMultipartUpload(String bucket, String key, String uploadId, List<CompletedPart> parts,
                                          String cid) throws S3MetadataException;

  /** Removes the upload and its parts; {@code NoSuchUpload}. */
  AbortedUpload abortMultipartUpload(String bucket, String key, String uploadId) throws S3MetadataException;

  /** Releases the database; idempotent. */
  @Override
  void close();
}
