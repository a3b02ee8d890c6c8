package io.canopy.gateway.s3.auth;

import java.util.Objects;

/**
 * An S3 access key: its id, its secret and the account it acts for. {@link #toString()} leaves the
 * secret out, so a logged credential does not leak it.
 */
public record Credential(String accessKeyId, String secretAccessKey, String account) {
  public Credential {
    Objects.requireNonNull(accessKeyId, "accessKeyId");
    Objects.requireNonNull(secretAccessKey, "secretAccessKey");
    Objects.requireNonNull(account, "account");
  }

  @Override
  public String toString() {
    return "Credential[accessKeyId=" + accessKeyId + ", account=" + account + ", secretAccessKey=<redacted>]";
  }
}
