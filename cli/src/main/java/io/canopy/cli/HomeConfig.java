package io.canopy.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import java.util.Base64;

/**
 * The home's {@code config.json}, shaped like Kubo's config so that its fields read the same:
 *
 * <pre>
 * {
 *   "Identity":  { "PeerID": "12D3KooW…", "PrivKey": "CAESQ…" },
 *   "Datastore": { "StorageMax": "10GB" }
 * }
 * </pre>
 *
 * {@code PrivKey} is the standard base64 of the libp2p private key protobuf, as in Kubo. Fields
 * Canopy does not know yet are ignored on read, so that a newer config still opens.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record HomeConfig(
    @JsonProperty("Identity") Identity identity, @JsonProperty("Datastore") Datastore datastore) {

  /** Kubo's default Datastore.StorageMax. */
  static final String DEFAULT_STORAGE_MAX = "10GB";

  /** Reads leniently; writes indented JSON with Kubo's {@code "Key": value} spacing. */
  static final ObjectMapper JSON =
      new ObjectMapper()
          .setDefaultPrettyPrinter(
              new DefaultPrettyPrinter()
                  .withSeparators(
                      Separators.createDefaultInstance()
                          .withObjectFieldValueSpacing(Separators.Spacing.AFTER)))
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  record Identity(@JsonProperty("PeerID") String peerId, @JsonProperty("PrivKey") String privKey) {}

  record Datastore(@JsonProperty("StorageMax") String storageMax) {}

  static HomeConfig forNewNode(Ed25519PrivateKey key, String storageMax) {
    return new HomeConfig(
        new Identity(key.peerId().toString(), Base64.getEncoder().encodeToString(key.toProtobuf())),
        new Datastore(storageMax));
  }

  /**
   * {@code Datastore.StorageMax}, or Kubo's default when the config has none: a hand-written or
   * older config may lack the Datastore section, which is no reason to refuse to start.
   */
  String storageMax() {
    return datastore == null || datastore.storageMax() == null ? DEFAULT_STORAGE_MAX : datastore.storageMax();
  }

  /**
   * The node's private key; {@link IllegalArgumentException} if the config lacks it, it does not
   * decode, or it is not the key of {@code Identity.PeerID}.
   */
  Ed25519PrivateKey privateKey() {
    if (identity == null || identity.privKey() == null) {
      throw new IllegalArgumentException("Identity.PrivKey is missing");
    }
    Ed25519PrivateKey key;
    try {
      key = Ed25519PrivateKey.fromProtobuf(Base64.getDecoder().decode(identity.privKey()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Identity.PrivKey does not decode: " + e.getMessage(), e);
    }
    if (identity.peerId() != null && !PeerId.parse(identity.peerId()).equals(key.peerId())) {
      throw new IllegalArgumentException(
          "Identity.PeerID " + identity.peerId() + " is not the peer ID of Identity.PrivKey (" + key.peerId() + ")");
    }
    return key;
  }
}
