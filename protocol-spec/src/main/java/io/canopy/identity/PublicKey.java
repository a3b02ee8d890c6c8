package io.canopy.identity;

/**
 * A libp2p public key of any supported type (peer-ids.md §How Keys are Encoded and Messages
 * Signed). Canopy signs with Ed25519 only; the other types are here to verify what other peers
 * sign and to derive their peer IDs. Decode one with {@link PublicKeys#decode}.
 *
 * <p>Named after the libp2p protobuf message; not to be confused with {@link
 * java.security.PublicKey}.
 */
public sealed interface PublicKey permits Ed25519PublicKey, Secp256k1PublicKey, RsaPublicKey {
  KeyType type();

  /** The Data field of the key protobuf: the key in its type's own encoding. */
  byte[] raw();

  /** The libp2p {@code PublicKey} protobuf, deterministically encoded (Type, then Data). */
  byte[] toProtobuf();

  /**
   * Whether {@code signature} is this key's signature of {@code data}, by the signing method the
   * spec gives the key type. Malformed signatures are simply not valid: this never throws for them.
   */
  boolean verify(byte[] data, byte[] signature);

  /** The peer ID of this key (identity multihash of the protobuf up to 42 bytes, else sha2-256). */
  default PeerId peerId() {
    return PeerId.fromPublicKey(this);
  }
}
