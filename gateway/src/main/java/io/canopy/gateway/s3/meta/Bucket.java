package io.canopy.gateway.s3.meta;

import java.time.Instant;

/** A bucket, owned by one account. */
public record Bucket(String name, String owner, BucketAcl acl, Instant created) {}
