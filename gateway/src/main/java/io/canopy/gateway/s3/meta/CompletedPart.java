package io.canopy.gateway.s3.meta;

/** One entry of a CompleteMultipartUpload request: a part number and the ETag the client got. */
public record CompletedPart(int partNumber, String etag) {}
