package io.canopy.content.unixfs;

import static io.canopy.testing.RandomInputs.anyInt;
import static io.canopy.testing.RandomInputs.anyLong;
import static io.canopy.testing.RandomInputs.bytes;
import static io.canopy.testing.RandomInputs.edgeByteArrays;
import static io.canopy.testing.RandomInputs.forAll;
import static io.canopy.testing.RandomInputs.intBetween;
import static io.canopy.testing.RandomInputs.listOf;
import static io.canopy.testing.RandomInputs.nonNegativeUpTo;
import static io.canopy.testing.RandomInputs.orNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.testing.RandomInputs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fixed vectors were produced with the PBData encoder of ipfs-unixfs 13.0.0 (interop/node_modules),
 * which writes the same proto2 wire form as go-unixfs: fields in number order, blocksizes unpacked.
 */
class UnixFsDataTest {
  private static final HexFormat HEX = HexFormat.of();

  private static byte[] hex(String s) {
    return HEX.parseHex(s);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static UnixFsData data(UnixFsType type, byte[] data, Long fileSize, List<Long> blockSizes,
      Long hashType, Long fanout, Integer mode, UnixTime mtime) {
    return new UnixFsData(type, data, fileSize, blockSizes, hashType, fanout, mode, mtime);
  }

  static Stream<Arguments> vectors() {
    return Stream.of(
        Arguments.of("file leaf 'hi'", UnixFsData.file(ascii("hi"), 2, List.of()), "0802120268691802"),
        Arguments.of("empty file", UnixFsData.file(null, 0, List.of()), "08021800"),
        Arguments.of("empty directory", UnixFsData.directory(), "0801"),
        Arguments.of("chunked file root",
            UnixFsData.file(null, 524388, List.of(262144L, 262144L, 100L)),
            "080218e4802020808010208080102064"),
        Arguments.of("mode and mtime with nanos",
            UnixFsData.file(ascii("abc"), 3, List.of()).withMetadata(0644, new UnixTime(1700000000L, 123456789)),
            "08021203616263180338a403420b0880e2cfaa061515cd5b07"),
        Arguments.of("negative mtime without nanos",
            UnixFsData.directory().withMetadata(null, new UnixTime(-1, null)),
            "0801420b08ffffffffffffffffff01"),
        Arguments.of("year 1 mtime with nanos",
            UnixFsData.directory().withMetadata(null, new UnixTime(-62135596800L, 1)),
            "08014210088092b8c398feffffff011501000000"),
        Arguments.of("HAMT shard",
            data(UnixFsType.HAMT_SHARD, hex("0180"), null, List.of(), 0x22L, 256L, null, null),
            "0805120201802822308002"),
        Arguments.of("symlink",
            data(UnixFsType.SYMLINK, ascii("../target"), null, List.of(), null, null, null, null),
            "080412092e2e2f746172676574"),
        Arguments.of("raw",
            data(UnixFsType.RAW, hex("ff00"), 2L, List.of(), null, null, null, null),
            "08001202ff001802"),
        Arguments.of("mode 0xffffffff",
            UnixFsData.file(null, 0, List.of()).withMetadata(-1, null),
            "0802180038ffffffff0f"),
        Arguments.of("filesize above 2^53",
            UnixFsData.file(null, 9007199254740993L, List.of()),
            "0802188180808080808010"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void encodesLikeTheReference(String name, UnixFsData value, String expected) {
    assertThat(HEX.formatHex(value.encode())).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void decodesTheReference(String name, UnixFsData value, String bytes) {
    assertThat(UnixFsData.decode(hex(bytes))).isEqualTo(value);
  }

  @Test
  void fileLeafFieldByField() {
    // 08 02: Type=File; 12 02 68 69: Data="hi"; 18 02: filesize=2
    UnixFsData leaf = UnixFsData.decode(hex("0802120268691802"));
    assertThat(leaf.type()).isEqualTo(UnixFsType.FILE);
    assertThat(leaf.data()).isEqualTo(ascii("hi"));
    assertThat(leaf.fileSize()).isEqualTo(2L);
    assertThat(leaf.blockSizes()).isEmpty();
    assertThat(leaf.hashType()).isNull();
    assertThat(leaf.fanout()).isNull();
    assertThat(leaf.mode()).isNull();
    assertThat(leaf.mtime()).isNull();
  }

  @Test
  void emptyFileOmitsDataButKeepsAZeroFilesize() {
    assertThat(HEX.formatHex(UnixFsData.file(new byte[0], 0, List.of()).encode())).isEqualTo("08021800");
    assertThat(HEX.formatHex(UnixFsData.file(null, 0, List.of()).encode())).isEqualTo("08021800");
    UnixFsData decoded = UnixFsData.decode(hex("08021800"));
    assertThat(decoded.data()).isNull();
    assertThat(decoded.dataOrEmpty()).isEmpty();
    assertThat(decoded.fileSize()).isZero();
  }

  @Test
  void absentFilesizeIsNotZero() {
    UnixFsData noSize = data(UnixFsType.FILE, null, null, List.of(), null, null, null, null);
    assertThat(HEX.formatHex(noSize.encode())).isEqualTo("0802");
    assertThat(UnixFsData.decode(hex("0802")).fileSize()).isNull();
    assertThat(UnixFsData.decode(hex("0802"))).isNotEqualTo(UnixFsData.file(null, 0, List.of()));
  }

  /**
   * Like go-unixfs and ipfs-unixfs, an empty Data is written as absent. A block that carries an
   * explicit empty Data field (12 00) therefore decodes, but re-encodes to different bytes.
   */
  @Test
  void explicitEmptyDataIsDecodedButNotReEncoded() {
    UnixFsData decoded = UnixFsData.decode(hex("080212001800"));
    assertThat(decoded.data()).isEmpty();
    assertThat(HEX.formatHex(decoded.encode())).isEqualTo("08021800");
  }

  @Test
  void blockSizesAreWrittenUnpacked() {
    UnixFsData root = UnixFsData.file(null, 3, List.of(1L, 2L));
    assertThat(HEX.formatHex(root.encode())).isEqualTo("080218032001" + "2002");
  }

  @Test
  void packedBlockSizesAreAcceptedOnDecode() {
    // 22 07: field 4, length-delimited, 7 bytes of varints 262144 262144 100
    UnixFsData packed = UnixFsData.decode(hex("080218e48020" + "2207" + "808010" + "808010" + "64"));
    assertThat(packed.blockSizes()).containsExactly(262144L, 262144L, 100L);
    assertThat(packed).isEqualTo(UnixFsData.file(null, 524388, List.of(262144L, 262144L, 100L)));
    // and re-encoded unpacked
    assertThat(HEX.formatHex(packed.encode())).isEqualTo("080218e4802020808010208080102064");
  }

  @Test
  void packedAndUnpackedBlockSizesMayBeMixed() {
    UnixFsData mixed = UnixFsData.decode(hex("0802" + "2001" + "22020203" + "2004" + "2200"));
    assertThat(mixed.blockSizes()).containsExactly(1L, 2L, 3L, 4L);
  }

  @Test
  void truncatedPackedBlockSizesAreRejected() {
    assertThatThrownBy(() -> UnixFsData.decode(hex("0802" + "220180")))
        .isInstanceOf(UnixFsException.class)
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> UnixFsData.decode(hex("0802" + "220501")))
        .isInstanceOf(UnixFsException.class)
        .hasMessageContaining("runs past");
  }

  @Test
  void mtimeWithAndWithoutNanos() {
    UnixFsData withNanos = UnixFsData.directory().withMetadata(null, new UnixTime(5, 7));
    // 42 07: mtime, 7 bytes: 08 05 (Seconds=5), 15 07000000 (fixed32 nanos=7)
    assertThat(HEX.formatHex(withNanos.encode())).isEqualTo("0801" + "4207" + "0805" + "1507000000");
    assertThat(UnixFsData.decode(withNanos.encode()).mtime()).isEqualTo(new UnixTime(5, 7));

    UnixFsData without = UnixFsData.directory().withMetadata(null, new UnixTime(5, null));
    assertThat(HEX.formatHex(without.encode())).isEqualTo("0801" + "4202" + "0805");
    assertThat(UnixFsData.decode(without.encode()).mtime()).isEqualTo(new UnixTime(5, null));

    UnixFsData maxNanos = UnixFsData.directory().withMetadata(null, new UnixTime(0, 999_999_999));
    assertThat(HEX.formatHex(maxNanos.encode())).isEqualTo("0801" + "4207" + "0800" + "15ffc99a3b");
    assertThat(UnixFsData.decode(maxNanos.encode())).isEqualTo(maxNanos);
  }

  @Test
  void mtimeWithoutSecondsReadsAsZero() {
    assertThat(UnixFsData.decode(hex("08014200")).mtime()).isEqualTo(new UnixTime(0, null));
    assertThat(UnixFsData.decode(hex("0801" + "4205" + "1509000000")).mtime()).isEqualTo(new UnixTime(0, 9));
  }

  @Test
  void negativeSecondsUseTenByteTwosComplement() {
    UnixFsData d = UnixFsData.directory().withMetadata(null, new UnixTime(Long.MIN_VALUE, null));
    assertThat(HEX.formatHex(d.encode())).isEqualTo("0801" + "420b" + "08" + "80808080808080808001");
    assertThat(UnixFsData.decode(d.encode()).mtime().seconds()).isEqualTo(Long.MIN_VALUE);
    assertThat(UnixFsData.decode(hex("0801420b08ffffffffffffffffff01")).mtime().seconds()).isEqualTo(-1);
  }

  @Test
  void unixTimeValidatesNanos() {
    assertThatThrownBy(() -> new UnixTime(0, 0)).isInstanceOf(UnixFsException.class);
    assertThatThrownBy(() -> new UnixTime(0, 1_000_000_000)).isInstanceOf(UnixFsException.class);
    assertThatThrownBy(() -> new UnixTime(0, -1)).isInstanceOf(UnixFsException.class);
    assertThat(new UnixTime(0, 1).nanos()).isEqualTo(1);
  }

  @Test
  void outOfRangeNanosOnTheWireAreRejected() {
    assertThatThrownBy(() -> UnixFsData.decode(hex("0801" + "4205" + "1500000000")))
        .isInstanceOf(UnixFsException.class)
        .hasMessageContaining("FractionalNanoseconds");
    assertThatThrownBy(() -> UnixFsData.decode(hex("0801" + "4205" + "1500ca9a3b"))) // 1e9
        .isInstanceOf(UnixFsException.class);
    assertThatThrownBy(() -> UnixFsData.decode(hex("0801" + "4203" + "150100")))
        .isInstanceOf(UnixFsException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void modeIsAnUnsigned32BitVarint() {
    UnixFsData d = UnixFsData.file(null, 0, List.of()).withMetadata(0100644, null);
    assertThat(HEX.formatHex(d.encode())).isEqualTo("08021800" + "38a48302");
    assertThat(UnixFsData.decode(d.encode()).mode()).isEqualTo(0100644);
    assertThat(UnixFsData.decode(hex("0802" + "38ffffffff0f")).mode()).isEqualTo(-1);
  }

  @Test
  void withMetadataKeepsEverythingElse() {
    UnixFsData base = UnixFsData.file(ascii("x"), 1, List.of(1L));
    UnixFsData meta = base.withMetadata(0755, new UnixTime(1, null));
    assertThat(meta.type()).isEqualTo(base.type());
    assertThat(meta.data()).isEqualTo(base.data());
    assertThat(meta.fileSize()).isEqualTo(base.fileSize());
    assertThat(meta.blockSizes()).isEqualTo(base.blockSizes());
    assertThat(meta.mode()).isEqualTo(0755);
    assertThat(meta.withMetadata(null, null)).isEqualTo(base);
  }

  @Test
  void unknownFieldsAreSkipped() {
    String unknown =
        "4801" // field 9, varint
            + "510102030405060708" // field 10, fixed64
            + "5a02aabb" // field 11, bytes
            + "6501020304" // field 12, fixed32
            + "f8010a"; // field 31, varint (two-byte tag)
    assertThat(UnixFsData.decode(hex("0802" + unknown + "1802"))).isEqualTo(
        data(UnixFsType.FILE, null, 2L, List.of(), null, null, null, null));
    // and inside mtime
    assertThat(UnixFsData.decode(hex("0801" + "4206" + "0805" + "180a" + "2000")).mtime())
        .isEqualTo(new UnixTime(5, null));
  }

  @Test
  void theLastTypeWins() {
    assertThat(UnixFsData.decode(hex("08010802")).type()).isEqualTo(UnixFsType.FILE);
  }

  @ParameterizedTest
  @CsvSource({
      "'', no Type",
      "1800, no Type",
      "1202aabb, no Type",
      "0806, unknown UnixFS type 6",
      "08ffffffff0f, unknown UnixFS type",
      "0a00, Type has wire type 2",
      "080210ff, Data has wire type 0",
      "08021a00, filesize has wire type 2",
      "08022500000000, blocksizes has wire type 5",
      "08022a00, hashType has wire type 2",
      "08023200, fanout has wire type 2",
      "08023a00, mode has wire type 2",
      "08024001, mtime has wire type 0",
      "08, truncated varint",
      "0880, truncated varint",
      "08021205aa, runs past",
      "0802128080808010, runs past",
      "0802ffffffffffffffffffff01, varint too long",
      "08024b, invalid wire type 3",
      "08024c, invalid wire type 4",
      "08024e, invalid wire type 6",
      "08024f, invalid wire type 7",
      "080251010203, truncated UnixFS field 10",
      "08026501, truncated UnixFS field 12",
      "08025a05aa, runs past",
      "0801420108, truncated varint",
      "080142050b, runs past"
  })
  void rejectsMalformedData(String hexBytes, String message) {
    assertThatThrownBy(() -> UnixFsData.decode(hex(hexBytes)))
        .isInstanceOf(UnixFsException.class)
        .hasMessageContaining(message);
  }

  @Test
  void rejectsALengthThatOverflowsToNegative() {
    assertThatThrownBy(() -> UnixFsData.decode(hex("080212ffffffffffffffffff01")))
        .isInstanceOf(UnixFsException.class)
        .hasMessageContaining("runs past");
  }

  @Test
  void absentDataFieldIsNotUnixFs() {
    assertThatThrownBy(() -> UnixFsData.decode(null))
        .isInstanceOf(UnixFsException.class)
        .hasMessageContaining("no Data field");
  }

  @ParameterizedTest
  @EnumSource(UnixFsType.class)
  void typesRoundTripThroughTheirWireNumber(UnixFsType type) {
    assertThat(UnixFsType.fromWire(type.wire())).isSameAs(type);
    UnixFsData d = data(type, null, null, List.of(), null, null, null, null);
    assertThat(UnixFsData.decode(d.encode()).type()).isSameAs(type);
  }

  @Test
  void typeNumbersFollowTheSpec() {
    assertThat(UnixFsType.RAW.wire()).isZero();
    assertThat(UnixFsType.DIRECTORY.wire()).isEqualTo(1);
    assertThat(UnixFsType.FILE.wire()).isEqualTo(2);
    assertThat(UnixFsType.METADATA.wire()).isEqualTo(3);
    assertThat(UnixFsType.SYMLINK.wire()).isEqualTo(4);
    assertThat(UnixFsType.HAMT_SHARD.wire()).isEqualTo(5);
    assertThat(UnixFsType.DIRECTORY.isDirectory()).isTrue();
    assertThat(UnixFsType.HAMT_SHARD.isDirectory()).isTrue();
    assertThat(UnixFsType.FILE.isDirectory()).isFalse();
    assertThat(UnixFsType.FILE.isFileData()).isTrue();
    assertThat(UnixFsType.RAW.isFileData()).isTrue();
    assertThat(UnixFsType.SYMLINK.isFileData()).isFalse();
    assertThat(UnixFsType.METADATA.isFileData()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(longs = {-1, 6, 100, Long.MAX_VALUE})
  void unknownTypeNumbersAreRejected(long wire) {
    assertThatThrownBy(() -> UnixFsType.fromWire(wire)).isInstanceOf(UnixFsException.class);
  }

  @Test
  void recordEqualityComparesDataByContentAndCopiesBlockSizes() {
    List<Long> sizes = new ArrayList<>(List.of(1L, 2L));
    UnixFsData a = UnixFsData.file(ascii("ab"), 3, sizes);
    sizes.add(3L);
    assertThat(a.blockSizes()).containsExactly(1L, 2L);
    UnixFsData b = UnixFsData.file(ascii("ab"), 3, List.of(1L, 2L));
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a).isNotEqualTo(UnixFsData.file(ascii("ac"), 3, List.of(1L, 2L)));
    assertThat(a).isNotEqualTo(UnixFsData.file(ascii("ab"), 3, List.of(1L)));
    assertThat(a).isNotEqualTo(a.withMetadata(0644, null));
    assertThat(a).isNotEqualTo("ab");
  }

  // ---- properties ------------------------------------------------------------------------------

  /** A small non-negative long (up to 2^20) or any long, half and half. */
  private static long someLong(SplittableRandom r) {
    return r.nextBoolean() ? nonNegativeUpTo(r, 1 << 20) : anyLong(r);
  }

  /** Any seconds; nanos in 1..999,999,999 or absent (40%). */
  private static UnixTime unixTime(SplittableRandom r) {
    return new UnixTime(anyLong(r), orNull(r, 0.4, n -> intBetween(n, 1, 999_999_999)));
  }

  /**
   * Any UnixFS Data: every type; Data non-empty (up to 200 bytes) or absent, since an empty Data is
   * written as absent (see explicitEmptyData...); any filesize, blocksizes, hashType, fanout, mode
   * and mtime, each absent some of the time.
   */
  static UnixFsData unixFsData(SplittableRandom r) {
    UnixFsType[] types = UnixFsType.values();
    return new UnixFsData(
        types[r.nextInt(types.length)],
        orNull(r, 0.3, d -> bytes(d, 1, 200)),
        orNull(r, 0.3, UnixFsDataTest::someLong),
        listOf(r, 0, 6, UnixFsDataTest::someLong),
        orNull(r, 0.7, UnixFsDataTest::someLong),
        orNull(r, 0.7, UnixFsDataTest::someLong),
        orNull(r, 0.5, RandomInputs::anyInt),
        orNull(r, 0.5, UnixFsDataTest::unixTime));
  }

  /** Every type bare, and with every field at the ends of its range. */
  static List<UnixFsData> unixFsDataEdgeCases() {
    List<UnixFsData> edges = new ArrayList<>();
    List<byte[]> datas = edgeByteArrays(1, 200);
    for (UnixFsType type : UnixFsType.values()) {
      edges.add(data(type, null, null, List.of(), null, null, null, null));
      edges.add(data(type, datas.get(0), 0L, List.of(0L), 0L, 0L, 0, new UnixTime(0, null)));
      edges.add(data(type, datas.get(datas.size() - 1), Long.MAX_VALUE,
          List.of(Long.MIN_VALUE, -1L, 0L, 1L, 1L << 20, Long.MAX_VALUE),
          Long.MIN_VALUE, Long.MAX_VALUE, Integer.MIN_VALUE, new UnixTime(Long.MIN_VALUE, 1)));
      edges.add(data(type, datas.get(datas.size() - 2), Long.MIN_VALUE, List.of(), -1L, 1L << 20,
          Integer.MAX_VALUE, new UnixTime(Long.MAX_VALUE, 999_999_999)));
      edges.add(data(type, null, -1L, List.of(Long.MAX_VALUE), null, null, -1, new UnixTime(-1, null)));
    }
    for (byte[] d : datas) {
      edges.add(data(UnixFsType.FILE, d, (long) d.length, List.of(), null, null, null, null));
    }
    return edges;
  }

  static String describe(UnixFsData v) {
    return "UnixFsData[type=" + v.type() + ", data=" + RandomInputs.hex(v.data()) + ", fileSize=" + v.fileSize()
        + ", blockSizes=" + v.blockSizes() + ", hashType=" + v.hashType() + ", fanout=" + v.fanout()
        + ", mode=" + v.mode() + ", mtime=" + v.mtime() + "]";
  }

  /** Property: decode(encode(x)) is x, and re-encodes to the same bytes (fixed seed). */
  @Test
  void decodeOfEncodeIsIdentity() {
    forAll(0x756e6978L, 500, unixFsDataEdgeCases(), UnixFsDataTest::unixFsData, UnixFsDataTest::describe,
        value -> {
          byte[] bytes = value.encode();
          UnixFsData decoded = UnixFsData.decode(bytes);
          assertThat(decoded).isEqualTo(value);
          assertThat(decoded.encode()).isEqualTo(bytes);
        });
  }

  /** Property: random bytes decode to something with a type or fail with UnixFsException (fixed seed). */
  @Test
  void decodeFailsOnlyWithUnixFsException() {
    forAll(
        0x67617262L,
        500,
        edgeByteArrays(0, RandomInputs.DEFAULT_MAX_SIZE),
        r -> bytes(r, RandomInputs.DEFAULT_MAX_SIZE),
        RandomInputs::hex,
        garbage -> {
          try {
            UnixFsData decoded = UnixFsData.decode(garbage);
            assertThat(decoded.type()).isNotNull();
          } catch (UnixFsException e) {
            assertThat(e.getMessage()).isNotBlank();
          }
        });
  }
}
