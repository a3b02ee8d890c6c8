package io.canopy.gateway.s3.meta;

import java.time.Instant;

/** A multipart upload in progress; the attributes given at creation become the object's. */
public record MultipartUpload(String bucket, String key, String uploadId, String initiator, ObjectAttributes attributes,
                              Instant initiated) {}
