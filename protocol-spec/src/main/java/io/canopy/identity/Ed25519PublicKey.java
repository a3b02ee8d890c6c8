package io.canopy.identity;

import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * An Ed25519 public key (RFC 8032). In the libp2p key protobuf its Data is the 32-byte encoded
 * point (peer-ids.md §Ed25519).
 */
public final class Ed25519PublicKey implements PublicKey {
  public static final int LENGTH = Ed25519PublicKeyParameters.KEY_SIZE;
  public static final int SIGNATURE_LENGTH = 64;

  private final byte[] raw;
  private final Ed25519PublicKeyParameters params;

  private Ed25519PublicKey(byte[] raw, Ed25519PublicKeyParameters params) {
    this.raw = raw;
    this.params = params;
  }

  static Ed25519PublicKey of(Ed25519PublicKeyParameters params) {
    return new Ed25519PublicKey(params.getEncoded(), params);
  }

  /** The key from its 32 raw bytes; {@link KeyFormatException} if they are not a valid point. */
  public static Ed25519PublicKey fromRaw(byte[] raw) {
    if (raw.length != LENGTH) {
      throw new KeyFormatException("Ed25519 public key must be " + LENGTH + " bytes, got " + raw.length);
    }
    try {
      return new Ed25519PublicKey(raw.clone(), new Ed25519PublicKeyParameters(raw, 0));
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException("invalid Ed25519 public key: " + e.getMessage(), e);
    }
  }

  /** Decodes the libp2p {@code PublicKey} protobuf; the type must be Ed25519. */
  public static Ed25519PublicKey fromProtobuf(byte[] protobuf) {
    KeyMessage m = KeyMessage.decode(protobuf, "public key");
    if (m.type() != KeyType.ED25519) {
      throw new KeyFormatException("expected an Ed25519 public key, got " + m.type().specName());
    }
    return fromRaw(m.data());
  }

  @Override
  public KeyType type() {
    return KeyType.ED25519;
  }

  /** The libp2p {@code PublicKey} protobuf, deterministically encoded. */
  @Override
  public byte[] toProtobuf() {
    return new KeyMessage(KeyType.ED25519, raw).encode();
  }

  @Override
  public byte[] raw() {
    return raw.clone();
  }

  /** Whether {@code signature} is this key's Ed25519 signature of {@code message}. */
  @Override
  public boolean verify(byte[] message, byte[] signature) {
    if (signature.length != SIGNATURE_LENGTH) {
      return false;
    }
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, params);
    verifier.update(message, 0, message.length);
    return verifier.verifySignature(signature);
  }

  /** The peer ID of this key: the identity multihash of its protobuf. */
  @Override
  public PeerId peerId() {
    return PeerId.fromPublicKey(this);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Ed25519PublicKey k && Arrays.equals(k.raw, raw);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(raw);
  }

  @Override
  public String toString() {
    return "Ed25519PublicKey[" + HexFormat.of().formatHex(raw) + "]";
  }
}
