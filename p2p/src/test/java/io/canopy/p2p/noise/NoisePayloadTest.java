package io.canopy.p2p.noise;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PublicKeys;
import io.canopy.testing.RandomInputs;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.junit.jupiter.api.Test;

class NoisePayloadTest {
  private static final HexFormat HEX = HexFormat.of();

  private static Ed25519PrivateKey key(long seed) {
    byte[] s = new byte[32];
    new SplittableRandom(seed).nextBytes(s);
    return Ed25519PrivateKey.fromSeed(s);
  }

  private static byte[] staticKey(long seed) {
    byte[] s = new byte[32];
    new SplittableRandom(seed).nextBytes(s);
    return X25519KeyPair.fromPrivateKey(s).publicKey();
  }

  @Test
  void signedPayloadVerifiesToTheSignersPeerId() throws Exception {
    Ed25519PrivateKey identity = key(1);
    byte[] s = staticKey(2);
    NoisePayload payload = NoisePayload.decode(NoisePayload.signed(identity, s, NoisePayload.Extensions.NONE).encode());
    assertThat(payload.verify(s)).isEqualTo(identity.peerId());
    assertThat(payload.extensions()).isNull(); // empty extensions are not sent
  }

  @Test
  void signatureCoversPrefixAndStaticKey() {
    Ed25519PrivateKey identity = key(1);
    byte[] s = staticKey(2);
    NoisePayload payload = NoisePayload.signed(identity, s, NoisePayload.Extensions.NONE);
    byte[] expectedData = new byte[24 + 32];
    System.arraycopy("noise-libp2p-static-key:".getBytes(StandardCharsets.UTF_8), 0, expectedData, 0, 24);
    System.arraycopy(s, 0, expectedData, 24, 32);
    assertThat(NoisePayload.signedData(s)).isEqualTo(expectedData);
    assertThat(identity.publicKey().verify(expectedData, payload.identitySig())).isTrue();
  }

  @Test
  void encodingIsFieldOneThenFieldTwo() {
    Ed25519PrivateKey identity = key(1);
    NoisePayload payload = NoisePayload.signed(identity, staticKey(2), NoisePayload.Extensions.NONE);
    byte[] pub = identity.publicKey().toProtobuf(); // 36 bytes: 08 01 12 20 <32>
    assertThat(HEX.formatHex(payload.encode()))
        .isEqualTo("0a24" + HEX.formatHex(pub) + "1240" + HEX.formatHex(payload.identitySig()));
  }

  @Test
  void signatureOverAnotherStaticKeyIsRejected() {
    Ed25519PrivateKey identity = key(1);
    NoisePayload payload = NoisePayload.signed(identity, staticKey(2), NoisePayload.Extensions.NONE);
    assertThatThrownBy(() -> payload.verify(staticKey(3)))
        .isInstanceOf(NoiseException.class)
        .hasMessageContaining("did not sign this Noise static key");
  }

  @Test
  void signatureByAnotherKeyIsRejected() {
    byte[] s = staticKey(2);
    NoisePayload honest = NoisePayload.signed(key(1), s, NoisePayload.Extensions.NONE);
    NoisePayload forged = new NoisePayload(key(9).publicKey().toProtobuf(), honest.identitySig(), null);
    assertThatThrownBy(() -> forged.verify(s)).isInstanceOf(NoiseException.class);
    NoisePayload shortSig = new NoisePayload(honest.identityKey(), new byte[63], null);
    assertThatThrownBy(() -> shortSig.verify(s)).isInstanceOf(NoiseException.class);
  }

  @Test
  void missingOrUnsupportedIdentityKeyIsRejected() {
    assertThatThrownBy(() -> new NoisePayload(new byte[0], new byte[64], null).verify(staticKey(2)))
        .hasMessageContaining("no identity key");
    // An ECDSA key protobuf (Type = 3), which Canopy does not support: named in the reason.
    byte[] ecdsa = HEX.parseHex("08031204" + "01020304");
    assertThatThrownBy(() -> new NoisePayload(ecdsa, new byte[64], null).verify(staticKey(2)))
        .isInstanceOf(NoiseException.class)
        .hasMessageContaining("ECDSA");
    // Not a protobuf at all.
    assertThatThrownBy(() -> new NoisePayload(new byte[] {(byte) 0xff}, new byte[64], null).verify(staticKey(2)))
        .isInstanceOf(NoiseException.class)
        .hasMessageContaining("identity key");
  }

