package io.canopy.gateway.s3.meta;

import java.time.Instant;

/**
 * An S3 access key pair of an account. The secret is kept as issued because SigV4 needs it to
 * compute the expected signature (see the package documentation). {@link #toString()} leaves it
 * out, so a logged key does not leak it.
 *
 * @param revoked when the key was revoked, or null while it is active
 */
public record AccessKey(String accessKeyId, String secretAccessKey, String account, Instant created, Instant revoked) {
  public boolean active() {
    return revoked == null;
  }

  @Override
  public String toString() {
    return "AccessKey[" + accessKeyId + ", account=" + account + ", created=" + created
        + (revoked == null ? "" : ", revoked=" + revoked) + "]";
  }
}
