package io.canopy.multiformats;

import static io.canopy.testing.RandomInputs.bytes;
import static io.canopy.testing.RandomInputs.edgeByteArrays;
import static io.canopy.testing.RandomInputs.forAll;
import static io.canopy.testing.RandomInputs.hex;
import static io.canopy.testing.RandomInputs.nonNegativeLong;
import static io.canopy.testing.RandomInputs.nonNegativeUpTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.testing.RandomInputs;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class CidTest {
  private static final HexFormat HEX = HexFormat.of();

  static final String V0 = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH";
  static final String V0_MULTIHASH = "1220bfccda787baba32b59c78450ac3d20b633360b43992c77289f9ed46d843561e6";
  static final String V1 = "bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y";
  static final String V1_BASE36 = "k2jmtxw57e8q3wevq1yz5usxqabvtnck9ehnqx5hk29iz6otpovk09uu";
  static final String RAW_EMPTY = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
  static final String RAW_EMPTY_BASE36 = "k2cwueebp9wws0fnm29jatrrbqocjaivp132efhd99cd5phw2odywbit";
  static final String SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  static final String EMPTY_DIR_V0 = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";

  @Test
  void parsesCidV0() {
    Cid cid = Cid.parse(V0);
    assertThat(cid.version()).isZero();
    assertThat(cid.codec()).isEqualTo(Multicodec.DAG_PB.code());
    assertThat(cid.multihash().code()).isEqualTo(Multicodec.SHA2_256.code());
    assertThat(HEX.formatHex(cid.toBytes())).isEqualTo(V0_MULTIHASH);
    assertThat(cid.byteLength()).isEqualTo(34);
    assertThat(cid).hasToString(V0);
  }

  @Test
  void convertsV0ToV1AndBack() {
    Cid v0 = Cid.parse(V0);
    Cid v1 = v0.toV1();
    assertThat(v1.version()).isEqualTo(1);
    assertThat(v1.codec()).isEqualTo(Multicodec.DAG_PB.code());
    assertThat(v1.multihash()).isEqualTo(v0.multihash());
    assertThat(v1).hasToString(V1);
    assertThat(HEX.formatHex(v1.toBytes())).isEqualTo("0170" + V0_MULTIHASH);
    assertThat(Cid.parse(V1)).isEqualTo(v1);
    assertThat(v1.toV0()).isEqualTo(v0);
    assertThat(v1.toV0()).hasToString(V0);
    assertThat(v0).isNotEqualTo(v1);
    assertThat(v0.toV0()).isSameAs(v0);
    assertThat(v1.toV1()).isSameAs(v1);
  }

  @Test
  void base36FormParsesToTheSameCid() {
    Cid v1 = Cid.parse(V1);
    assertThat(v1.toString(Multibase.BASE36)).isEqualTo(V1_BASE36);
    assertThat(Cid.parse(V1_BASE36)).isEqualTo(v1);
    assertThat(Cid.parse(V1_BASE36.toUpperCase(java.util.Locale.ROOT))).isEqualTo(v1);
    assertThat(Cid.parse(RAW_EMPTY_BASE36)).isEqualTo(Cid.parse(RAW_EMPTY));
  }

  @ParameterizedTest
  @EnumSource(Multibase.class)
  void v1ParsesFromEveryBase(Multibase base) {
    Cid v1 = Cid.parse(V1);
    String text = v1.toString(base);
    assertThat(text.charAt(0)).isEqualTo(base.prefix());
    assertThat(Cid.parse(text)).isEqualTo(v1);
  }

  @Test
  void upperCaseBase32Parses() {
    assertThat(Cid.parse(V1.toUpperCase(java.util.Locale.ROOT))).isEqualTo(Cid.parse(V1));
  }

  @Test
  void rawCidOfTheEmptyString() {
    Cid cid = Cid.parse(RAW_EMPTY);
    assertThat(cid.version()).isEqualTo(1);
    assertThat(cid.codec()).isEqualTo(Multicodec.RAW.code());
    assertThat(HEX.formatHex(cid.multihash().digest())).isEqualTo(SHA256_EMPTY);
    assertThat(HEX.formatHex(cid.toBytes())).isEqualTo("01551220" + SHA256_EMPTY);
    assertThat(cid.multihash().matches(new byte[0])).isTrue();
    assertThat(Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, new byte[0])).isEqualTo(cid);
    assertThat(Cid.v1(Multicodec.RAW, Multihash.compute(Multicodec.SHA2_256, new byte[0]))).hasToString(RAW_EMPTY);
  }

  @Test
  void ofBuildsV0ForDagPb() {
    Cid cid = Cid.of(0, Multicodec.DAG_PB, Multicodec.SHA2_256, HEX.parseHex("0a020801"));
    assertThat(cid).hasToString(EMPTY_DIR_V0);
    assertThat(cid.version()).isZero();
  }

  @Test
  void ofRejectsCombinationsNoCidCanExpress() {
    assertThatThrownBy(() -> Cid.of(0, Multicodec.RAW, Multicodec.SHA2_256, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dag-pb");
    assertThatThrownBy(() -> Cid.of(0, Multicodec.DAG_PB, Multicodec.BLAKE3, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sha2-256");
    assertThatThrownBy(() -> Cid.of(2, Multicodec.RAW, Multicodec.SHA2_256, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("version 2");
  }

  @Test
  void toV0OfARawCidFails() {
    Cid raw = Cid.parse(RAW_EMPTY);
    assertThatThrownBy(raw::toV0)
        .isInstanceOf(InvalidCidException.class)
        .hasMessageContaining("dag-pb")
        .hasMessageContaining("raw");
  }

  @Test
  void toV0OfANonSha256DagPbCidFails() {
    Cid blake = Cid.v1(Multicodec.DAG_PB, Multihash.compute(Multicodec.BLAKE3, new byte[0]));
    assertThatThrownBy(blake::toV0).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void v0ConstructorNeedsA32ByteSha256() {
    assertThatThrownBy(() -> Cid.v0(Multihash.compute(Multicodec.BLAKE3, new byte[0])))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Cid.v0(Multihash.of(0x12, new byte[20])))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void v0HasNoOtherTextForm() {
    Cid v0 = Cid.parse(V0);
    assertThatThrownBy(() -> v0.toString(Multibase.BASE32)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void multibasePrefixedV0IsRejected() {
    String zV0 = "z" + V0;
    assertThatThrownBy(() -> Cid.parse(zV0))
        .isInstanceOf(InvalidCidException.class)
        .hasMessageContaining(zV0)
        .hasMessageContaining("bare base58btc");
    String b32V0 = Multibase.BASE32.encode(HEX.parseHex(V0_MULTIHASH));
    assertThatThrownBy(() -> Cid.parse(b32V0)).isInstanceOf(InvalidCidException.class);
  }

  static Stream<String> malformed() {
    byte[] v1 = Cid.parse(V1).toBytes();
    byte[] unknownVersion = v1.clone();
    unknownVersion[0] = 0x02;
    byte[] versionZeroVarint = v1.clone();
    versionZeroVarint[0] = 0x00;
    byte[] trailing = java.util.Arrays.copyOf(v1, v1.length + 1);
    byte[] truncated = java.util.Arrays.copyOf(v1, v1.length - 1);
    byte[] v0Trailing = java.util.Arrays.copyOf(HEX.parseHex(V0_MULTIHASH), 35);
    return Stream.of(
        "",
        "Qm123",
        "bafy!!!",
        "bafy",
        "b",
        "z",
        "hello",
        "?bafybeif7ztnhq65lumvvtr4ekcwd2ifwgm3awq4zfr3srh462rwyinlb4y",
        " " + V1,
        V1 + " ",
        V1 + "a", // one stray character adds spare bits, not a byte
        V1.substring(0, V1.length() - 1),
        Multibase.BASE32.encode(unknownVersion),
        Multibase.BASE32.encode(versionZeroVarint),
        Multibase.BASE32.encode(trailing),
        Multibase.BASE32.encode(truncated),
        Multibase.BASE58_BTC.encode(v0Trailing),
        "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1Aw0H", // '0' is not base58
        "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwlH", // nor is 'l'
        "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQ", // 45 characters
        "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQHH", // 47 characters
        "Qm" + "z".repeat(44), // valid base58, but not a sha2-256 multihash
        "bafybeif7ztnhq65lumvvtr4e\u212Acwd2ifwgm3awq4zfr3srh462rwyinlb4y", // KELVIN SIGN for 'k'
        "f0170", // v1 with no multihash
        "f01701220", // v1 with a truncated digest
        "f0170128101" + "00".repeat(129)); // v1 with a digest length over the limit
  }

  @ParameterizedTest
  @MethodSource("malformed")
  void malformedInputIsRejectedWithTheInputInTheMessage(String text) {
    assertThatThrownBy(() -> Cid.parse(text))
        .isInstanceOf(InvalidCidException.class)
        .hasMessageContaining(text.isEmpty() ? "empty" : "'" + text + "'");
  }

  @Test
  void nullIsRejected() {
    assertThatThrownBy(() -> Cid.parse(null)).isInstanceOf(InvalidCidException.class);
  }

  @Test
  void unknownVersionNamesTheVersion() {
    byte[] bytes = Cid.parse(V1).toBytes();
    bytes[0] = 0x02;
    String text = Multibase.BASE32.encode(bytes);
    assertThatThrownBy(() -> Cid.parse(text)).hasMessageContaining("version 2");
    assertThatThrownBy(() -> Cid.fromBytes(bytes))
        .isInstanceOf(InvalidCidException.class)
        .hasMessageContaining("version 2");
  }

  @Test
  void overlongTextIsRejectedWithoutEchoingIt() {
    String text = "b" + "a".repeat(Cid.MAX_TEXT_LENGTH);
    assertThatThrownBy(() -> Cid.parse(text))
        .isInstanceOf(InvalidCidException.class)
        .hasMessageContaining("longer than " + Cid.MAX_TEXT_LENGTH);
  }

  @Test
  void fromBytesRejectsTrailingBytesAndGarbage() {
    byte[] v1 = Cid.parse(V1).toBytes();
    assertThatThrownBy(() -> Cid.fromBytes(java.util.Arrays.copyOf(v1, v1.length + 2)))
        .isInstanceOf(InvalidCidException.class)
        .hasMessageContaining("trailing");
    assertThatThrownBy(() -> Cid.fromBytes(new byte[0])).isInstanceOf(InvalidCidException.class);
    assertThatThrownBy(() -> Cid.fromBytes(new byte[] {0x12, 0x20, 1}))
        .isInstanceOf(InvalidCidException.class)
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> Cid.fromBytes(new byte[] {0x01, (byte) 0x80, 0x00}))
        .isInstanceOf(InvalidCidException.class)
        .hasMessageContaining("minimal");
  }

  @Test
  void readTakesConsecutiveCidsFromABuffer() {
    Cid a = Cid.parse(V0);
    Cid b = Cid.parse(RAW_EMPTY);
    Cid c = Cid.parse(V1);
    ByteBuffer buf = ByteBuffer.allocate(a.byteLength() + b.byteLength() + c.byteLength() + 1);
    buf.put(a.toBytes()).put(b.toBytes()).put(c.toBytes()).put((byte) 0x7f).flip();
    assertThat(Cid.read(buf)).isEqualTo(a);
    assertThat(Cid.read(buf)).isEqualTo(b);
    assertThat(Cid.read(buf)).isEqualTo(c);
    assertThat(buf.remaining()).isEqualTo(1);
  }

  @Test
  void multiByteAndUnknownCodecsAreKept() {
    Multihash mh = Multihash.compute(Multicodec.SHA2_256, new byte[0]);
    Cid json = Cid.v1(Multicodec.DAG_JSON, mh);
    assertThat(HEX.formatHex(json.toBytes(), 0, 3)).isEqualTo("01a902");
    assertThat(Cid.parse(json.toString())).isEqualTo(json);
    assertThat(Cid.parse(json.toString()).codec()).isEqualTo(0x0129);

    Cid unknown = Cid.v1(0x300001L, mh);
    Cid back = Cid.fromBytes(unknown.toBytes());
    assertThat(back.codec()).isEqualTo(0x300001L);
    assertThat(back).isEqualTo(unknown);
    assertThatThrownBy(unknown::toV0).hasMessageContaining("0x300001");
  }

  @Test
  void toBytesReturnsACopy() {
    Cid cid = Cid.parse(V1);
    cid.toBytes()[0] = 9;
    assertThat(cid.toBytes()[0]).isEqualTo((byte) 1);
    assertThat(cid).hasToString(V1);
  }

  @Test
  void equalityAndHashFollowTheBytes() {
    Cid a = Cid.parse(V1);
    Cid b = Cid.parse(V1_BASE36);
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.compareTo(b)).isZero();
    assertThat(a).isNotEqualTo(Cid.parse(RAW_EMPTY));
    assertThat(a).isNotEqualTo(V1);
  }

  @Test
  void ordersByUnsignedBytes() {
    Cid v0 = Cid.parse(V0); // starts 0x12
    Cid pb = Cid.parse(V1); // 0x01 0x70
    Cid raw = Cid.parse(RAW_EMPTY); // 0x01 0x55
    Cid json = Cid.v1(Multicodec.DAG_JSON, Multihash.compute(Multicodec.SHA2_256, new byte[0])); // 0x01 0xa9
    List<Cid> list = new ArrayList<>(List.of(v0, json, pb, raw));
    Collections.shuffle(list, new java.util.Random(1));
    Collections.sort(list);
    assertThat(list).containsExactly(raw, pb, json, v0);
  }

  private static final long[] KNOWN_HASH_CODES = {0x00L, 0x12L, 0x13L, 0x1eL, 0xb220L};

  /**
   * A v1 CID: the codec is a known multicodec or any non-negative long, the multihash code one of
   * the common ones or anything below 2^40, the digest up to the maximum length.
   */
  static Cid v1Cid(SplittableRandom r) {
    Multicodec[] codecs = Multicodec.values();
    long codec = r.nextBoolean() ? codecs[r.nextInt(codecs.length)].code() : nonNegativeLong(r);
    long hash = r.nextBoolean() ? KNOWN_HASH_CODES[r.nextInt(KNOWN_HASH_CODES.length)] : nonNegativeUpTo(r, 1L << 40);
    byte[] digest = bytes(r, Multihash.MAX_DIGEST_LENGTH);
    return Cid.v1(codec, Multihash.of(hash, digest));
  }

  /** The corners of {@link #v1Cid}: extreme codecs and hash codes with the edge digests. */
  static List<Cid> v1CidEdgeCases() {
    List<Cid> edges = new ArrayList<>();
    for (long codec : new long[] {0, 1, Multicodec.DAG_PB.code(), Long.MAX_VALUE}) {
      for (long hash : new long[] {0x00L, 0x12L, 0xb220L, 1L << 40}) {
        for (byte[] digest : edgeByteArrays(0, Multihash.MAX_DIGEST_LENGTH)) {
          edges.add(Cid.v1(codec, Multihash.of(hash, digest)));
        }
      }
    }
    return edges;
  }

  private static String describe(Cid cid) {
    return "codec=" + cid.codec() + " multihash=" + cid.multihash() + " bytes=" + hex(cid.toBytes());
  }

  /** Property: v1 CIDs round-trip through bytes and text in every multibase (fixed seed). */
  @Test
  void v1BytesAndTextRoundTrip() {
    forAll(0x63696431L, 300, v1CidEdgeCases(), CidTest::v1Cid, CidTest::describe, CidTest::checkV1RoundTrip);
  }

  private static void checkV1RoundTrip(Cid cid) {
    assertThat(Cid.fromBytes(cid.toBytes())).isEqualTo(cid);
    assertThat(Cid.parse(cid.toString())).isEqualTo(cid);
    assertThat(cid.toString()).startsWith("b");
    for (Multibase base : Multibase.values()) {
      assertThat(Cid.parse(cid.toString(base))).as(base.baseName()).isEqualTo(cid);
    }
    Cid back = Cid.fromBytes(cid.toBytes());
    assertThat(back.version()).isEqualTo(1);
    assertThat(back.codec()).isEqualTo(cid.codec());
    assertThat(back.multihash()).isEqualTo(cid.multihash());
  }

  /** Property: v0 CIDs of any sha2-256 digest round-trip, also through v1 (fixed seed). */
  @Test
  void v0BytesAndTextRoundTrip() {
    forAll(
        0x63696430L,
        300,
        edgeByteArrays(32, 32),
        r -> bytes(r, 32, 32),
        RandomInputs::hex,
        CidTest::checkV0RoundTrip);
  }

  private static void checkV0RoundTrip(byte[] digest) {
    Cid cid = Cid.v0(Multihash.of(Multicodec.SHA2_256.code(), digest));
    String text = cid.toString();
    assertThat(text).hasSize(46).startsWith("Qm");
    assertThat(Cid.parse(text)).isEqualTo(cid);
    assertThat(Cid.fromBytes(cid.toBytes())).isEqualTo(cid);
    assertThat(Cid.parse(cid.toV1().toString()).toV0()).isEqualTo(cid);
  }
}
