package io.canopy.p2p.noise;

import java.security.SecureRandom;
import java.util.HexFormat;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

/**
 * A Curve25519 key pair for the Noise "25519" DH functions (Noise spec §12.1, RFC 7748): the
 * static key a libp2p node signs with its identity key, and each handshake's ephemeral key.
 *
 * <p>Bouncy Castle's lightweight X25519 is used because it works on the raw 32-byte keys Noise
 * puts on the wire and derives a public key from a given private key (test vectors fix both);
 * JDK 17's XDH needs little-endian BigInteger conversions for both and has no such derivation.
 */
public final class X25519KeyPair {
  /** DHLEN for 25519 (Noise spec §12.1). */
  public static final int KEY_LENGTH = 32;

  private final X25519PrivateKeyParameters privateKey;
  private final byte[] publicKey;

  private X25519KeyPair(X25519PrivateKeyParameters privateKey) {
    this.privateKey = privateKey;
    this.publicKey = privateKey.generatePublicKey().getEncoded();
  }

  /** GENERATE_KEYPAIR(): a new key from {@code random}. */
  public static X25519KeyPair generate(SecureRandom random) {
    return new X25519KeyPair(new X25519PrivateKeyParameters(random));
  }

  /** The key pair of a given 32-byte private key (clamped by X25519 as RFC 7748 §5 says). */
  public static X25519KeyPair fromPrivateKey(byte[] privateKey) {
    if (privateKey.length != KEY_LENGTH) {
      throw new IllegalArgumentException("X25519 private key must be 32 bytes, got " + privateKey.length);
    }
    return new X25519KeyPair(new X25519PrivateKeyParameters(privateKey, 0));
  }

  /** The 32-byte public key, as sent in a Noise message. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /**
   * DH(key pair, public key): the 32-byte X25519 shared secret.
   *
   * @throws NoiseException if {@code remotePublicKey} has the wrong length or is a low-order point
   *     (the result would be all zeros, which Noise spec §12.1 allows rejecting)
   */
  public byte[] dh(byte[] remotePublicKey) throws NoiseException {
    if (remotePublicKey.length != KEY_LENGTH) {
      throw new NoiseException("X25519 public key must be 32 bytes, got " + remotePublicKey.length);
    }
    byte[] shared = new byte[KEY_LENGTH];
    try {
      privateKey.generateSecret(new X25519PublicKeyParameters(remotePublicKey, 0), shared, 0);
    } catch (IllegalStateException e) { // Bouncy Castle's signal for an all-zero result
      throw new NoiseException("X25519 with a low-order public key (all-zero shared secret)", e);
    }
    return shared;
  }

  /** Shows the public key only. */
  @Override
  public String toString() {
    return "X25519KeyPair[public " + HexFormat.of().formatHex(publicKey) + "]";
  }
}
