package io.canopy.gateway.s3;

import java.util.List;

/**
 * One page of ListMultipartUploads.
 *
 * @param nextKeyMarker where the next page starts when truncated, else null
 * @param nextUploadIdMarker where the next page starts when truncated, else null
 */
public record UploadListing(
    List<UploadSummary> uploads,
    List<String> commonPrefixes,
    boolean truncated,
    String nextKeyMarker,
    String nextUploadIdMarker) {
  public UploadListing {
    uploads = List.copyOf(uploads);
    commonPrefixes = List.copyOf(commonPrefixes);
  }
}
