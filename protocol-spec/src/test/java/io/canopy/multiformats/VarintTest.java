package io.canopy.multiformats;

import static io.canopy.testing.RandomInputs.edgeLongsUpTo;
import static io.canopy.testing.RandomInputs.forAll;
import static io.canopy.testing.RandomInputs.nonNegativeLong;
import static io.canopy.testing.RandomInputs.nonNegativeUpTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.testing.RandomInputs;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class VarintTest {
  private static final HexFormat HEX = HexFormat.of();

  /** The examples of github.com/multiformats/unsigned-varint, plus the edges of the 9-byte range. */
  static Stream<Arguments> specExamples() {
    return Stream.of(
        Arguments.of(0L, "00"),
        Arguments.of(1L, "01"),
        Arguments.of(127L, "7f"),
        Arguments.of(128L, "8001"),
        Arguments.of(255L, "ff01"),
        Arguments.of(300L, "ac02"),
        Arguments.of(16383L, "ff7f"),
        Arguments.of(16384L, "808001"),
        Arguments.of((1L << 35) - 1, "ffffffff7f"),
        Arguments.of(1L << 35, "808080808001"),
        Arguments.of((1L << 56) - 1, "ffffffffffffff7f"),
        Arguments.of(1L << 56, "808080808080808001"),
        Arguments.of(Long.MAX_VALUE, "ffffffffffffffff7f"));
  }

  @ParameterizedTest
  @MethodSource("specExamples")
  void encodesSpecExamples(long value, String hex) {
    assertThat(HEX.formatHex(Varint.encode(value))).isEqualTo(hex);
    assertThat(Varint.size(value)).isEqualTo(hex.length() / 2);
  }

  @ParameterizedTest
  @MethodSource("specExamples")
  void decodesSpecExamples(long value, String hex) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(HEX.parseHex(hex));
    assertThat(Varint.read(buf)).isEqualTo(value);
    assertThat(buf.hasRemaining()).isFalse();
    assertThat(Varint.read(new ByteArrayInputStream(HEX.parseHex(hex)))).isEqualTo(value);
  }

  @ParameterizedTest
  @MethodSource("specExamples")
  void writesIntoArrayAndBufferAtOffset(long value, String hex) {
    byte[] out = new byte[3 + hex.length() / 2 + 2];
    int end = Varint.write(value, out, 3);
    assertThat(end).isEqualTo(3 + hex.length() / 2);
    assertThat(HEX.formatHex(out, 3, end)).isEqualTo(hex);
    assertThat(out[0]).isZero();
    assertThat(out[end]).isZero();

    ByteBuffer buf = ByteBuffer.allocate(16);
    buf.put((byte) 0x42);
    Varint.write(value, buf);
    assertThat(buf.position()).isEqualTo(1 + hex.length() / 2);
    assertThat(HEX.formatHex(buf.array(), 1, buf.position())).isEqualTo(hex);
  }

  @Test
  void maxBytesIsNine() {
    assertThat(Varint.MAX_BYTES).isEqualTo(9);
    assertThat(Varint.size(Long.MAX_VALUE)).isEqualTo(9);
  }

  @ParameterizedTest
  @ValueSource(longs = {-1L, Long.MIN_VALUE, -128L})
  void rejectsNegativeValues(long value) {
    assertThatThrownBy(() -> Varint.encode(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("negative");
    assertThatThrownBy(() -> Varint.size(value)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Varint.write(value, new byte[16], 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Varint.write(value, ByteBuffer.allocate(16)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"8000", "ff00", "808000", "ff8000", "8080808080808000", "808080808080808000"})
  void rejectsNonMinimalEncodings(String hex) {
    assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(HEX.parseHex(hex))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("minimal");
    assertThatThrownBy(() -> Varint.read(new ByteArrayInputStream(HEX.parseHex(hex))))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("minimal");
  }

  @ParameterizedTest
  @ValueSource(strings = {"80808080808080808001", "ffffffffffffffffff01", "ffffffffffffffffff7f", "808080808080808080"})
  void rejectsMoreThanNineBytes(String hex) {
    assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(HEX.parseHex(hex))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("longer than 9 bytes");
    assertThatThrownBy(() -> Varint.read(new ByteArrayInputStream(HEX.parseHex(hex))))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("longer than 9 bytes");
  }

  @ParameterizedTest
  @ValueSource(strings = {"80", "ff", "8080", "ffffffffffffffff"})
  void rejectsTruncatedInput(String hex) {
    assertThatThrownBy(() -> Varint.read(ByteBuffer.wrap(HEX.parseHex(hex))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> Varint.read(new ByteArrayInputStream(HEX.parseHex(hex))))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void emptyBufferIsTruncated() {
    assertThatThrownBy(() -> Varint.read(ByteBuffer.allocate(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void streamReadReturnsMinusOneOnCleanEndOfStream() throws IOException {
    assertThat(Varint.read(new ByteArrayInputStream(new byte[0]))).isEqualTo(-1);
  }

  @Test
  void streamReadConsumesOnlyTheVarint() throws IOException {
    ByteArrayInputStream in = new ByteArrayInputStream(HEX.parseHex("ac02" + "01" + "7f"));
    assertThat(Varint.read(in)).isEqualTo(300);
    assertThat(Varint.read(in)).isEqualTo(1);
    assertThat(Varint.read(in)).isEqualTo(127);
    assertThat(Varint.read(in)).isEqualTo(-1);
  }

  @Test
  void bufferReadStopsAtTheEndOfTheVarint() {
    ByteBuffer buf = ByteBuffer.wrap(HEX.parseHex("808001" + "ff01" + "aa"));
    assertThat(Varint.read(buf)).isEqualTo(16384);
    assertThat(buf.position()).isEqualTo(3);
    assertThat(Varint.read(buf)).isEqualTo(255);
    assertThat(buf.position()).isEqualTo(5);
    assertThat(buf.remaining()).isEqualTo(1);
  }

  /** Property: every non-negative long round-trips, in canonical form (fixed seed). */
  @Test
  void roundTripsEveryNonNegativeLong() {
    forAll(
        0x7661726974L,
        2000,
        edgeLongsUpTo(Long.MAX_VALUE),
        RandomInputs::nonNegativeLong,
        value -> value + " (0x" + Long.toHexString(value) + ")",
        VarintTest::checkRoundTrip);
  }

  private static void checkRoundTrip(long value) throws IOException {
    byte[] encoded = Varint.encode(value);
    assertThat(encoded).hasSize(Varint.size(value));
    assertThat(encoded.length).isBetween(1, Varint.MAX_BYTES);
    // Only the last byte lacks the continuation bit, and it is non-zero unless the value is 0.
    for (int i = 0; i < encoded.length - 1; i++) {
      assertThat(encoded[i] & 0x80).isEqualTo(0x80);
    }
    assertThat(encoded[encoded.length - 1] & 0x80).isZero();
    if (encoded.length > 1) {
      assertThat(encoded[encoded.length - 1]).isNotZero();
    }
    ByteBuffer buf = ByteBuffer.wrap(encoded);
    assertThat(Varint.read(buf)).isEqualTo(value);
    assertThat(buf.hasRemaining()).isFalse();
    assertThat(Varint.read(new ByteArrayInputStream(encoded))).isEqualTo(value);
  }

  /** Property: the size is one byte per started group of 7 bits, at least one (fixed seed). */
  @Test
  void sizeMatchesBitLength() {
    forAll(
        0x73697a65L,
        500,
        edgeLongsUpTo(Long.MAX_VALUE),
        RandomInputs::nonNegativeLong,
        value -> value + " (0x" + Long.toHexString(value) + ")",
        value -> {
          int bits = 64 - Long.numberOfLeadingZeros(value);
          assertThat(Varint.size(value)).isEqualTo(Math.max(1, (bits + 6) / 7));
        });
  }

  /** Property: two varints written back to back read back in order (fixed seed). */
  @Test
  void consecutiveVarintsReadBackInOrder() {
    record Case(long a, long b) {}
    List<Case> edges = new ArrayList<>();
    for (long a : edgeLongsUpTo(Long.MAX_VALUE)) {
      for (long b : edgeLongsUpTo(1 << 20)) {
        edges.add(new Case(a, b));
      }
    }
    forAll(
        0x636f6e73L,
        500,
        edges,
        r -> new Case(nonNegativeLong(r), nonNegativeUpTo(r, 1 << 20)),
        c -> "a=" + c.a() + " b=" + c.b(),
        c -> checkConsecutive(c.a(), c.b()));
  }

  private static void checkConsecutive(long a, long b) {
    ByteBuffer buf = ByteBuffer.allocate(Varint.size(a) + Varint.size(b));
    Varint.write(a, buf);
    Varint.write(b, buf);
    buf.flip();
    assertThat(Varint.read(buf)).isEqualTo(a);
    assertThat(Varint.read(buf)).isEqualTo(b);
    assertThat(buf.hasRemaining()).isFalse();
  }
}
