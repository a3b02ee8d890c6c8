package io.canopy.identity;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A secp256k1 public key (libp2p key type 2, peer-ids.md §Secp256k1). Data is the 33-byte
 * compressed SEC1 point (the "standard Bitcoin encoding", which go-libp2p and js-libp2p write);
 * the 65-byte uncompressed form is refused, since a peer ID is derived from the encoding.
 *
 * <p>Signatures are ECDSA over the SHA-256 of the message, DER-encoded. The DER must be strict
 * (BIP 66: minimal lengths and integers, nothing trailing) with r and s in [1, n−1]; a high s is
 * accepted, as go-libp2p accepts it (js-libp2p's noble-curves refuses it).
 */
public final class Secp256k1PublicKey implements PublicKey {
  public static final int LENGTH = 33;
  /** A DER signature of two 33-byte integers: 2 + 2 × (2 + 33). */
  static final int MAX_SIGNATURE_LENGTH = 72;
  static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256k1");
  static final ECDomainParameters DOMAIN = new ECDomainParameters(CURVE);

  private final byte[] raw;
  private final ECPublicKeyParameters params;

  private Secp256k1PublicKey(byte[] raw, ECPublicKeyParameters params) {
    this.raw = raw;
    this.params = params;
  }

  /** The key from its 33-byte compressed point; {@link KeyFormatException} if it is not one. */
  public static Secp256k1PublicKey fromRaw(byte[] raw) {
    if (raw.length != LENGTH) {
      throw new KeyFormatException("Secp256k1 public key must be " + LENGTH + " bytes (compressed), got " + raw.length);
    }
    if (raw[0] != 0x02 && raw[0] != 0x03) {
      throw new KeyFormatException(
          "Secp256k1 public key must start with 02 or 03 (compressed), got " + HexFormat.of().toHexDigits(raw[0]));
    }
    ECPoint point;
    try {
      point = DOMAIN.getCurve().decodePoint(raw).normalize();
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException("invalid Secp256k1 public key: " + e.getMessage(), e);
    }
    if (point.isInfinity() || !point.isValid()) {
      throw new KeyFormatException("invalid Secp256k1 public key: not a point of the curve");
    }
    return new Secp256k1PublicKey(raw.clone(), new ECPublicKeyParameters(point, DOMAIN));
  }

  /** Decodes the libp2p {@code PublicKey} protobuf; the type must be Secp256k1. */
  public static Secp256k1PublicKey fromProtobuf(byte[] protobuf) {
    KeyMessage m = KeyMessage.decode(protobuf, "public key");
    if (m.type() != KeyType.SECP256K1) {
      throw new KeyFormatException("expected a Secp256k1 public key, got " + m.type().specName());
    }
    return fromRaw(m.data());
  }

  @Override
  public KeyType type() {
    return KeyType.SECP256K1;
  }

  @Override
  public byte[] raw() {
    return raw.clone();
  }

  @Override
  public byte[] toProtobuf() {
    return new KeyMessage(KeyType.SECP256K1, raw).encode();
  }

  @Override
  public boolean verify(byte[] data, byte[] signature) {
    BigInteger[] rs = parseDerSignature(signature);
    if (rs == null) {
      return false;
    }
    ECDSASigner verifier = new ECDSASigner();
    verifier.init(false, params);
    return verifier.verifySignature(sha256(data), rs[0], rs[1]);
  }

  /**
   * r and s of a strict DER {@code SEQUENCE { INTEGER r, INTEGER s }} (BIP 66 without the sighash
   * byte), both in [1, n−1]; null for anything else.
   */
  static BigInteger[] parseDerSignature(byte[] sig) {
    if (sig.length < 8 || sig.length > MAX_SIGNATURE_LENGTH) {
      return null;
    }
    if (sig[0] != 0x30 || (sig[1] & 0xff) != sig.length - 2 || sig[2] != 0x02) {
      return null;
    }
    int rLength = sig[3] & 0xff;
    if (5 + rLength >= sig.length || sig[4 + rLength] != 0x02) {
      return null;
    }
    int sLength = sig[5 + rLength] & 0xff;
    if (6 + rLength + sLength != sig.length) {
      return null;
    }
    if (!isMinimalPositiveInteger(sig, 4, rLength) || !isMinimalPositiveInteger(sig, 6 + rLength, sLength)) {
      return null;
    }
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(sig, 4, 4 + rLength));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(sig, 6 + rLength, 6 + rLength + sLength));
    BigInteger n = DOMAIN.getN();
    if (r.signum() == 0 || s.signum() == 0 || r.compareTo(n) >= 0 || s.compareTo(n) >= 0) {
      return null;
    }
    return new BigInteger[] {r, s};
  }

  private static boolean isMinimalPositiveInteger(byte[] b, int offset, int length) {
    if (length == 0 || (b[offset] & 0x80) != 0) {
      return false;
    }
    return !(length > 1 && b[offset] == 0 && (b[offset + 1] & 0x80) == 0);
  }

  static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secp256k1PublicKey k && Arrays.equals(k.raw, raw);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(raw);
  }

  @Override
  public String toString() {
    return "Secp256k1PublicKey[" + HexFormat.of().formatHex(raw) + "]";
  }
}