  /** A Secp256k1 identity (go-libp2p nodes may have one): ECDSA over SHA-256, DER signature. */
  @Test
  void secp256k1IdentityVerifies() throws Exception {
    X9ECParameters curve = CustomNamedCurves.getByName("secp256k1");
    ECDomainParameters domain =
        new ECDomainParameters(curve.getCurve(), curve.getG(), curve.getN(), curve.getH());
    BigInteger d = new BigInteger(1, HEX.parseHex("c0ffee" + "00".repeat(28) + "01"));
    byte[] compressed = domain.getG().multiply(d).normalize().getEncoded(true);
    byte[] protobuf = new byte[4 + 33];
    protobuf[0] = 0x08;
    protobuf[1] = 0x02;
    protobuf[2] = 0x12;
    protobuf[3] = 33;
    System.arraycopy(compressed, 0, protobuf, 4, 33);

    byte[] s = staticKey(2);
    ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
    signer.init(true, new ECPrivateKeyParameters(d, domain));
    BigInteger[] rs = signer.generateSignature(MessageDigest.getInstance("SHA-256").digest(NoisePayload.signedData(s)));
    BigInteger low = domain.getN().shiftRight(1).compareTo(rs[1]) < 0 ? domain.getN().subtract(rs[1]) : rs[1];
    byte[] der = new DERSequence(new ASN1Encodable[] {new ASN1Integer(rs[0]), new ASN1Integer(low)}).getEncoded();

    NoisePayload payload = NoisePayload.decode(new NoisePayload(protobuf, der, null).encode());
    assertThat(payload.verify(s)).isEqualTo(PublicKeys.decode(protobuf).peerId());
    assertThatThrownBy(() -> payload.verify(staticKey(3))).isInstanceOf(NoiseException.class);
  }

  @Test
  void extensionsRoundTrip() throws Exception {
    NoisePayload.Extensions ext = new NoisePayload.Extensions(
        List.of(HEX.parseHex("1220aabb"), new byte[0]), List.of("/yamux/1.0.0", "/mplex/6.7.0"));
    NoisePayload decoded = NoisePayload.decode(NoisePayload.signed(key(1), staticKey(2), ext).encode());
    assertThat(decoded.extensions().streamMuxers()).containsExactly("/yamux/1.0.0", "/mplex/6.7.0");
    assertThat(decoded.extensions().webtransportCerthashes()).hasSize(2);
    assertThat(decoded.extensions().webtransportCerthashes().get(0)).isEqualTo(HEX.parseHex("1220aabb"));
    assertThat(decoded.verify(staticKey(2))).isEqualTo(key(1).peerId());
  }

  @Test
  void unknownFieldsAreSkipped() throws Exception {
    Ed25519PrivateKey identity = key(1);
    byte[] s = staticKey(2);
    byte[] known = NoisePayload.signed(identity, s, NoisePayload.Extensions.NONE).encode();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(HEX.parseHex("1a03616263")); // field 3 (the old "data"), bytes "abc"
    out.writeBytes(HEX.parseHex("289601")); // field 5, varint 150
    out.writeBytes(HEX.parseHex("310102030405060708")); // field 6, fixed64
    out.writeBytes(HEX.parseHex("3d01020304")); // field 7, fixed32
    out.writeBytes(known);
    out.writeBytes(HEX.parseHex("2200")); // field 4: empty extensions message
    NoisePayload decoded = NoisePayload.decode(out.toByteArray());
    assertThat(decoded.verify(s)).isEqualTo(identity.peerId());
    assertThat(decoded.extensions().streamMuxers()).isEmpty();
  }

  @Test
  void malformedPayloadsAreRejected() {
    for (String bad : List.of(
        "0a", // tag without length
        "0a05aabb", // length past the end
        "08", // truncated varint
        "0801", // identity_key with wire type 0
        "0b", // group start
        "ffffffffffffffffffffff01", // 11-byte varint
        "2203120180" // extensions: stream_muxers "\u0080" is not UTF-8
    )) {
      assertThatThrownBy(() -> NoisePayload.decode(HEX.parseHex(bad)))
          .as(bad)
          .isInstanceOf(NoiseException.class);
    }
  }

  @Test
  void decodeNeverThrowsAnythingButNoiseException() {
    RandomInputs.forAll(
        0x5eed_0004L,
        2000,
        RandomInputs.edgeByteArrays(0, 64),
        r -> RandomInputs.bytes(r, 200),
        RandomInputs::hex,
        bytes -> {
          try {
            NoisePayload p = NoisePayload.decode(bytes);
            try {
              p.verify(staticKey(2));
            } catch (NoiseException expected) {
              // random keys do not verify
            }
          } catch (NoiseException expected) {
            // malformed: fine
          }
        });
  }

  @Test
  void encodeDecodeRoundTrip() {
    RandomInputs.forAll(
        0x5eed_0005L,
        300,
        List.of(),
        r -> new NoisePayload(RandomInputs.bytes(r, 300), RandomInputs.bytes(r, 200),
            r.nextBoolean() ? null : new NoisePayload.Extensions(
                RandomInputs.listOf(r, 0, 3, x -> RandomInputs.bytes(x, 40)),
                RandomInputs.listOf(r, 0, 3, x -> RandomInputs.bmpString(x, 20)))),
        p -> RandomInputs.hex(p.encode()),
        p -> {
          NoisePayload d = NoisePayload.decode(p.encode());
          assertThat(d.identityKey()).isEqualTo(p.identityKey());
          assertThat(d.identitySig()).isEqualTo(p.identitySig());
          if (p.extensions() == null || (p.extensions().streamMuxers().isEmpty()
              && p.extensions().webtransportCerthashes().isEmpty())) {
            assertThat(d.extensions()).isNull();
          } else {
            assertThat(d.extensions().streamMuxers()).isEqualTo(p.extensions().streamMuxers());
            assertThat(d.extensions().webtransportCerthashes())
                .usingElementComparator(java.util.Arrays::compare)
                .isEqualTo(p.extensions().webtransportCerthashes());
          }
        });
  }
}
