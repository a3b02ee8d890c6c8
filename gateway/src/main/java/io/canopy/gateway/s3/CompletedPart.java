package io.canopy.gateway.s3;

import java.util.Objects;

/**
 * One {@code <Part>} of a CompleteMultipartUpload request.
 *
 * @param etag the part's entity tag without the surrounding quotes clients may or may not send
 */
public record CompletedPart(int partNumber, String etag) {
  public CompletedPart {
    Objects.requireNonNull(etag, "etag");
  }
}
