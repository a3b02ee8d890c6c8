package io.canopy.identity;

import static io.canopy.testing.RandomInputs.DEFAULT_MAX_SIZE;
import static io.canopy.testing.RandomInputs.bytes;
import static io.canopy.testing.RandomInputs.bytesOfSize;
import static io.canopy.testing.RandomInputs.forAll;
import static io.canopy.testing.RandomInputs.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.junit.jupiter.api.Test;

class Secp256k1KeyTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] CANOPY = "canopy".getBytes(StandardCharsets.UTF_8);
  private static final BigInteger N = Secp256k1PublicKey.DOMAIN.getN();

  /*
   * Fixed vector produced with @libp2p/crypto 5.1.23 / @libp2p/peer-id 6.0.15 (Node 20):
   * generateKeyPair('secp256k1'), publicKeyToProtobuf(k.publicKey), k.sign(utf8("canopy")),
   * peerIdFromPublicKey(k.publicKey).toString() and .toCID().toString().
   */
  static final String PUBLIC_RAW = "0273e9fd462789349317ddb09c9df6bbc2701cb63b69123dd8f3b9439b49ddd4c1";
  static final String PUBLIC_PROTOBUF = "08021221" + PUBLIC_RAW;
  static final String SIGNATURE_OF_CANOPY =
      "3045022100e24a324a3a9cd7862f9dfc9b049ffb64bddfd3ba5dd877c53bfe4c092d428a7f"
          + "02202659e6b66bfb6e380b5dcb1c4f35c6e1c46ae2549ba68b85c6926d14111326c2";
  static final String PEER_ID = "16Uiu2HAm3E9ojhSry2HqKRTKS25hr8QXEVux8Ht59aKB3fAYNsBW";
  static final String PEER_ID_CID = "bafzaajiiaijccatt5h6umj4jgsjrpxnqtso7no6coaolmo3jci65r45zionutxouye";

  @Test
  void jsLibp2pVectorVerifiesAndGivesItsPeerId() {
    PublicKey key = PublicKeys.decode(HEX.parseHex(PUBLIC_PROTOBUF));

    assertThat(key).isInstanceOf(Secp256k1PublicKey.class);
    assertThat(key.type()).isEqualTo(KeyType.SECP256K1);
    assertThat(HEX.formatHex(key.raw())).isEqualTo(PUBLIC_RAW);
    assertThat(HEX.formatHex(key.toProtobuf())).isEqualTo(PUBLIC_PROTOBUF);
    assertThat(key.verify(CANOPY, HEX.parseHex(SIGNATURE_OF_CANOPY))).isTrue();
    assertThat(key.verify("canopz".getBytes(StandardCharsets.UTF_8), HEX.parseHex(SIGNATURE_OF_CANOPY))).isFalse();

    // 37-byte protobuf: inlined in an identity multihash.
    PeerId id = key.peerId();
    assertThat(id).hasToString(PEER_ID);
    assertThat(id.multihash().code()).isEqualTo(Multicodec.IDENTITY.code());
    assertThat(id.toCid().toString()).isEqualTo(PEER_ID_CID);
    assertThat(PeerId.parse(PEER_ID_CID)).isEqualTo(id);
    assertThat(id.publicKey()).contains(key);
    assertThat(id.ed25519PublicKey()).isEmpty();
    assertThat(id.matches(key)).isTrue();
  }

  @Test
  void signaturesMadeHereVerifyAndNothingElseDoes() {
    record Case(byte[] secret, byte[] message) {}
    forAll(0x5ec9L, 30, List.of(new Case(new byte[] {1}, new byte[0]), new Case(N.subtract(BigInteger.ONE).toByteArray(), CANOPY)),
        r -> new Case(bytesOfSize(r, 32), bytes(r, DEFAULT_MAX_SIZE)),
        c -> "secret=" + hex(c.secret()) + " message=" + hex(c.message()),
        c -> {
          BigInteger d = scalar(c.secret());
          Secp256k1PublicKey key = Secp256k1PublicKey.fromRaw(publicKeyOf(d));
          byte[] sig = sign(d, c.message());

          assertThat(key.verify(c.message(), sig)).isTrue();
          assertThat(Secp256k1PublicKey.fromProtobuf(key.toProtobuf())).isEqualTo(key);
          assertThat(key.peerId().publicKey()).contains(key);
          // Another message, a damaged signature, another key: all refused.
          byte[] other = Arrays.copyOf(c.message(), c.message().length + 1);
          assertThat(key.verify(other, sig)).isFalse();
          byte[] damaged = sig.clone();
          damaged[damaged.length - 1] ^= 1;
          assertThat(key.verify(c.message(), damaged)).isFalse();
          Secp256k1PublicKey otherKey = Secp256k1PublicKey.fromRaw(publicKeyOf(d.add(BigInteger.ONE).mod(N).max(BigInteger.ONE)));
          assertThat(otherKey.verify(c.message(), sig)).isFalse();
        });
  }

  @Test
  void highSIsAcceptedAsGoLibp2pDoes() {
    BigInteger d = scalar(HEX.parseHex("01020304"));
    Secp256k1PublicKey key = Secp256k1PublicKey.fromRaw(publicKeyOf(d));
    BigInteger[] rs = signRs(d, CANOPY);
    BigInteger low = rs[1].min(N.subtract(rs[1]));

    assertThat(key.verify(CANOPY, der(rs[0], low))).isTrue();
    assertThat(key.verify(CANOPY, der(rs[0], N.subtract(low)))).isTrue();
  }

  @Test
  void nonCanonicalDerIsRefused() {
    byte[] good = HEX.parseHex(SIGNATURE_OF_CANOPY);
    Secp256k1PublicKey key = Secp256k1PublicKey.fromProtobuf(HEX.parseHex(PUBLIC_PROTOBUF));
    String r = "00e24a324a3a9cd7862f9dfc9b049ffb64bddfd3ba5dd877c53bfe4c092d428a7f";
    String s = "2659e6b66bfb6e380b5dcb1c4f35c6e1c46ae2549ba68b85c6926d14111326c2";
    assertThat(key.verify(CANOPY, good)).isTrue();

    List<String> bad = List.of(
        SIGNATURE_OF_CANOPY + "00", // a trailing byte
        "3046022100" + r.substring(2) + "022100" + s, // s with a needless leading zero
        "3046022200" + r + "0220" + s, // r with a needless leading zero
        "3044022000" + r.substring(4) + "0220" + s, // r with a leading zero its next byte does not need
        "308145022100" + r.substring(2) + "0220" + s, // long-form sequence length
        "3044022100" + r.substring(2) + "0220" + s, // sequence length too short
        "3046022100" + r.substring(2) + "0220" + s, // sequence length too long
        "3045022200" + r.substring(2) + "0220" + s, // r length runs into s
        "3045022100" + r.substring(2) + "0320" + s, // s not an INTEGER
        "3145022100" + r.substring(2) + "0220" + s, // not a SEQUENCE
        "3006020100020101", // r = 0
        "3006020180020101", // r negative
        "3006020101020100", // s = 0
        "", "30", "3000", "3002020101");
    for (String hex : bad) {
      assertThat(key.verify(CANOPY, HEX.parseHex(hex))).as(hex).isFalse();
    }
    // r = n and s = n are out of range even though well-formed.
    BigInteger[] rs = {new BigInteger(1, HEX.parseHex(r)), new BigInteger(1, HEX.parseHex(s))};
    assertThat(key.verify(CANOPY, der(N, rs[1]))).isFalse();
    assertThat(key.verify(CANOPY, der(rs[0], N))).isFalse();
    assertThat(key.verify(CANOPY, der(rs[0].add(N), rs[1]))).isFalse();
  }

  @Test
  void malformedKeysAreRefused() {
    assertThatThrownBy(() -> Secp256k1PublicKey.fromRaw(new byte[32]))
        .isInstanceOf(KeyFormatException.class).hasMessageContaining("33 bytes");
    byte[] uncompressed = Secp256k1PublicKey.DOMAIN.getCurve().decodePoint(HEX.parseHex(PUBLIC_RAW)).getEncoded(false);
    assertThatThrownBy(() -> Secp256k1PublicKey.fromRaw(uncompressed))
        .isInstanceOf(KeyFormatException.class).hasMessageContaining("got 65");
    byte[] badPrefix = HEX.parseHex(PUBLIC_RAW);
    badPrefix[0] = 0x04;
    assertThatThrownBy(() -> Secp256k1PublicKey.fromRaw(badPrefix))
        .isInstanceOf(KeyFormatException.class).hasMessageContaining("02 or 03");
    // x = p - 1 + 2 is past the field; x = 5 has no point (5^3 + 7 = 132 is not a square mod p).
    byte[] pastField = HEX.parseHex("02" + "ff".repeat(32));
    assertThatThrownBy(() -> Secp256k1PublicKey.fromRaw(pastField)).isInstanceOf(KeyFormatException.class);
    byte[] notOnCurve = new byte[33];
    notOnCurve[0] = 0x02;
    notOnCurve[32] = 5;
    assertThatThrownBy(() -> Secp256k1PublicKey.fromRaw(notOnCurve)).isInstanceOf(KeyFormatException.class);
    assertThatThrownBy(() -> Secp256k1PublicKey.fromProtobuf(HEX.parseHex(Ed25519KeyTest.PUBLIC_PROTOBUF)))
        .isInstanceOf(KeyFormatException.class).hasMessageContaining("got Ed25519");
  }

  // ---- signing, for the tests only (Canopy itself signs with Ed25519) --------------------------

  static BigInteger scalar(byte[] secret) {
    BigInteger d = new BigInteger(1, secret).mod(N);
    return d.signum() == 0 ? BigInteger.ONE : d;
  }

  static byte[] publicKeyOf(BigInteger d) {
    return Secp256k1PublicKey.DOMAIN.getG().multiply(d).normalize().getEncoded(true);
  }

  static BigInteger[] signRs(BigInteger d, byte[] message) {
    ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
    signer.init(true, new ECPrivateKeyParameters(d, Secp256k1PublicKey.DOMAIN));
    return signer.generateSignature(Secp256k1PublicKey.sha256(message));
  }

  static byte[] sign(BigInteger d, byte[] message) {
    BigInteger[] rs = signRs(d, message);
    return der(rs[0], rs[1]);
  }

  static byte[] der(BigInteger r, BigInteger s) {
    try {
      return new DERSequence(new ASN1Integer[] {new ASN1Integer(r), new ASN1Integer(s)}).getEncoded();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
