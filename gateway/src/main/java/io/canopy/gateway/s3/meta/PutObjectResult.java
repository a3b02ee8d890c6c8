package io.canopy.gateway.s3.meta;

import java.util.List;
import java.util.Optional;

/**
 * The object now stored, the one it replaced (if any), and the CIDs no row of this metadata refers
 * to any more, whose deals the caller may release (the replaced object's CID unless another object
 * or part still uses it, e.g. after a copy).
 */
public record PutObjectResult(S3Object object, Optional<S3Object> replaced, List<String> releasableCids) {}
