package io.canopy.gateway.s3.meta;

import java.time.Instant;

/** An object as stored: where its bytes are (the CID) and what S3 returns about it. ETag unquoted. */
public record S3Object(String bucket, String key, String cid, long size, String etag, ObjectAttributes attributes,
                       Instant lastModified) {}
