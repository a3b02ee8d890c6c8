package io.canopy.gateway.s3.meta;

import java.util.List;
import java.util.Objects;

/**
 * What a PUT (or a copy) stores for an object: the root CID of its UnixFS DAG, its size, its ETag
 * (without the quotes; given quotes are removed), its attributes and, for a copy of a multipart
 * object, the source's part sizes (empty otherwise; they must add up to the size).
 */
public record ObjectWrite(String cid, long size, String etag, ObjectAttributes attributes, List<Long> partSizes) {
  public ObjectWrite {
    Objects.requireNonNull(cid, "cid");
    Objects.requireNonNull(etag, "etag");
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size);
    }
    etag = Etags.unquote(etag);
    attributes = attributes == null ? ObjectAttributes.NONE : attributes;
    partSizes = partSizes == null ? List.of() : List.copyOf(partSizes);
    if (!partSizes.isEmpty() && partSizes.stream().mapToLong(Long::longValue).sum() != size) {
      throw new IllegalArgumentException("part sizes " + partSizes + " do not add up to " + size);
    }
  }

  /** An object written in one piece. */
  public ObjectWrite(String cid, long size, String etag, ObjectAttributes attributes) {
    this(cid, size, etag, attributes, List.of());
  }
}
