package io.canopy.identity;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/**
 * An RSA public key (libp2p key type 0, peer-ids.md §RSA). Data is the DER-encoded PKIX {@code
 * SubjectPublicKeyInfo}; signatures are RSASSA-PKCS1-v1_5 with SHA-256. Its protobuf is always
 * longer than 42 bytes, so its peer ID is a sha2-256 multihash ({@code Qm…}).
 *
 * <p>Moduli of {@value #MIN_BITS} to {@value #MAX_BITS} bits only, the bounds go-libp2p enforces.
 */
public final class RsaPublicKey implements PublicKey {
  public static final int MIN_BITS = 2048;
  public static final int MAX_BITS = 8192;

  private final byte[] der;
  private final RSAPublicKey key;

  private RsaPublicKey(byte[] der, RSAPublicKey key) {
    this.der = der;
    this.key = key;
  }

  /** The key from its DER {@code SubjectPublicKeyInfo}; {@link KeyFormatException} if it is not one. */
  public static RsaPublicKey fromDer(byte[] der) {
    RSAPublicKey key;
    try {
      key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("RSA missing from the JDK", e);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new KeyFormatException("invalid RSA public key (DER SubjectPublicKeyInfo): " + e.getMessage(), e);
    }
    int bits = key.getModulus().bitLength();
    if (bits < MIN_BITS || bits > MAX_BITS) {
      throw new KeyFormatException("RSA key of " + bits + " bits; " + MIN_BITS + " to " + MAX_BITS + " are accepted");
    }
    return new RsaPublicKey(der.clone(), key);
  }

  /** Decodes the libp2p {@code PublicKey} protobuf; the type must be RSA. */
  public static RsaPublicKey fromProtobuf(byte[] protobuf) {
    KeyMessage m = KeyMessage.decode(protobuf, "public key");
    if (m.type() != KeyType.RSA) {
      throw new KeyFormatException("expected an RSA public key, got " + m.type().specName());
    }
    return fromDer(m.data());
  }

  @Override
  public KeyType type() {
    return KeyType.RSA;
  }

  /** The DER {@code SubjectPublicKeyInfo} as it was given. */
  @Override
  public byte[] raw() {
    return der.clone();
  }

  @Override
  public byte[] toProtobuf() {
    return new KeyMessage(KeyType.RSA, der).encode();
  }

  public int bits() {
    return key.getModulus().bitLength();
  }

  @Override
  public boolean verify(byte[] data, byte[] signature) {
    try {
      Signature verifier = Signature.getInstance("SHA256withRSA");
      verifier.initVerify(key);
      verifier.update(data);
      return verifier.verify(signature);
    } catch (SignatureException e) {
      return false; // malformed signature
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("SHA256withRSA unavailable", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RsaPublicKey k && Arrays.equals(k.der, der);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(der);
  }

  @Override
  public String toString() {
    return "RsaPublicKey[" + bits() + " bits, " + peerId() + "]";
  }
}
