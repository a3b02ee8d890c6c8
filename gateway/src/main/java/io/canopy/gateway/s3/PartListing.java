package io.canopy.gateway.s3;

import java.util.List;

/**
 * One page of ListParts.
 *
 * @param nextPartNumberMarker the last part number of this page (the marker of the next page)
 */
public record PartListing(List<PartSummary> parts, boolean truncated, int nextPartNumberMarker) {
  public PartListing {
    parts = List.copyOf(parts);
  }
}
