package io.canopy.gateway.s3.meta;

import java.util.List;

/**
 * One page of ListMultipartUploads, ordered by key (UTF-8 bytes) then initiation. Uploads and
 * common prefixes both count against max-uploads. The next markers are set on a truncated page:
 * the last key (or common prefix) listed, and the last upload id (null after a common prefix).
 */
public record UploadListing(List<MultipartUpload> uploads, List<String> commonPrefixes, boolean truncated,
                            String nextKeyMarker, String nextUploadIdMarker) {}
