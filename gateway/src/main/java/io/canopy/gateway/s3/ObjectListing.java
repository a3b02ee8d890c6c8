package io.canopy.gateway.s3;

import java.util.List;

/**
 * One page of a bucket listing, for ListObjects (V1) and ListObjectsV2.
 *
 * @param commonPrefixes the prefixes rolled up by the delimiter, in order
 * @param next where the next page starts when {@code truncated}: the NextContinuationToken (V2)
 *     or NextMarker (V1); null when not truncated
 */
public record ObjectListing(
    List<ObjectSummary> objects, List<String> commonPrefixes, boolean truncated, String next) {
  public ObjectListing {
    objects = List.copyOf(objects);
    commonPrefixes = List.copyOf(commonPrefixes);
  }
}
