package io.canopy.gateway.s3;

import java.time.Instant;
import java.util.Objects;

/**
 * One object in a ListObjects / ListObjectsV2 response ({@code <Contents>}).
 *
 * @param etag the entity tag, quoted or not: responses always carry it quoted
 */
public record ObjectSummary(String key, Instant lastModified, String etag, long size) {
  public ObjectSummary {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(lastModified, "lastModified");
    Objects.requireNonNull(etag, "etag");
  }
}
