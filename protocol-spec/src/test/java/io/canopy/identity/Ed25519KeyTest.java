package io.canopy.identity;

import static io.canopy.testing.RandomInputs.DEFAULT_MAX_SIZE;
import static io.canopy.testing.RandomInputs.bytes;
import static io.canopy.testing.RandomInputs.bytesOfSize;
import static io.canopy.testing.RandomInputs.edgeByteArrays;
import static io.canopy.testing.RandomInputs.forAll;
import static io.canopy.testing.RandomInputs.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.testing.RandomInputs;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class Ed25519KeyTest {
  private static final HexFormat HEX = HexFormat.of();

  /*
   * Fixed vector produced with @libp2p/crypto 5.1.23 / @libp2p/peer-id 6.0.15 (Node 20):
   * generateKeyPairFromSeed('Ed25519', bytes 0x00..0x1f), privateKeyToProtobuf,
   * publicKeyToProtobuf, peerIdFromPrivateKey(k).toString(), k.sign(utf8("canopy")).
   */
  static final String SEED = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  static final String PUBLIC_RAW = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8";
  static final String PRIVATE_PROTOBUF = "08011240" + SEED + PUBLIC_RAW;
  static final String PUBLIC_PROTOBUF = "08011220" + PUBLIC_RAW;
  static final String PEER_ID = "12D3KooWA4Xop1JaT3MHxwYMkCepYsv4iPVopMXwCz5iHYdBfeSB";
  static final String SIGNATURE_OF_CANOPY =
      "a4de39edab851ad58ff1a7dad4b03874ef6e1228e50972bb1c8ac822d72650ce"
          + "a8eadeae5357793cf4f46c23a749c0a6cd3a73d340495a34725bee9f7700db09";

  @Test
  void seedGivesTheKeysAndProtobufsJsLibp2pWrites() {
    Ed25519PrivateKey key = Ed25519PrivateKey.fromSeed(HEX.parseHex(SEED));

    assertThat(HEX.formatHex(key.publicKey().raw())).isEqualTo(PUBLIC_RAW);
    assertThat(HEX.formatHex(key.toProtobuf())).isEqualTo(PRIVATE_PROTOBUF);
    assertThat(HEX.formatHex(key.publicKey().toProtobuf())).isEqualTo(PUBLIC_PROTOBUF);
    assertThat(key.peerId()).hasToString(PEER_ID);
  }

  @Test
  void signatureMatchesJsLibp2pAndVerifies() {
    Ed25519PrivateKey key = Ed25519PrivateKey.fromSeed(HEX.parseHex(SEED));
    byte[] msg = "canopy".getBytes(StandardCharsets.UTF_8);

    byte[] sig = key.sign(msg);

    assertThat(HEX.formatHex(sig)).isEqualTo(SIGNATURE_OF_CANOPY);
    assertThat(key.publicKey().verify(msg, sig)).isTrue();
    assertThat(key.publicKey().verify("canopz".getBytes(StandardCharsets.UTF_8), sig)).isFalse();
    sig[0] ^= 1;
    assertThat(key.publicKey().verify(msg, sig)).isFalse();
    assertThat(key.publicKey().verify(msg, new byte[10])).isFalse();
  }

  @Test
  void decodesThe64ByteForm() {
    Ed25519PrivateKey key = Ed25519PrivateKey.fromProtobuf(HEX.parseHex(PRIVATE_PROTOBUF));
    assertThat(HEX.formatHex(key.seed())).isEqualTo(SEED);
    assertThat(key.peerId()).hasToString(PEER_ID);
  }

  @Test
  void decodesABare32ByteSeedAndGosLegacy96ByteForm() {
    Ed25519PrivateKey fromSeed = Ed25519PrivateKey.fromProtobuf(HEX.parseHex("08011220" + SEED));
    Ed25519PrivateKey legacy =
        Ed25519PrivateKey.fromProtobuf(HEX.parseHex("08011260" + SEED + PUBLIC_RAW + PUBLIC_RAW));

    assertThat(fromSeed.peerId()).hasToString(PEER_ID);
    assertThat(legacy).isEqualTo(fromSeed);
    // Re-encoding always writes the 64-byte form.
    assertThat(HEX.formatHex(legacy.toProtobuf())).isEqualTo(PRIVATE_PROTOBUF);
  }

  @Test
  void aSecondKeyFromJsLibp2p() {
    // An Ed25519 private key protobuf; the peer ID was computed with @libp2p/peer-id 6.0.15.
    String pb =
        "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d"
            + "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
    Ed25519PrivateKey key = Ed25519PrivateKey.fromProtobuf(HEX.parseHex(pb));

    assertThat(key.peerId()).hasToString("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq");
    assertThat(HEX.formatHex(key.publicKey().toProtobuf()))
        .isEqualTo("080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e");
  }

  @Test
  void rejectsAPublicHalfThatIsNotTheSeedsKey() {
    String otherPublic = "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
    assertThatThrownBy(() -> Ed25519PrivateKey.fromProtobuf(HEX.parseHex("08011240" + SEED + otherPublic)))
        .isInstanceOf(KeyFormatException.class)
        .hasMessageContaining("does not match");
  }

  @Test
  void rejectsOtherKeyTypesAndBadLengthsAndBrokenProtobuf() {
    // Type = Secp256k1 (2)
    assertThatThrownBy(() -> Ed25519PrivateKey.fromProtobuf(HEX.parseHex("08021220" + SEED)))
        .isInstanceOf(KeyFormatException.class)
        .hasMessageContaining("Secp256k1");
    assertThatThrownBy(() -> Ed25519PublicKey.fromProtobuf(HEX.parseHex("08001220" + PUBLIC_RAW)))
        .hasMessageContaining("RSA");
    assertThatThrownBy(() -> Ed25519PrivateKey.fromProtobuf(HEX.parseHex("08011210" + SEED.substring(0, 32))))
        .hasMessageContaining("32, 64 or 96");
    assertThatThrownBy(() -> Ed25519PublicKey.fromProtobuf(HEX.parseHex("08011210" + SEED.substring(0, 32))))
        .hasMessageContaining("32 bytes");
    // Data claims 64 bytes, 32 present.
    assertThatThrownBy(() -> Ed25519PrivateKey.fromProtobuf(HEX.parseHex("08011240" + SEED)))
        .isInstanceOf(KeyFormatException.class)
        .hasMessageContaining("malformed");
    assertThatThrownBy(() -> Ed25519PublicKey.fromProtobuf(HEX.parseHex("1220" + PUBLIC_RAW)))
        .hasMessageContaining("no Type");
    assertThatThrownBy(() -> Ed25519PublicKey.fromProtobuf(HEX.parseHex("0801")))
        .hasMessageContaining("no Data");
    assertThatThrownBy(() -> Ed25519PublicKey.fromProtobuf(HEX.parseHex("08091220" + PUBLIC_RAW)))
        .hasMessageContaining("unknown key type 9");
  }

  @Test
  void decodeAcceptsFieldsInAnyOrderAndSkipsUnknownFields() {
    // Data first, then an unknown varint field 3, then Type.
    byte[] pb = HEX.parseHex("1220" + PUBLIC_RAW + "1805" + "0801");
    assertThat(Ed25519PublicKey.fromProtobuf(pb).peerId()).hasToString(PEER_ID);
  }

  @Test
  void generatedKeysDiffer() {
    SecureRandom random = new SecureRandom();
    assertThat(Ed25519PrivateKey.generate(random)).isNotEqualTo(Ed25519PrivateKey.generate(random));
  }

  @Test
  void toStringNeverShowsTheSeed() {
    Ed25519PrivateKey key = Ed25519PrivateKey.fromSeed(HEX.parseHex(SEED));
    assertThat(key.toString()).contains(PEER_ID).doesNotContain(SEED);
  }

  /** Property: any seed and message survive both protobuf forms and sign/verify (fixed seed). */
  @Test
  void protobufRoundTripAndSignVerify() {
    record Case(byte[] seed, byte[] message) {}
    List<Case> edges = new ArrayList<>();
    List<byte[]> seeds = new ArrayList<>(edgeByteArrays(32, 32));
    seeds.add(HEX.parseHex(SEED));
    for (byte[] seed : seeds) {
      for (byte[] message : List.of(new byte[0], new byte[] {0}, new byte[DEFAULT_MAX_SIZE])) {
        edges.add(new Case(seed, message));
      }
    }
    forAll(
        0x3d25519L,
        200,
        edges,
        r -> new Case(bytesOfSize(r, 32), bytes(r, DEFAULT_MAX_SIZE)),
        c -> "seed=" + hex(c.seed()) + " message=" + hex(c.message()),
        c -> checkRoundTripAndSignVerify(c.seed(), c.message()));
  }

  private static void checkRoundTripAndSignVerify(byte[] seed, byte[] message) {
    Ed25519PrivateKey key = Ed25519PrivateKey.fromSeed(seed);

    Ed25519PrivateKey decoded = Ed25519PrivateKey.fromProtobuf(key.toProtobuf());
    Ed25519PublicKey pub = Ed25519PublicKey.fromProtobuf(key.publicKey().toProtobuf());

    assertThat(decoded).isEqualTo(key);
    assertThat(pub).isEqualTo(key.publicKey());
    assertThat(pub.verify(message, decoded.sign(message))).isTrue();
    assertThat(PeerId.parse(key.peerId().toString())).isEqualTo(key.peerId());
  }
}
