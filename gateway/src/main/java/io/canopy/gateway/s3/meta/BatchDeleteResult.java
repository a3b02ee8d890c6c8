package io.canopy.gateway.s3.meta;

import java.util.List;

/** DeleteObjects: the keys deleted (in request order) and those refused, each with its S3 code. */
public record BatchDeleteResult(List<DeletedObject> deleted, List<KeyError> errors) {
  /** A key of a batch that could not be deleted. */
  public record KeyError(String key, String code, String message) {}
}
