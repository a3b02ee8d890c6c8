package io.canopy.gateway.s3.meta;

import java.time.Instant;
import java.util.List;

/**
 * An object as stored: where its bytes are (the CID) and what S3 returns about it. ETag unquoted.
 *
 * @param partSizes the sizes of the parts a multipart object was completed from, in order (what
 *     GET/HEAD with {@code partNumber} serve); empty for an object stored in one piece
 */
public record S3Object(String bucket, String key, String cid, long size, String etag, ObjectAttributes attributes,
                       Instant lastModified, List<Long> partSizes) {
  public S3Object {
    partSizes = partSizes == null ? List.of() : List.copyOf(partSizes);
  }

  /** An object stored in one piece. */
  public S3Object(String bucket, String key, String cid, long size, String etag, ObjectAttributes attributes,
                  Instant lastModified) {
    this(bucket, key, cid, size, etag, attributes, lastModified, List.of());
  }

  /** How many parts GET/HEAD with {@code partNumber} know of: the multipart parts, else 1. */
  public int partCount() {
    return partSizes.isEmpty() ? 1 : partSizes.size();
  }
}
