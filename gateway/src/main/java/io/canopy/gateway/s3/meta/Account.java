package io.canopy.gateway.s3.meta;

import java.time.Instant;

/** An account: owns buckets, holds access keys. The name is the account's identity. */
public record Account(String name, Instant created) {}
