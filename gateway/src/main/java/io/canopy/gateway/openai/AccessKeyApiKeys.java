package io.canopy.gateway.openai;

import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.S3Metadata;
import io.canopy.gateway.s3.meta.S3MetadataException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * API keys made from the gateway's S3 access keys: {@code sk-canopy-ACCESSKEYID-SECRET}. One key
 * pair per account serves both faces, so issuing and revoking ({@code canopy gateway keys}) work
 * for both, and no second secret store exists.
 */
public final class AccessKeyApiKeys implements ApiKeys {
  static final String PREFIX = "sk-canopy-";

  private final S3Metadata metadata;

  public AccessKeyApiKeys(S3Metadata metadata) {
    this.metadata = metadata;
  }

  /** The API key for an access key pair. */
  public static String apiKey(AccessKey key) {
    return PREFIX + key.accessKeyId() + "-" + key.secretAccessKey();
  }

  @Override
  public Optional<String> account(String apiKey) {
    if (apiKey == null || !apiKey.startsWith(PREFIX)) {
      return Optional.empty();
    }
    String rest = apiKey.substring(PREFIX.length());
    int dash = rest.indexOf('-');
    if (dash <= 0) {
      return Optional.empty();
    }
    String secret = rest.substring(dash + 1);
    Optional<AccessKey> found;
    try {
      found = metadata.activeAccessKey(rest.substring(0, dash));
    } catch (S3MetadataException e) {
      throw new IllegalStateException("cannot look the API key up: " + e.getMessage(), e);
    }
    return found.filter(k -> MessageDigest.isEqual(k.secretAccessKey().getBytes(StandardCharsets.UTF_8),
        secret.getBytes(StandardCharsets.UTF_8))).map(AccessKey::account);
  }
}
