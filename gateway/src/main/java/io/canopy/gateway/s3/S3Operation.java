package io.canopy.gateway.s3;

import java.util.Map;
import java.util.Objects;

/**
 * One S3 operation, as {@link S3Request#parse} reads it from method, path, query and the few
 * headers that choose between operations (the model is Garage's {@code Endpoint} in
 * {@code src/api/s3/router.rs}). The HTTP layer authenticates, resolves {@link OnBucket#bucket()}
 * once, and dispatches with {@code instanceof} patterns, one handler per operation family.
 *
 * <p>Names are the S3 API reference's operation names; bucket names and keys are decoded. Optional
 * string parameters are null when the request did not give them.
 */
public sealed interface S3Operation {

  /** The S3 API name of the operation, e.g. {@code ListObjectsV2}. */
  default String name() {
    return getClass().getSimpleName();
  }

  /** The resource for the error body's {@code <Resource>}: {@code /}, {@code /bucket} or {@code /bucket/key}. */
  default String resource() {
    if (this instanceof OnObject o) {
      return "/" + o.bucket() + "/" + o.key();
    }
    if (this instanceof OnBucket b) {
      return "/" + b.bucket();
    }
    return "/";
  }

  /** An operation on one bucket (so the bucket is resolved and its access checked first). */
  sealed interface OnBucket extends S3Operation {
    String bucket();
  }

  /** An operation on one object key of a bucket. */
  sealed interface OnObject extends OnBucket {
    String key();
  }

  /** The source of CopyObject / UploadPartCopy ({@code x-amz-copy-source}, decoded). */
  record CopySource(String bucket, String key) {
    public CopySource {
      Objects.requireNonNull(bucket, "bucket");
      Objects.requireNonNull(key, "key");
    }
  }

  /** An inclusive byte range ({@code x-amz-copy-source-range: bytes=first-last}). */
  record ByteRange(long first, long last) {
    public ByteRange {
      if (first < 0 || last < first) {
        throw new IllegalArgumentException("range " + first + "-" + last);
      }
    }

    public long length() {
      return last - first + 1;
    }
  }

  // ---- service ------------------------------------------------------------------------------

  /** {@code GET /} without a bucket. */
  record ListBuckets() implements S3Operation {}

  // ---- buckets ------------------------------------------------------------------------------

  /** {@code PUT /bucket}; the body may hold a CreateBucketConfiguration. */
  record CreateBucket(String bucket) implements OnBucket {}

  /** {@code DELETE /bucket}. */
  record DeleteBucket(String bucket) implements OnBucket {}

  /** {@code HEAD /bucket}. */
  record HeadBucket(String bucket) implements OnBucket {}

  /** {@code GET /bucket?location}. */
  record GetBucketLocation(String bucket) implements OnBucket {}

  /**
   * {@code GET /bucket?versioning}. Versioning cannot be turned on here (PutBucketVersioning is
   * NotImplemented), so every bucket answers as one never versioned: an empty configuration.
   * rclone asks it before a purge.
   */
  record GetBucketVersioning(String bucket) implements OnBucket {}

  /**
   * {@code GET /bucket} (version 1 listing).
   *
   * @param prefix never null ("" when absent)
   * @param delimiter null when absent or empty
   * @param maxKeys 0..1000 (larger requests are capped at 1000, as S3 does)
   * @param urlEncoding {@code encoding-type=url}: keys, prefixes, delimiter and markers are
   *     URL-encoded in the response
   */
  record ListObjects(
      String bucket, String prefix, String delimiter, String marker, int maxKeys, boolean urlEncoding)
      implements OnBucket {}

  /** {@code GET /bucket?list-type=2}; see {@link ListObjects} for the shared parameters. */
  record ListObjectsV2(
      String bucket,
      String prefix,
      String delimiter,
      String continuationToken,
      String startAfter,
      int maxKeys,
      boolean fetchOwner,
      boolean urlEncoding)
      implements OnBucket {}

  /** {@code POST /bucket?delete}; the body is a {@code Delete} document. */
  record DeleteObjects(String bucket) implements OnBucket {}

  /** {@code GET /bucket?uploads}. */
  record ListMultipartUploads(
      String bucket,
      String prefix,
      String delimiter,
      String keyMarker,
      String uploadIdMarker,
      int maxUploads,
      boolean urlEncoding)
      implements OnBucket {}

  // ---- objects ------------------------------------------------------------------------------

  /** {@code PUT /bucket/key}. */
  record PutObject(String bucket, String key) implements OnObject {}

  /** {@code PUT /bucket/key} with {@code x-amz-copy-source}. */
  record CopyObject(String bucket, String key, CopySource source) implements OnObject {}

  /**
   * {@code GET /bucket/key}.
   *
   * @param partNumber {@code ?partNumber=} (1..10000), or null
   * @param responseHeaders the {@code response-*} overrides, keyed by the HTTP header they set
   *     (e.g. {@code Content-Disposition})
   */
  record GetObject(String bucket, String key, Integer partNumber, Map<String, String> responseHeaders)
      implements OnObject {
    public GetObject {
      responseHeaders = Map.copyOf(responseHeaders);
    }
  }

  /** {@code HEAD /bucket/key}. */
  record HeadObject(String bucket, String key, Integer partNumber) implements OnObject {}

  /** {@code DELETE /bucket/key}. */
  record DeleteObject(String bucket, String key) implements OnObject {}

  // ---- multipart ----------------------------------------------------------------------------

  /** {@code POST /bucket/key?uploads}. */
  record CreateMultipartUpload(String bucket, String key) implements OnObject {}

  /** {@code PUT /bucket/key?partNumber=N&uploadId=U}. */
  record UploadPart(String bucket, String key, String uploadId, int partNumber) implements OnObject {}

  /**
   * {@code PUT /bucket/key?partNumber=N&uploadId=U} with {@code x-amz-copy-source}.
   *
   * @param range from {@code x-amz-copy-source-range}, or null for the whole source
   */
  record UploadPartCopy(
      String bucket, String key, String uploadId, int partNumber, CopySource source, ByteRange range)
      implements OnObject {}

  /** {@code GET /bucket/key?uploadId=U}. */
  record ListParts(String bucket, String key, String uploadId, int maxParts, int partNumberMarker)
      implements OnObject {}

  /**
   * {@code GET /bucket/key?tagging}. Objects here never carry tags (x-amz-tagging and
   * PutObjectTagging are NotImplemented), so the answer is an empty TagSet; the AWS CLI asks it
   * before every multipart copy ({@code aws s3 cp/mv/sync} from S3 to S3 of 8 MiB and more).
   */
  record GetObjectTagging(String bucket, String key) implements OnObject {}

  /** {@code POST /bucket/key?uploadId=U}; the body is a {@code CompleteMultipartUpload} document. */
  record CompleteMultipartUpload(String bucket, String key, String uploadId) implements OnObject {}

  /** {@code DELETE /bucket/key?uploadId=U}. */
  record AbortMultipartUpload(String bucket, String key, String uploadId) implements OnObject {}

  // ---- the rest -----------------------------------------------------------------------------

  /**
   * A well-formed S3 request for an operation the gateway does not implement (ACLs, policies,
   * versioning, tagging, …), named as the S3 API names it (e.g. {@code GetBucketAcl}). The HTTP
   * layer answers {@link #toException()}: 501 NotImplemented, never a 500.
   */
  record Unsupported(String name) implements S3Operation {
    public Unsupported {
      Objects.requireNonNull(name, "name");
    }

    public S3Exception toException() {
      return new S3Exception(S3Error.NotImplemented, name + " is not implemented by this gateway.");
    }
  }
}
