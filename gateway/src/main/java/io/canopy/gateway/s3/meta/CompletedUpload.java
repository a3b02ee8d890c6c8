package io.canopy.gateway.s3.meta;

import java.util.List;
import java.util.Optional;

/**
 * A completed multipart upload: the object written, the parts it was made of (in order), the
 * uploaded parts the request left out (S3 discards them), the object it replaced, and the CIDs no
 * row refers to any more (every part's, the replaced object's) whose pins and deals the caller may
 * release: the object's own DAG, pinned under its CID, now holds the bytes.
 */
public record CompletedUpload(S3Object object, List<Part> parts, List<Part> discarded, Optional<S3Object> replaced,
                              List<String> releasableCids) {}
