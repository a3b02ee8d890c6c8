package io.canopy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.multiformats.Multibase;
import io.canopy.multiformats.Multicodec;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class PeerIdTest {
  private static final HexFormat HEX = HexFormat.of();

  // The Ed25519KeyTest vector's peer ID in its three text forms, all printed by @libp2p/peer-id
  // 6.0.15: toString(), toCID().toString(), toCID().toString(base36).
  static final String BASE58 = Ed25519KeyTest.PEER_ID;
  static final String CID_BASE32 = "bafzaajaiaejcaa5ba677htqqxyoxbxiy45f4bglh4tldbg5fbvpr3xegmqjfkmny";
  static final String CID_BASE36 = "k51qzi5uqu5dg9ufswxt229ntzdy7p4125xzv5rtyjso89ajdujg6csfxcj260";

  private static Ed25519PublicKey vectorKey() {
    return Ed25519PublicKey.fromRaw(HEX.parseHex(Ed25519KeyTest.PUBLIC_RAW));
  }

  @Test
  void ed25519PeerIdIsTheIdentityMultihashOfTheProtobufKey() {
    PeerId id = vectorKey().peerId();

    assertThat(id.multihash().code()).isEqualTo(Multicodec.IDENTITY.code());
    assertThat(HEX.formatHex(id.toBytes())).isEqualTo("0024" + Ed25519KeyTest.PUBLIC_PROTOBUF);
    assertThat(id).hasToString(BASE58);
    assertThat(id.toString()).startsWith("12D3KooW");
  }

  @Test
  void writesAndParsesTheCidForms() {
    PeerId id = vectorKey().peerId();

    assertThat(id.toCid().toString()).isEqualTo(CID_BASE32);
    assertThat(id.toCidString(Multibase.BASE36)).isEqualTo(CID_BASE36);
    assertThat(PeerId.parse(CID_BASE32)).isEqualTo(id);
    assertThat(PeerId.parse(CID_BASE36)).isEqualTo(id);
    assertThat(PeerId.parse(BASE58)).isEqualTo(id);
  }

  @Test
  void givesBackTheInlinedKey() {
    PeerId id = PeerId.parse(BASE58);
    assertThat(id.ed25519PublicKey()).contains(vectorKey());
    assertThat(id.matches(vectorKey())).isTrue();
  }

  @Test
  void largeKeysAreHashedAndCarryNoKey() {
    // An RSA-typed key protobuf longer than 42 bytes gets a sha2-256 peer ID ("Qm…").
    byte[] rsa = new byte[4 + 60];
    rsa[0] = 0x08;
    rsa[1] = 0x00;
    rsa[2] = 0x12;
    rsa[3] = 60;
    PeerId id = PeerId.fromPublicKeyProtobuf(rsa);

    assertThat(id.multihash().code()).isEqualTo(Multicodec.SHA2_256.code());
    assertThat(id.toString()).startsWith("Qm");
    assertThat(PeerId.parse(id.toString())).isEqualTo(id);
    assertThat(id.ed25519PublicKey()).isEmpty();
  }

  @Test
  void rejectsMalformedText() {
    assertThatThrownBy(() -> PeerId.parse("")).isInstanceOf(KeyFormatException.class);
    assertThatThrownBy(() -> PeerId.parse("12D3KooW0OIl")).isInstanceOf(KeyFormatException.class)
        .hasMessageContaining("12D3KooW0OIl");
    // A truncated peer ID.
    assertThatThrownBy(() -> PeerId.parse(BASE58.substring(0, 30))).isInstanceOf(KeyFormatException.class);
    // A file CID is not a peer ID.
    assertThatThrownBy(() -> PeerId.parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"))
        .isInstanceOf(KeyFormatException.class)
        .hasMessageContaining("libp2p-key");
    assertThatThrownBy(() -> PeerId.parse("x".repeat(200))).hasMessageContaining("longer than");
  }
}
