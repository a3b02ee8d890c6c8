package io.canopy.identity;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * An Ed25519 private key (RFC 8032), held as its 32-byte seed.
 *
 * <p>In the libp2p {@code PrivateKey} protobuf (peer-ids.md §Ed25519) the Data field is what Go
 * and JS libp2p write: the 64 bytes {@code seed || public key}. Decoding also accepts the bare
 * 32-byte seed and go-libp2p's legacy 96-byte form ({@code seed || public || public}); when the
 * public half is present it must be the key derived from the seed.
 */
public final class Ed25519PrivateKey {
  public static final int SEED_LENGTH = Ed25519PrivateKeyParameters.KEY_SIZE;

  private final Ed25519PrivateKeyParameters params;
  private final Ed25519PublicKey publicKey;

  private Ed25519PrivateKey(Ed25519PrivateKeyParameters params) {
    this.params = params;
    this.publicKey = Ed25519PublicKey.of(params.generatePublicKey());
  }

  /** A new key from {@code random} (inject a seeded source in tests, a SecureRandom otherwise). */
  public static Ed25519PrivateKey generate(SecureRandom random) {
    return new Ed25519PrivateKey(new Ed25519PrivateKeyParameters(random));
  }

  public static Ed25519PrivateKey fromSeed(byte[] seed) {
    if (seed.length != SEED_LENGTH) {
      throw new KeyFormatException("Ed25519 seed must be " + SEED_LENGTH + " bytes, got " + seed.length);
    }
    return new Ed25519PrivateKey(new Ed25519PrivateKeyParameters(seed, 0));
  }

  /** Decodes the libp2p {@code PrivateKey} protobuf; the type must be Ed25519. */
  public static Ed25519PrivateKey fromProtobuf(byte[] protobuf) {
    KeyMessage m = KeyMessage.decode(protobuf, "private key");
    if (m.type() != KeyType.ED25519) {
      throw new KeyFormatException("expected an Ed25519 private key, got " + m.type().specName());
    }
    byte[] data = m.data();
    int n = data.length;
    if (n != SEED_LENGTH && n != 2 * SEED_LENGTH && n != 3 * SEED_LENGTH) {
      throw new KeyFormatException(
          "Ed25519 private key data must be 32, 64 or 96 bytes, got " + n);
    }
    Ed25519PrivateKey key = fromSeed(Arrays.copyOf(data, SEED_LENGTH));
    byte[] pub = key.publicKey.raw();
    for (int off = SEED_LENGTH; off < n; off += SEED_LENGTH) {
      if (!MessageDigest.isEqual(pub, Arrays.copyOfRange(data, off, off + SEED_LENGTH))) {
        throw new KeyFormatException("Ed25519 private key data: public half does not match the seed");
      }
    }
    return key;
  }

  /** The libp2p {@code PrivateKey} protobuf with Data = seed || public key (64 bytes). */
  public byte[] toProtobuf() {
    byte[] data = new byte[2 * SEED_LENGTH];
    params.encode(data, 0);
    System.arraycopy(publicKey.raw(), 0, data, SEED_LENGTH, SEED_LENGTH);
    return new KeyMessage(KeyType.ED25519, data).encode();
  }

  public byte[] seed() {
    return params.getEncoded();
  }

  public Ed25519PublicKey publicKey() {
    return publicKey;
  }

  public PeerId peerId() {
    return publicKey.peerId();
  }

  /** The 64-byte Ed25519 signature of {@code message}. */
  public byte[] sign(byte[] message) {
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, params);
    signer.update(message, 0, message.length);
    return signer.generateSignature();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Ed25519PrivateKey k && MessageDigest.isEqual(k.seed(), seed());
  }

  @Override
  public int hashCode() {
    return publicKey.hashCode();
  }

  /** Never prints key material. */
  @Override
  public String toString() {
    return "Ed25519PrivateKey[" + peerId() + "]";
  }
}
