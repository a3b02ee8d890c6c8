package io.canopy.gateway.s3;

import java.time.Instant;
import java.util.Objects;

/** One uploaded part in a ListParts response. */
public record PartSummary(int partNumber, Instant lastModified, String etag, long size) {
  public PartSummary {
    Objects.requireNonNull(lastModified, "lastModified");
    Objects.requireNonNull(etag, "etag");
  }
}
