package io.canopy.gateway.s3;

import java.time.Instant;
import java.util.Objects;

/** One bucket in a ListBuckets response. */
public record BucketSummary(String name, Instant created) {
  public BucketSummary {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(created, "created");
  }
}
