package io.canopy.gateway.s3.auth;

import java.util.Optional;

/** Where the verifier looks up the secret of an access key. */
@FunctionalInterface
public interface CredentialStore {
  /** The credential whose access key id is {@code accessKeyId}, or empty if there is none. */
  Optional<Credential> find(String accessKeyId);
}
