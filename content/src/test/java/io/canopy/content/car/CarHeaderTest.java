package io.canopy.content.car;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.multiformats.Cid;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class CarHeaderTest {
  static final HexFormat HEX = HexFormat.of();
  static final Cid ROOT_V0 = Cid.parse(CarVectors.ROOT);
  static final Cid LEAF_A = Cid.parse("bafkreieo2p3k22c3swpk24bckghbv53m3alpr2hmptg5uhwuaghi6ird7a");
  static final Cid SUB = Cid.parse(CarVectors.SUB);

  @Test
  void headerBytesMatchTheJsReferenceForACidV0Root() throws IOException {
    assertThat(HEX.formatHex(headerWithLength(List.of(ROOT_V0)))).isEqualTo(CarVectors.HEADER_V0_ROOT_HEX);
  }

  @Test
  void headerBytesMatchTheJsReferenceForTwoCidV1Roots() throws IOException {
    assertThat(HEX.formatHex(headerWithLength(List.of(LEAF_A, SUB)))).isEqualTo(CarVectors.HEADER_TWO_V1_ROOTS_HEX);
  }

  @Test
  void rootsComeBeforeVersionAsDagCborKeyOrderRequires() {
    byte[] cbor = new CarHeader(List.of(ROOT_V0)).encode();
    // a2 = map(2); 65 "roots"; 81 = array(1); d8 2a = tag 42; 58 23 = bytes(35); 00 = identity multibase
    assertThat(HEX.formatHex(Arrays.copyOf(cbor, 12))).isEqualTo("a265726f6f747381d82a5823");
    assertThat(cbor[12]).isZero();
    assertThat(HEX.formatHex(Arrays.copyOfRange(cbor, cbor.length - 9, cbor.length))).isEqualTo("6776657273696f6e01");
  }

  @Test
  void decodesWhatItEncodes() throws IOException {
    List<Cid> roots = List.of(LEAF_A, SUB, ROOT_V0);
    assertThat(CarHeader.decode(new CarHeader(roots).encode()).roots()).isEqualTo(roots);
  }

  @Test
  void keysInAnyOrderAndUnknownKeysAreAccepted() throws IOException {
    // {"version": 1, "note": "hi", "roots": []}
    byte[] cbor = HEX.parseHex("a3" + "6776657273696f6e01" + "646e6f7465" + "626869" + "65726f6f747380");
    assertThat(CarHeader.decode(cbor).roots()).isEmpty();
  }

  @Test
  void aCarV2PragmaIsRejectedAsUnsupported() {
    byte[] pragma = HEX.parseHex("a16776657273696f6e02"); // {"version": 2}, the CARv2 pragma
    assertThatThrownBy(() -> CarHeader.decode(pragma))
        .isInstanceOf(CarFormatException.class)
        .hasMessageContaining("unsupported CAR version 2")
        .hasMessageContaining("CARv2");
  }

  @Test
  void badHeadersSayWhatIsWrong() {
    assertBad("a16776657273696f6e01", "no \"roots\""); // {"version": 1}
    assertBad("a165726f6f747380", "no \"version\""); // {"roots": []}
    assertBad("8101", "major type 4"); // [1]: not a map
    assertBad("a265726f6f747381d82b4100" + "6776657273696f6e01", "tag 43"); // root with the wrong tag
    assertBad("a265726f6f747381d82a450001701220" + "6776657273696f6e01", "not a valid CID"); // CID cut short
    assertBad("a265726f6f747381d82a4201706776657273696f6e01", "no 0x00 prefix");
    assertBad("a16776657273696f6e01" + "00", "after the header map");
    assertBad("bf", "indefinite-length"); // indefinite map
    assertBad("a265726f6f7473", "ends in the middle");
    assertBad("a265726f6f74739bffffffffffffffff", "beyond 2^63");
  }

  private static void assertBad(String hex, String message) {
    assertThatThrownBy(() -> CarHeader.decode(HEX.parseHex(hex)))
        .as(hex)
        .isInstanceOf(CarFormatException.class)
        .hasMessageStartingWith("bad CAR header: ")
        .hasMessageContaining(message);
  }

  private static byte[] headerWithLength(List<Cid> roots) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CarWriter.open(out, roots);
    return out.toByteArray();
  }
}
