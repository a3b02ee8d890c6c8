package io.canopy.identity;

import static io.canopy.testing.RandomInputs.DEFAULT_MAX_SIZE;
import static io.canopy.testing.RandomInputs.bytes;
import static io.canopy.testing.RandomInputs.forAll;
import static io.canopy.testing.RandomInputs.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.multiformats.Multicodec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RsaKeyTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] CANOPY = "canopy".getBytes(StandardCharsets.UTF_8);

  /*
   * Fixed vector produced with @libp2p/crypto 5.1.23 / @libp2p/peer-id 6.0.15 (Node 20):
   * generateKeyPair('RSA', 2048), publicKeyToProtobuf(k.publicKey), k.sign(utf8("canopy")),
   * peerIdFromPublicKey(k.publicKey).toString() and .toCID().toString().
   */
  static final String PUBLIC_DER =
      "30820122300d06092a864886f70d01010105000382010f003082010a0282010100f21b7899c28791fb3c0ea61c5f8157"
          + "323c0f553d5e492d6bfb90ac714ebfee511f5d917fb82d7fec7601095239b519ce861bdae9ac01fe85d90a1a35b1"
          + "9593d931453260b33b9ffd279ad7b322e3e5625002a8906c20e4ad691de7c86f37a705de933e34fe798e275efc51"
          + "42aa35e0b83015d41fc7964de4eb04afb90ef1dcc73933cf56ed9235c4e4a7b15541e6c6e9643edf5ec0f8603029"
          + "551bac61905d52b2b4ab3fb7ba1cb19d3392a8187f51231ef1ce1a4f0e03273d759f1ee05b0b2f59afb4a62b183c"
          + "072ada93dcbe022c909d68a7cd05ea198b55d60fbfaad854cb79d976ba58f06a1b2131766e72c5433839b44bdb44"
          + "e1b752bca381224e854e850203010001";
  static final String PUBLIC_PROTOBUF = "080012a602" + PUBLIC_DER;
  static final String SIGNATURE_OF_CANOPY =
      "c8cb14eb8a80cbe4cc772ee4a4323517b60fe2aeb587c863bcf04c9813db6d8e45cb37c461dd79b9e6905b7882c60557"
          + "916441b0326554162745064a019b068ba6d2c91f6329ef3cab7f610fc77c9c2cdd3577b8e757bc1bd3a550880e83"
          + "6d604daf8fb017c7145462fc6f90445c8085e849f8e69c59d42f8afdd35cb9578e4d3c84819017b15a2bd7408b4c"
          + "0a4f65b2f3f8715628f294b1041e2ce579be01ebe0d507d0417f9a1623c570e70ba6bb895f28b29de7213f965ae6"
          + "cfe6d53edc605f9cde1fc832e2605050ef090658a32c9039b0b18220fe9ee251e7aecc35a3be04fc870c90721ba4"
          + "189df1ed5281c7adf90c7c11f9790c5d9717f63a6acf2b10";
  static final String PEER_ID = "QmSa63kbYBVE1fpM8zfYjbQtVHTocb59Nx6MHW3kGnApB1";
  static final String PEER_ID_CID = "bafzbeib637zoj7pyyuhdt4fsknvt4wuz3h6kgn3ilx7wx5yhhot6vleoha";

  /** One generated key for the whole class: RSA key generation is the slow part. */
  private static KeyPair generated;

  @BeforeAll
  static void generateKey() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048, new SecureRandom());
    generated = generator.generateKeyPair();
  }

  @Test
  void jsLibp2pVectorVerifiesAndGivesItsPeerId() {
    PublicKey key = PublicKeys.decode(HEX.parseHex(PUBLIC_PROTOBUF));

    assertThat(key).isInstanceOf(RsaPublicKey.class);
    assertThat(key.type()).isEqualTo(KeyType.RSA);
    assertThat(((RsaPublicKey) key).bits()).isEqualTo(2048);
    assertThat(HEX.formatHex(key.raw())).isEqualTo(PUBLIC_DER);
    assertThat(HEX.formatHex(key.toProtobuf())).isEqualTo(PUBLIC_PROTOBUF);
    assertThat(key.verify(CANOPY, HEX.parseHex(SIGNATURE_OF_CANOPY))).isTrue();
    assertThat(key.verify("canopz".getBytes(StandardCharsets.UTF_8), HEX.parseHex(SIGNATURE_OF_CANOPY))).isFalse();

    // The protobuf is 298 bytes, over 42: the peer ID is its sha2-256 multihash and carries no key.
    PeerId id = key.peerId();
    assertThat(id).hasToString(PEER_ID);
    assertThat(id.multihash().code()).isEqualTo(Multicodec.SHA2_256.code());
    assertThat(id).isEqualTo(PeerId.fromPublicKeyProtobuf(HEX.parseHex(PUBLIC_PROTOBUF)));
    assertThat(id.toCid().toString()).isEqualTo(PEER_ID_CID);
    assertThat(PeerId.parse(PEER_ID_CID)).isEqualTo(id);
    assertThat(id.publicKey()).isEmpty();
    assertThat(id.matches(key)).isTrue();
    assertThat(key.toString()).contains(PEER_ID);
  }

  @Test
  void signaturesMadeHereVerifyAndNothingElseDoes() throws GeneralSecurityException {
    RsaPublicKey key = RsaPublicKey.fromDer(generated.getPublic().getEncoded());
    assertThat(RsaPublicKey.fromProtobuf(key.toProtobuf())).isEqualTo(key);
    PublicKey vectorKey = PublicKeys.decode(HEX.parseHex(PUBLIC_PROTOBUF));

    forAll(0x45aL, 20, List.of(new byte[0], CANOPY), r -> bytes(r, DEFAULT_MAX_SIZE), b -> hex(b), message -> {
      byte[] sig = sign(message);
      assertThat(key.verify(message, sig)).isTrue();
      assertThat(key.verify(Arrays.copyOf(message, message.length + 1), sig)).isFalse();
      byte[] damaged = sig.clone();
      damaged[damaged.length / 2] ^= 0x10;
      assertThat(key.verify(message, damaged)).isFalse();
      assertThat(key.verify(message, Arrays.copyOf(sig, sig.length - 1))).isFalse();
      assertThat(key.verify(message, new byte[0])).isFalse();
      assertThat(vectorKey.verify(message, sig)).isFalse();
    });
  }

  @Test
  void keysOutsideTheSizeBoundsOrMalformedAreRefused() throws GeneralSecurityException {
    KeyPairGenerator small = KeyPairGenerator.getInstance("RSA");
    small.initialize(1024, new SecureRandom());
    byte[] der1024 = small.generateKeyPair().getPublic().getEncoded();
    assertThatThrownBy(() -> RsaPublicKey.fromDer(der1024))
        .isInstanceOf(KeyFormatException.class).hasMessageContaining("1024 bits");

    byte[] der = HEX.parseHex(PUBLIC_DER);
    assertThatThrownBy(() -> RsaPublicKey.fromDer(Arrays.copyOf(der, der.length - 1)))
        .isInstanceOf(KeyFormatException.class).hasMessageContaining("invalid RSA public key");
    assertThatThrownBy(() -> RsaPublicKey.fromDer(new byte[] {0x30, 0x00}))
        .isInstanceOf(KeyFormatException.class);
    // An Ed25519 SubjectPublicKeyInfo is not an RSA key.
    byte[] ed25519Spki = HEX.parseHex("302a300506032b6570032100" + Ed25519KeyTest.PUBLIC_RAW);
    assertThatThrownBy(() -> RsaPublicKey.fromDer(ed25519Spki)).isInstanceOf(KeyFormatException.class);
    assertThatThrownBy(() -> RsaPublicKey.fromProtobuf(HEX.parseHex(Secp256k1KeyTest.PUBLIC_PROTOBUF)))
        .isInstanceOf(KeyFormatException.class).hasMessageContaining("got Secp256k1");
  }

  private static byte[] sign(byte[] message) throws GeneralSecurityException {
    Signature signer = Signature.getInstance("SHA256withRSA");
    signer.initSign(generated.getPrivate());
    signer.update(message);
    return signer.sign();
  }
}
