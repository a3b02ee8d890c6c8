package io.canopy.gateway.s3.meta;

import java.util.Objects;

/**
 * What a PUT (or a copy) stores for an object: the root CID of its UnixFS DAG, its size, its ETag
 * (without the quotes; given quotes are removed) and its attributes.
 */
public record ObjectWrite(String cid, long size, String etag, ObjectAttributes attributes) {
  public ObjectWrite {
    Objects.requireNonNull(cid, "cid");
    Objects.requireNonNull(etag, "etag");
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size);
    }
    etag = Etags.unquote(etag);
    attributes = attributes == null ? ObjectAttributes.NONE : attributes;
  }
}
