package io.canopy.content.dagpb;

import static io.canopy.testing.RandomInputs.bytes;
import static io.canopy.testing.RandomInputs.bytesOfSize;
import static io.canopy.testing.RandomInputs.edgeByteArrays;
import static io.canopy.testing.RandomInputs.forAll;
import static io.canopy.testing.RandomInputs.listOf;
import static io.canopy.testing.RandomInputs.nonNegativeLong;
import static io.canopy.testing.RandomInputs.nonNegativeUpTo;
import static io.canopy.testing.RandomInputs.oneOf;
import static io.canopy.testing.RandomInputs.orNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import io.canopy.testing.RandomInputs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DagPbTest {
  private static final HexFormat HEX = HexFormat.of();

  private static final Cid V0 = Cid.parse("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
  private static final String V0_HEX = "1220bfccda787baba32b59c78450ac3d20b633360b43992c77289f9ed46d843561e6";
  private static final Cid RAW = Cid.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  private static final String RAW_HEX = "01551220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  private static byte[] hex(String s) {
    return HEX.parseHex(s);
  }

  private static Cid cidOf(int i) {
    return Cid.v1(Multicodec.RAW, Multihash.compute(Multicodec.SHA2_256, new byte[] {(byte) i}));
  }

  // ---- fixed vectors ------------------------------------------------------------------------

  @Test
  void emptyUnixFsDirectory() {
    PbNode node = new PbNode(List.of(), hex("0801"));
    byte[] bytes = DagPb.encode(node);
    assertThat(HEX.formatHex(bytes)).isEqualTo("0a020801");
    assertThat(Cid.of(0, Multicodec.DAG_PB, Multicodec.SHA2_256, bytes))
        .hasToString("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
    assertThat(DagPb.decode(bytes)).isEqualTo(node);
  }

  @Test
  void emptyNodeIsEmptyBytes() {
    assertThat(DagPb.encode(new PbNode(List.of(), null))).isEmpty();
    PbNode decoded = DagPb.decode(new byte[0]);
    assertThat(decoded.links()).isEmpty();
    assertThat(decoded.data()).isNull();
  }

  @Test
  void emptyDataIsWrittenButAbsentDataIsNot() {
    assertThat(HEX.formatHex(DagPb.encode(new PbNode(List.of(), new byte[0])))).isEqualTo("0a00");
    PbNode decoded = DagPb.decode(hex("0a00"));
    assertThat(decoded.data()).isNotNull().isEmpty();
    assertThat(decoded).isNotEqualTo(new PbNode(List.of(), null));
  }

  @Test
  void singleLinkWithOnlyAHash() {
    byte[] bytes = DagPb.encode(new PbNode(List.of(new PbLink(V0, null, null)), null));
    assertThat(HEX.formatHex(bytes)).isEqualTo("12240a22" + V0_HEX);
    PbLink link = DagPb.decode(bytes).links().get(0);
    assertThat(link.hash()).isEqualTo(V0);
    assertThat(link.name()).isNull();
    assertThat(link.tsize()).isNull();
    assertThat(link.nameOrEmpty()).isEmpty();
    assertThat(link.tsizeOrZero()).isZero();
  }

  @Test
  void linkFieldsAreHashNameTsizeInThatOrder() {
    byte[] bytes = DagPb.encode(new PbNode(List.of(PbLink.of(RAW, "a", 10)), null));
    // 0a <len> cid, 12 01 'a', 18 0a
    String link = "0a24" + RAW_HEX + "1201" + "61" + "180a";
    assertThat(HEX.formatHex(bytes)).isEqualTo("12" + String.format("%02x", link.length() / 2) + link);
  }

  @Test
  void nameIsOmittedWhenNullButWrittenWhenEmpty() {
    String withEmpty = HEX.formatHex(DagPb.encode(new PbNode(List.of(new PbLink(V0, "", null)), null)));
    assertThat(withEmpty).isEqualTo("12260a22" + V0_HEX + "1200");
    String withNull = HEX.formatHex(DagPb.encode(new PbNode(List.of(new PbLink(V0, null, null)), null)));
    assertThat(withNull).isEqualTo("12240a22" + V0_HEX);
    assertThat(DagPb.decode(hex(withEmpty)).links().get(0).name()).isEmpty();
    assertThat(DagPb.decode(hex(withNull)).links().get(0).name()).isNull();
  }

  @Test
  void tsizeIsOmittedWhenNullButWrittenWhenZero() {
    String zero = HEX.formatHex(DagPb.encode(new PbNode(List.of(new PbLink(V0, null, 0L)), null)));
    assertThat(zero).isEqualTo("12260a22" + V0_HEX + "1800");
    assertThat(DagPb.decode(hex(zero)).links().get(0).tsize()).isZero();
  }

  @Test
  void largeTsizeUsesAMultiByteVarint() {
    PbNode node = new PbNode(List.of(new PbLink(V0, null, Long.MAX_VALUE)), null);
    String bytes = HEX.formatHex(DagPb.encode(node));
    assertThat(bytes).endsWith("18ffffffffffffffff7f");
    assertThat(DagPb.decode(hex(bytes))).isEqualTo(node);
  }

  /** A directory encoded by @ipld/dag-pb (prepare + encode); links sorted, Data last. */
  @Test
  void matchesTheJsEncoderForASortedDirectory() {
    String expected =
        "12260a22" + V0_HEX + "1200"
            + "12290a22" + V0_HEX + "120161180a"
            + "122b0a24" + RAW_HEX + "1201621803"
            + "12290a24" + RAW_HEX + "12017a"
            + "122d0a24" + RAW_HEX + "1202c3a918ac02"
            + "0a020801";
    PbNode node = new PbNode(
        List.of(
            PbLink.of(RAW, "b", 3),
            PbLink.of(V0, "a", 10),
            new PbLink(V0, "", null),
            PbLink.of(RAW, "é", 300),
            new PbLink(RAW, "z", null)),
        hex("0801"));
    assertThat(HEX.formatHex(DagPb.encode(node))).isEqualTo(expected);
    PbNode decoded = DagPb.decode(hex(expected));
    assertThat(decoded.links()).extracting(PbLink::nameOrEmpty).containsExactly("", "a", "b", "z", "é");
    assertThat(decoded.data()).containsExactly(8, 1);
  }

  // ---- canonical ordering -----------------------------------------------------------------

  @Test
  void linksAreSortedByNameBytes() {
    PbNode node = new PbNode(
        List.of(
            PbLink.of(cidOf(1), "b", 1),
            PbLink.of(cidOf(2), "ab", 1),
            PbLink.of(cidOf(3), "a", 1),
            PbLink.of(cidOf(4), "B", 1),
            PbLink.of(cidOf(5), "", 1)),
        null);
    List<PbLink> decoded = DagPb.decode(DagPb.encode(node)).links();
    assertThat(decoded).extracting(PbLink::name).containsExactly("", "B", "a", "ab", "b");
  }

  @Test
  void nullNameSortsAsEmpty() {
    PbNode node = new PbNode(
        List.of(PbLink.of(cidOf(1), "a", 1), new PbLink(cidOf(2), null, null), PbLink.of(cidOf(3), "", 1)),
        null);
    List<PbLink> decoded = DagPb.decode(DagPb.encode(node)).links();
    // null and "" compare equal, so their input order is kept.
    assertThat(decoded).extracting(PbLink::hash).containsExactly(cidOf(2), cidOf(3), cidOf(1));
  }

  /** UTF-8 byte order differs from Java's UTF-16 String order outside the BMP. */
  @Test
  void orderIsUtf8BytesNotUtf16Chars() {
    String halfwidth = "\uFF61"; // UTF-8 ef bd a1
    String emoji = "\uD83D\uDE00"; // UTF-8 f0 9f 98 80, but UTF-16 d83d sorts before ff61
    assertThat(emoji.compareTo(halfwidth)).isNegative();
    PbNode node = new PbNode(List.of(PbLink.of(cidOf(1), emoji, 1), PbLink.of(cidOf(2), halfwidth, 1)), null);
    assertThat(DagPb.decode(DagPb.encode(node)).links())
        .extracting(PbLink::name)
        .containsExactly(halfwidth, emoji);
    assertThat(DagPb.LINK_ORDER.compare(PbLink.of(cidOf(1), emoji, 1), PbLink.of(cidOf(2), halfwidth, 1)))
        .isPositive();
  }

  @Test
  void orderIsUnsigned() {
    // 'é' is c3 a9: signed comparison would put it before 'z' (7a).
    PbNode node = new PbNode(List.of(PbLink.of(cidOf(1), "é", 1), PbLink.of(cidOf(2), "z", 1)), null);
    assertThat(DagPb.decode(DagPb.encode(node)).links()).extracting(PbLink::name).containsExactly("z", "é");
  }

  @Test
  void sortIsStableForEqualNames() {
    List<PbLink> links = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      links.add(PbLink.of(cidOf(i), i % 2 == 0 ? "same" : "other", i));
    }
    List<PbLink> decoded = DagPb.decode(DagPb.encode(new PbNode(links, null))).links();
    List<Cid> expected = new ArrayList<>();
    for (int i = 1; i < 20; i += 2) {
      expected.add(cidOf(i));
    }
    for (int i = 0; i < 20; i += 2) {
      expected.add(cidOf(i));
    }
    assertThat(decoded).extracting(PbLink::hash).containsExactlyElementsOf(expected);
  }

  @Test
  void encodeDoesNotReorderTheCallersList() {
    List<PbLink> links = List.of(PbLink.of(cidOf(1), "b", 1), PbLink.of(cidOf(2), "a", 1));
    PbNode node = new PbNode(links, null);
    DagPb.encode(node);
    assertThat(node.links()).extracting(PbLink::name).containsExactly("b", "a");
  }

  @Test
  void linksComeBeforeData() {
    byte[] bytes = DagPb.encode(new PbNode(List.of(new PbLink(V0, null, null)), hex("0801")));
    assertThat(HEX.formatHex(bytes)).isEqualTo("12240a22" + V0_HEX + "0a020801");
  }

  // ---- lenient decoding of old encodings ------------------------------------------------------

  @Test
  void acceptsDataBeforeLinks() {
    byte[] old = hex("0a020801" + "12240a22" + V0_HEX);
    PbNode node = DagPb.decode(old);
    assertThat(node.data()).containsExactly(8, 1);
    assertThat(node.links()).containsExactly(new PbLink(V0, null, null));
    // Re-encoding produces the canonical order (and so a different CID).
    assertThat(HEX.formatHex(DagPb.encode(node))).isEqualTo("12240a22" + V0_HEX + "0a020801");
  }

  @Test
  void acceptsDataBetweenLinksAndUnsortedLinks() {
    byte[] bytes = hex("12290a22" + V0_HEX + "120162180a" + "0a00" + "12290a22" + V0_HEX + "120161180a");
    PbNode node = DagPb.decode(bytes);
    assertThat(node.links()).extracting(PbLink::name).containsExactly("b", "a");
    assertThat(node.data()).isEmpty();
  }

  @Test
  void acceptsLinkFieldsInAnyOrder() {
    // Tsize, Name, Hash instead of Hash, Name, Tsize.
    byte[] bytes = hex("1229" + "180a" + "120161" + "0a22" + V0_HEX);
    assertThat(DagPb.decode(bytes).links()).containsExactly(PbLink.of(V0, "a", 10));
  }

  // ---- rejections ------------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
      // PBNode level
      "1a00, unknown field 3",
      "2200, unknown field 4",
      "0200, unknown field 0",
      "0801, wire type 0",
      "1001, wire type 0",
      "0d01020304, wire type 5",
      "0b, wire type 3",
      "0a, truncated",
      "0a80, truncated",
      "0a05010203, runs past",
      "0aff0f00, runs past",
      "12, truncated",
      "1205, runs past",
      "0a000a00, two Data",
      "0a0108" + "0a0101, two Data",
      "ffffffffffffffffffffff, varint too long",
      // PBLink level
      "1200, without Hash",
      "1203120161, without Hash",
      "1202180a, without Hash",
      "12022200, unknown field 4",
      "12020801, Hash has wire type 0",
      "12021000, Name has wire type 0",
      "12031a0100, Tsize has wire type 2",
      "12020a00, not a CID",
      "12040a021220, not a CID",
      "12030a0100, not a CID",
      "120612ff010a0000, runs past",
      "1202120a, runs past",
      "120418011801, repeated",
      "1204120012 00, repeated",
      "120418001800, repeated",
      "120b18ffffffffffffffffff01, out of range"
  })
  void rejectsMalformedBlocks(String hexBytes, String message) {
    byte[] bytes = hex(hexBytes.replace(" ", ""));
    assertThatThrownBy(() -> DagPb.decode(bytes))
        .isInstanceOf(DagPbException.class)
        .hasMessageContaining(message);
  }

  @Test
  void rejectsALinkWithTwoHashes() {
    byte[] bytes = hex("12480a22" + V0_HEX + "0a22" + V0_HEX);
    assertThatThrownBy(() -> DagPb.decode(bytes)).isInstanceOf(DagPbException.class).hasMessageContaining("repeated");
  }

  @Test
  void rejectsAHashWithTrailingBytes() {
    byte[] bytes = hex("12250a23" + V0_HEX + "00");
    assertThatThrownBy(() -> DagPb.decode(bytes)).isInstanceOf(DagPbException.class).hasMessageContaining("trailing");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "ff", // never valid in UTF-8
      "c0af", // overlong '/'
      "e080af", // overlong '/'
      "eda080", // a lone surrogate
      "c3", // truncated sequence
      "f4908080", // above U+10FFFF
      "61ff62" // invalid byte in the middle
  })
  void rejectsInvalidUtf8Names(String nameHex) {
    String link = "0a22" + V0_HEX + "12" + String.format("%02x", nameHex.length() / 2) + nameHex;
    byte[] bytes = hex("12" + String.format("%02x", link.length() / 2) + link);
    assertThatThrownBy(() -> DagPb.decode(bytes))
        .isInstanceOf(DagPbException.class)
        .hasMessageContaining("UTF-8");
  }

  @Test
  void acceptsValidMultiByteUtf8Names() {
    String name = "日本語 \uD83D\uDE00 é";
    PbNode node = new PbNode(List.of(PbLink.of(V0, name, 1)), null);
    assertThat(DagPb.decode(DagPb.encode(node)).links().get(0).name()).isEqualTo(name);
  }

  /** A length varint past 2^63 reads as a negative long; it must be a DagPbException, not a crash. */
  @Test
  void rejectsALengthThatOverflowsToNegative() {
    assertThatThrownBy(() -> DagPb.decode(hex("0affffffffffffffffff01")))
        .isInstanceOf(DagPbException.class);
    assertThatThrownBy(() -> DagPb.decode(hex("120b0affffffffffffffffff01")))
        .isInstanceOf(DagPbException.class);
    assertThatThrownBy(() -> DagPb.decode(hex("0a8080808010")))
        .isInstanceOf(DagPbException.class)
        .hasMessageContaining("runs past");
  }

  // ---- records ---------------------------------------------------------------------------------

  @Test
  void pbLinkValidatesItsFields() {
    assertThatThrownBy(() -> new PbLink(null, "a", 1L)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new PbLink(V0, "a", -1L)).isInstanceOf(IllegalArgumentException.class);
    assertThat(PbLink.of(V0, "x", 7)).isEqualTo(new PbLink(V0, "x", 7L));
  }

  @Test
  void pbNodeComparesDataByContentAndCopiesLinks() {
    List<PbLink> links = new ArrayList<>(List.of(PbLink.of(V0, "a", 1)));
    PbNode a = new PbNode(links, new byte[] {1, 2});
    links.clear();
    assertThat(a.links()).hasSize(1);
    assertThatThrownBy(() -> a.links().add(PbLink.of(V0, "b", 1))).isInstanceOf(UnsupportedOperationException.class);
    PbNode b = PbNode.of(new byte[] {1, 2}, List.of(PbLink.of(V0, "a", 1)));
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(PbNode.of(new byte[] {1, 3}, List.of(PbLink.of(V0, "a", 1))));
    assertThat(a).isNotEqualTo(PbNode.of(null, List.of(PbLink.of(V0, "a", 1))));
    assertThat(a.toString()).contains("links=1").contains("2 bytes");
    assertThat(PbNode.of(null, List.of()).toString()).contains("absent");
  }

  // ---- properties ------------------------------------------------------------------------------

  private static final String ALPHANUMERIC =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

  /**
   * A link: a v0 CID, or a v1 CID (raw, dag-pb, dag-cbor or dag-json) over a blake3 multihash of
   * up to 64 bytes; a name that is empty, short alphanumeric, any BMP text except surrogates, or
   * ends in a supplementary character (null a fifth of the time); a Tsize that is small or any
   * non-negative long (null 30% of the time).
   */
  static PbLink link(SplittableRandom r) {
    Cid cid = r.nextBoolean()
        ? Cid.v0(Multihash.of(Multicodec.SHA2_256.code(), bytesOfSize(r, 32)))
        : Cid.v1(
            oneOf(r, Multicodec.RAW, Multicodec.DAG_PB, Multicodec.DAG_CBOR, Multicodec.DAG_JSON),
            Multihash.of(Multicodec.BLAKE3.code(), bytes(r, 64)));
    String name = orNull(r, 0.2, n -> switch (n.nextInt(4)) {
      case 0 -> "";
      case 1 -> RandomInputs.stringOf(n, 4, ALPHANUMERIC);
      // any BMP character except surrogates, plus a supplementary one
      case 2 -> RandomInputs.bmpString(n, 8);
      default -> RandomInputs.stringOf(n, 3, "a\u00e9\uFF61") + "\uD83D\uDE00";
    });
    Long tsize = orNull(r, 0.3, t -> t.nextBoolean() ? nonNegativeUpTo(t, 1 << 20) : nonNegativeLong(t));
    return new PbLink(cid, name, tsize);
  }

  /** A node: up to 12 links, and up to 300 data bytes (absent 30% of the time). */
  static PbNode node(SplittableRandom r) {
    List<PbLink> links = listOf(r, 0, 12, DagPbTest::link);
    byte[] data = orNull(r, 0.3, d -> bytes(d, 300));
    return new PbNode(links, data);
  }

  /**
   * Corner nodes: empty, data only (empty and full), links only, links whose fields are absent,
   * empty or extreme, and twelve links with one name.
   */
  static List<PbNode> nodeEdgeCases() {
    Cid v1Empty = Cid.v1(Multicodec.RAW, Multihash.of(Multicodec.BLAKE3.code(), new byte[0]));
    Cid v1Full = Cid.v1(Multicodec.DAG_JSON, Multihash.of(Multicodec.BLAKE3.code(), new byte[64]));
    List<PbLink> odd = List.of(
        new PbLink(V0, null, null),
        new PbLink(v1Empty, "", 0L),
        new PbLink(v1Full, "\u0000", Long.MAX_VALUE),
        new PbLink(V0, "\uFFFF\uD83D\uDE00", 1L << 20),
        new PbLink(RAW, "a\u00e9\uFF61", 1L));
    List<PbLink> sameName = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      sameName.add(new PbLink(cidOf(i), "x", (long) i));
    }
    List<PbNode> edges = new ArrayList<>();
    edges.add(new PbNode(List.of(), null));
    for (byte[] data : edgeByteArrays(0, 300)) {
      edges.add(new PbNode(List.of(), data));
      edges.add(new PbNode(odd, data));
    }
    edges.add(new PbNode(odd, null));
    edges.add(new PbNode(List.of(odd.get(0)), null));
    edges.add(new PbNode(sameName, null));
    edges.add(new PbNode(sameName, new byte[300]));
    return edges;
  }

  static String describe(PbNode node) {
    return "data=" + RandomInputs.hex(node.data()) + ", " + node.links().size() + " links:"
        + node.links().stream()
            .map(l -> "\n    " + l.hash() + " name=" + RandomInputs.describe(l.name()) + " tsize=" + l.tsize())
            .collect(Collectors.joining());
  }

  private static PbNode canonical(PbNode node) {
    List<PbLink> sorted = new ArrayList<>(node.links());
    sorted.sort(DagPb.LINK_ORDER);
    return new PbNode(sorted, node.data());
  }

  /** Property: decoding an encoded node gives the node with its links sorted (fixed seed). */
  @Test
  void decodeOfEncodeIsTheNodeWithSortedLinks() {
    forAll(0xdab0L, 400, nodeEdgeCases(), DagPbTest::node, DagPbTest::describe, node -> {
      byte[] bytes = DagPb.encode(node);
      PbNode decoded = DagPb.decode(bytes);
      assertThat(decoded).isEqualTo(canonical(node));
      assertThat(DagPb.encode(decoded)).isEqualTo(bytes);
    });
  }

  /** Property: with distinct names, the order the links come in does not change the bytes (fixed seed). */
  @Test
  void linkOrderDoesNotChangeTheBytes() {
    forAll(0x0de5L, 200, nodeEdgeCases(), DagPbTest::node, DagPbTest::describe, node -> {
      List<PbLink> reversed = new ArrayList<>(node.links());
      Collections.reverse(reversed);
      // Reversal changes the relative order of equal names, so compare only when names are distinct.
      long distinct = node.links().stream().map(PbLink::nameOrEmpty).distinct().count();
      if (distinct == node.links().size()) {
        assertThat(DagPb.encode(new PbNode(reversed, node.data()))).isEqualTo(DagPb.encode(node));
      }
    });
  }

  /** Property: random bytes either decode to a node that round-trips or fail with DagPbException. */
  @Test
  void decodeNeverFailsWithAnythingButDagPbException() {
    forAll(
        0x6a756e6bL,
        500,
        edgeByteArrays(0, RandomInputs.DEFAULT_MAX_SIZE),
        r -> bytes(r, RandomInputs.DEFAULT_MAX_SIZE),
        RandomInputs::hex,
        garbage -> {
          try {
            PbNode node = DagPb.decode(garbage);
            // Anything accepted re-encodes and decodes to the same node.
            assertThat(DagPb.decode(DagPb.encode(node))).isEqualTo(canonical(node));
          } catch (DagPbException e) {
            assertThat(e.getMessage()).isNotBlank();
          }
        });
  }

  private record Truncation(PbNode node, int cutFromEnd) {}

  /** Property: dropping 1 to 41 bytes off an encoded node never decodes to the same node (fixed seed). */
  @Test
  void truncatingAnEncodedNodeIsDetected() {
    List<Truncation> edges = new ArrayList<>();
    for (PbNode node : nodeEdgeCases()) {
      for (int cutFromEnd : new int[] {0, 1, 40}) {
        edges.add(new Truncation(node, cutFromEnd));
      }
    }
    forAll(
        0x7275L,
        200,
        edges,
        r -> new Truncation(node(r), cut(r)),
        t -> "cutFromEnd=" + t.cutFromEnd() + " node " + describe(t.node()),
        t -> checkTruncation(t.node(), t.cutFromEnd()));
  }

  private static void checkTruncation(PbNode node, int cutFromEnd) {
    byte[] bytes = DagPb.encode(node);
    if (bytes.length == 0 || cutFromEnd >= bytes.length) {
      return;
    }
    byte[] truncated = Arrays.copyOf(bytes, bytes.length - 1 - cutFromEnd);
    // Dropping bytes either breaks the framing or yields a different (shorter) node; never the same one.
    try {
      assertThat(DagPb.decode(truncated)).isNotEqualTo(DagPb.decode(bytes));
    } catch (DagPbException expected) {
      // fine
    }
  }

  private static int cut(SplittableRandom r) {
    return r.nextInt(41);
  }
}
