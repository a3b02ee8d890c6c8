package io.canopy.gateway.s3.meta;

import java.util.List;

/** An aborted multipart upload, the parts dropped with it, and the CIDs the caller may release. */
public record AbortedUpload(MultipartUpload upload, List<Part> parts, List<String> releasableCids) {}
