package io.canopy.gateway.s3;

import java.util.Objects;

/**
 * The {@code Owner} / {@code Initiator} element of S3 responses: the account's canonical id and,
 * optionally, a display name (null leaves {@code DisplayName} out, as S3 now does).
 */
public record Owner(String id, String displayName) {
  public Owner {
    Objects.requireNonNull(id, "id");
  }
}
