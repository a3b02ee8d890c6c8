package io.canopy.gateway.s3;

import java.util.List;
import java.util.Objects;

/**
 * The body of DeleteObjects ({@code POST /bucket?delete}).
 *
 * @param quiet when true the response lists only the keys that could not be deleted
 */
public record DeleteRequest(List<ObjectIdentifier> objects, boolean quiet) {
  public DeleteRequest {
    objects = List.copyOf(objects);
  }

  /** One {@code <Object>}: a key, and the version the client named (null when none). */
  public record ObjectIdentifier(String key, String versionId) {
    public ObjectIdentifier {
      Objects.requireNonNull(key, "key");
    }
  }
}
