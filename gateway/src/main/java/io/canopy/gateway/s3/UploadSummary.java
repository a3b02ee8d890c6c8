package io.canopy.gateway.s3;

import java.time.Instant;
import java.util.Objects;

/** One multipart upload in progress, in a ListMultipartUploads response. */
public record UploadSummary(String key, String uploadId, Instant initiated) {
  public UploadSummary {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(uploadId, "uploadId");
    Objects.requireNonNull(initiated, "initiated");
  }
}
