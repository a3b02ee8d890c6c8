package io.canopy.identity;

/** Decoding of libp2p {@code PublicKey} protobufs of any type. */
public final class PublicKeys {
  private PublicKeys() {}

  /**
   * Decodes a libp2p {@code PublicKey} protobuf into the key of its type: Ed25519, Secp256k1 or
   * RSA. {@link KeyFormatException} if the protobuf or the key in it is malformed, and for ECDSA
   * keys (type 3), which Canopy does not support.
   */
  public static PublicKey decode(byte[] protobuf) {
    KeyMessage m = KeyMessage.decode(protobuf, "public key");
    return switch (m.type()) {
      case ED25519 -> Ed25519PublicKey.fromRaw(m.data());
      case SECP256K1 -> Secp256k1PublicKey.fromRaw(m.data());
      case RSA -> RsaPublicKey.fromDer(m.data());
      case ECDSA -> throw new KeyFormatException(
          "ECDSA public keys (key type 3) are not supported; supported: Ed25519, Secp256k1, RSA");
    };
  }
}
