package io.canopy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class PublicKeysTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void dispatchesOnTheKeyType() {
    assertThat(PublicKeys.decode(HEX.parseHex(Ed25519KeyTest.PUBLIC_PROTOBUF)))
        .isEqualTo(Ed25519PublicKey.fromRaw(HEX.parseHex(Ed25519KeyTest.PUBLIC_RAW)))
        .extracting(PublicKey::type).isEqualTo(KeyType.ED25519);
    assertThat(PublicKeys.decode(HEX.parseHex(Secp256k1KeyTest.PUBLIC_PROTOBUF)))
        .isInstanceOf(Secp256k1PublicKey.class);
    assertThat(PublicKeys.decode(HEX.parseHex(RsaKeyTest.PUBLIC_PROTOBUF)))
        .isInstanceOf(RsaPublicKey.class);
  }

  @Test
  void everyKeyTypeGivesItsPeerIdAndMatchesIt() {
    for (String pb : new String[] {
        Ed25519KeyTest.PUBLIC_PROTOBUF, Secp256k1KeyTest.PUBLIC_PROTOBUF, RsaKeyTest.PUBLIC_PROTOBUF}) {
      PublicKey key = PublicKeys.decode(HEX.parseHex(pb));
      PeerId id = PeerId.fromPublicKey(key);
      assertThat(id).isEqualTo(key.peerId()).isEqualTo(PeerId.fromPublicKeyProtobuf(HEX.parseHex(pb)));
      assertThat(id.matches(key)).isTrue();
    }
    assertThat(PeerId.parse(Ed25519KeyTest.PEER_ID).publicKey())
        .contains(PublicKeys.decode(HEX.parseHex(Ed25519KeyTest.PUBLIC_PROTOBUF)));
    assertThat(PeerId.parse(Ed25519KeyTest.PEER_ID).matches(PublicKeys.decode(HEX.parseHex(Secp256k1KeyTest.PUBLIC_PROTOBUF))))
        .isFalse();
  }

  @Test
  void ecdsaIsReportedAsUnsupported() {
    // Type 3 with a P-256 SubjectPublicKeyInfo-shaped Data field.
    byte[] ecdsa = HEX.parseHex("0803125b3059301306072a8648ce3d020106082a8648ce3d030107034200" + "04" + "11".repeat(64));
    assertThatThrownBy(() -> PublicKeys.decode(ecdsa))
        .isInstanceOf(KeyFormatException.class)
        .hasMessageContaining("ECDSA")
        .hasMessageContaining("not supported");
  }

  @Test
  void malformedProtobufsAreKeyFormatErrors() {
    assertThatThrownBy(() -> PublicKeys.decode(new byte[0])).isInstanceOf(KeyFormatException.class).hasMessageContaining("no Type");
    assertThatThrownBy(() -> PublicKeys.decode(HEX.parseHex("0809120100"))).hasMessageContaining("unknown key type 9");
    assertThatThrownBy(() -> PublicKeys.decode(HEX.parseHex("08021203020202"))).hasMessageContaining("33 bytes");
    assertThatThrownBy(() -> PublicKeys.decode(HEX.parseHex("0800120130"))).hasMessageContaining("RSA");
  }
}
