package io.canopy.gateway.s3.meta;

import java.time.Instant;

/** One uploaded part of a multipart upload. The ETag is the part's hex MD5, unquoted. */
public record Part(int partNumber, String cid, long size, String etag, Instant lastModified) {}
