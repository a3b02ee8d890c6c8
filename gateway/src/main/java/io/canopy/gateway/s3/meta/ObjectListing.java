package io.canopy.gateway.s3.meta;

import java.util.List;

/**
 * One page of ListObjects (V1 or V2). Objects and common prefixes both count against max-keys.
 *
 * @param nextMarker V1's {@code NextMarker}: the last key or common prefix of a truncated page,
 *     present only when a delimiter was given (as S3 does); null otherwise
 * @param nextContinuationToken V2's opaque {@code NextContinuationToken} of a truncated page, else
 *     null
 */
public record ObjectListing(List<S3Object> contents, List<String> commonPrefixes, boolean truncated, String nextMarker,
                            String nextContinuationToken) {
  /** V2's {@code KeyCount}: objects plus common prefixes on this page. */
  public int keyCount() {
    return contents.size() + commonPrefixes.size();
  }
}
