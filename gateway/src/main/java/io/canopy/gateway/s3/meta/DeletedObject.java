package io.canopy.gateway.s3.meta;

import java.util.List;
import java.util.Optional;

/**
 * The outcome of deleting one key: the object removed (empty if there was none, which S3 also
 * reports as deleted) and the CIDs no row refers to any more, whose deals the caller may release.
 */
public record DeletedObject(String key, Optional<S3Object> deleted, List<String> releasableCids) {}
