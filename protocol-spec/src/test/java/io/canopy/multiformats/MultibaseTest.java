package io.canopy.multiformats;

import static io.canopy.testing.RandomInputs.bytes;
import static io.canopy.testing.RandomInputs.edgeByteArrays;
import static io.canopy.testing.RandomInputs.forAll;
import static io.canopy.testing.RandomInputs.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.testing.RandomInputs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class MultibaseTest {
  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** RFC 4648 §10 base32 vectors, lower case without padding. */
  @ParameterizedTest
  @CsvSource({
      "'', ''",
      "f, my",
      "fo, mzxq",
      "foo, mzxw6",
      "foob, mzxw6yq",
      "fooba, mzxw6ytb",
      "foobar, mzxw6ytboi"
  })
  void rfc4648Base32(String plain, String encoded) {
    assertThat(Multibase.BASE32.encodeBare(ascii(plain))).isEqualTo(encoded);
    assertThat(Multibase.BASE32.encode(ascii(plain))).isEqualTo("b" + encoded);
    assertThat(Multibase.BASE32_UPPER.encode(ascii(plain))).isEqualTo("B" + encoded.toUpperCase(Locale.ROOT));
    assertThat(Multibase.BASE32.decodeBare(encoded)).isEqualTo(ascii(plain));
    assertThat(Multibase.decode("b" + encoded)).isEqualTo(ascii(plain));
    assertThat(Multibase.decode("B" + encoded.toUpperCase(Locale.ROOT))).isEqualTo(ascii(plain));
  }

  /** RFC 4648 §10 base16 and base64 vectors. */
  @ParameterizedTest
  @CsvSource({
      "f, 66, Zg",
      "fo, 666f, Zm8",
      "foo, 666f6f, Zm9v",
      "foob, 666f6f62, Zm9vYg",
      "fooba, 666f6f6261, Zm9vYmE",
      "foobar, 666f6f626172, Zm9vYmFy"
  })
  void rfc4648Base16AndBase64(String plain, String hex, String b64) {
    assertThat(Multibase.BASE16.encode(ascii(plain))).isEqualTo("f" + hex);
    assertThat(Multibase.BASE64.encode(ascii(plain))).isEqualTo("m" + b64);
    assertThat(Multibase.decode("f" + hex)).isEqualTo(ascii(plain));
    assertThat(Multibase.decode("m" + b64)).isEqualTo(ascii(plain));
  }

  /** The multibase spec's test vectors (basic.csv, leading_zero.csv, two_leading_zeros.csv). */
  static Stream<Arguments> specVectors() {
    return Stream.of(
        Arguments.of("yes mani !", Multibase.BASE16, "f796573206d616e692021"),
        Arguments.of("yes mani !", Multibase.BASE16_UPPER, "F796573206D616E692021"),
        Arguments.of("yes mani !", Multibase.BASE32, "bpfsxgidnmfxgsibb"),
        Arguments.of("yes mani !", Multibase.BASE32_UPPER, "BPFSXGIDNMFXGSIBB"),
        Arguments.of("yes mani !", Multibase.BASE36, "k2lcpzo5yikidynfl"),
        Arguments.of("yes mani !", Multibase.BASE36_UPPER, "K2LCPZO5YIKIDYNFL"),
        Arguments.of("yes mani !", Multibase.BASE58_BTC, "z7paNL19xttacUY"),
        Arguments.of("yes mani !", Multibase.BASE64, "meWVzIG1hbmkgIQ"),
        Arguments.of("yes mani !", Multibase.BASE64_URL, "ueWVzIG1hbmkgIQ"),
        Arguments.of("\0yes mani !", Multibase.BASE16, "f00796573206d616e692021"),
        Arguments.of("\0yes mani !", Multibase.BASE32, "bab4wk4zanvqw42jaee"),
        Arguments.of("\0yes mani !", Multibase.BASE36, "k02lcpzo5yikidynfl"),
        Arguments.of("\0yes mani !", Multibase.BASE36_UPPER, "K02LCPZO5YIKIDYNFL"),
        Arguments.of("\0yes mani !", Multibase.BASE58_BTC, "z17paNL19xttacUY"),
        Arguments.of("\0yes mani !", Multibase.BASE64, "mAHllcyBtYW5pICE"),
        Arguments.of("\0\0yes mani !", Multibase.BASE32, "baaahszltebwwc3tjeaqq"),
        Arguments.of("\0\0yes mani !", Multibase.BASE36, "k002lcpzo5yikidynfl"),
        Arguments.of("\0\0yes mani !", Multibase.BASE58_BTC, "z117paNL19xttacUY"),
        Arguments.of("\0\0yes mani !", Multibase.BASE64_URL, "uAAB5ZXMgbWFuaSAh"));
  }

  @ParameterizedTest
  @MethodSource("specVectors")
  void encodesSpecVectors(String plain, Multibase base, String encoded) {
    assertThat(base.encode(ascii(plain))).isEqualTo(encoded);
    assertThat(base.encodeBare(ascii(plain))).isEqualTo(encoded.substring(1));
  }

  @ParameterizedTest
  @MethodSource("specVectors")
  void decodesSpecVectors(String plain, Multibase base, String encoded) {
    assertThat(Multibase.decode(encoded)).isEqualTo(ascii(plain));
    assertThat(base.decodeBare(encoded.substring(1))).isEqualTo(ascii(plain));
    assertThat(Multibase.byPrefix(encoded.charAt(0))).isEqualTo(base);
  }

  @Test
  void allZeroInputsKeepEveryZeroByte() {
    for (int n = 0; n <= 5; n++) {
      byte[] zeros = new byte[n];
      assertThat(Multibase.BASE58_BTC.encodeBare(zeros)).isEqualTo("1".repeat(n));
      assertThat(Multibase.BASE36.encodeBare(zeros)).isEqualTo("0".repeat(n));
      for (Multibase base : Multibase.values()) {
        assertThat(Multibase.decode(base.encode(zeros))).as(base + " x" + n).isEqualTo(zeros);
      }
    }
    assertThat(Multibase.BASE58_BTC.encodeBare(new byte[] {0, 0, 1})).isEqualTo("112");
    assertThat(Multibase.BASE36.encodeBare(new byte[] {0, 0, 1})).isEqualTo("001");
  }

  @Test
  void upperCaseVariantsDecodeEitherCase() {
    assertThat(Multibase.BASE32_UPPER.decodeBare("pfsxgidnmfxgsibb")).isEqualTo(ascii("yes mani !"));
    assertThat(Multibase.BASE36.decodeBare("2LCPZO5YIKIDYNFL")).isEqualTo(ascii("yes mani !"));
    assertThat(Multibase.BASE16.decodeBare("796573206D616E692021")).isEqualTo(ascii("yes mani !"));
  }

  @Test
  void base58IsCaseSensitive() {
    assertThat(Multibase.decode("z7PANL19XTTACUY")).isNotEqualTo(ascii("yes mani !"));
  }

  /** Upper-casing and lower-casing must not follow the JVM's default locale (Turkish dotless i). */
  @Test
  void caseConversionIgnoresTheDefaultLocale() {
    Locale saved = Locale.getDefault();
    try {
      Locale.setDefault(Locale.forLanguageTag("tr-TR"));
      // "yes mani !" in base32 contains an 'i'.
      assertThat(Multibase.BASE32_UPPER.encode(ascii("yes mani !"))).isEqualTo("BPFSXGIDNMFXGSIBB");
      assertThat(Multibase.decode("BPFSXGIDNMFXGSIBB")).isEqualTo(ascii("yes mani !"));
      assertThat(Multibase.decode("K2LCPZO5YIKIDYNFL")).isEqualTo(ascii("yes mani !"));
      assertThat(Multibase.BASE36_UPPER.encode(ascii("yes mani !"))).isEqualTo("K2LCPZO5YIKIDYNFL");
    } finally {
      Locale.setDefault(saved);
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "z|0OIl|'0'",
      "z|7paNL19xttacU0|'0'",
      "z|7paNL19xOtacUY|'O'",
      "z|7paNL19xttIcUY|'I'",
      "z|7paNl19xttacUY|'l'",
      "z|7paNL19 xttacUY|' '",
      "b|pfsxgidnmfxgs1bb|'1'",
      "b|pfsxgidnmfxg8ibb|'8'",
      "b|pfsx!idnmfxgsibb|'!'",
      "k|2lcpzo5yikidy-fl|'-'",
      "k|2lcpzo5yik?dynfl|'?'",
      "f|796573206d616e69202g|g",
      "f|79657|",
      "m|eWVzIG1hb!kgIQ|",
      "u|eWVzIG1hbmk+IQ|"
  })
  void invalidCharactersAreRejectedWithAMessage(char prefix, String bare, String mentioned) {
    Multibase base = Multibase.byPrefix(prefix);
    assertThatThrownBy(() -> Multibase.decode(prefix + bare))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid " + base.baseName())
        .satisfies(e -> {
          if (mentioned != null) {
            assertThat(e.getMessage()).contains(mentioned);
          }
        });
    assertThatThrownBy(() -> base.decodeBare(bare)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void invalidCharacterMessageGivesThePosition() {
    assertThatThrownBy(() -> Multibase.BASE58_BTC.decodeBare("abc0"))
        .hasMessage("invalid base58btc text: character '0' at 3");
    assertThatThrownBy(() -> Multibase.BASE32.decodeBare("ab1"))
        .hasMessage("invalid base32 text: character '1' at 2");
  }

  @Test
  void nonAsciiCharactersAreRejected() {
    for (Multibase base : Multibase.values()) {
      assertThatThrownBy(() -> base.decodeBare("aé"))
          .as(base.baseName())
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  /** Only ASCII letters fold: U+212A KELVIN SIGN lower-cases to 'k', U+0130 to "i" + U+0307. */
  @Test
  void caseFoldingIsAsciiOnly() {
    assertThatThrownBy(() -> Multibase.decode("b\u212Amzxw6"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at 0");
    assertThatThrownBy(() -> Multibase.decode("k2lcpzo5y\u212Aikidynfl")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Multibase.decode("BPFSXG\u0130DNMFXGSIBB"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at 5");
    assertThatThrownBy(() -> Multibase.decode("f\u212A0")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unknownPrefixIsRejected() {
    assertThatThrownBy(() -> Multibase.decode("Qmfoo"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown multibase prefix 'Q'");
    assertThatThrownBy(() -> Multibase.byPrefix('!')).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void emptyStringIsRejected() {
    assertThatThrownBy(() -> Multibase.decode(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void prefixOnlyDecodesToNoBytes() {
    for (Multibase base : Multibase.values()) {
      assertThat(Multibase.decode(String.valueOf(base.prefix()))).as(base.baseName()).isEmpty();
      assertThat(base.encode(new byte[0])).isEqualTo(String.valueOf(base.prefix()));
    }
  }

  /**
   * A base32 length of 1, 3 or 6 (mod 8) cannot come from any byte string, and the spare bits
   * of the last character must be zero: otherwise one byte string has many texts, and a CID
   * with a stray character appended still parses as the same CID.
   */
  @Test
  void base32RejectsImpossibleLengthsAndNonZeroSpareBits() {
    assertThatThrownBy(() -> Multibase.decode("ba")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Multibase.decode("bmzxw6a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Multibase.decode("bmzxw6ytboia")).isInstanceOf(IllegalArgumentException.class);
    // "my" is "f"; "mz" differs only in the two spare bits.
    assertThat(Multibase.decode("bmy")).isEqualTo(ascii("f"));
    assertThatThrownBy(() -> Multibase.decode("bmz"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid base32");
    assertThatThrownBy(() -> Multibase.decode("bmzxw7")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void base32PaddingIsToleratedButNothingMayFollowIt() {
    assertThat(Multibase.decode("bmzxw6===")).isEqualTo(ascii("foo"));
    assertThat(Multibase.decode("bmy======")).isEqualTo(ascii("f"));
    assertThatThrownBy(() -> Multibase.decode("bmzxw6=mzxw6")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Multibase.decode("bmzxw6=!!")).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @EnumSource(Multibase.class)
  void lookupByPrefixAndName(Multibase base) {
    assertThat(Multibase.byPrefix(base.prefix())).isSameAs(base);
    assertThat(Multibase.byName(base.baseName())).isSameAs(base);
  }

  @Test
  void namesAndPrefixesFollowTheMultibaseTable() {
    assertThat(Multibase.BASE58_BTC.prefix()).isEqualTo('z');
    assertThat(Multibase.BASE58_BTC.baseName()).isEqualTo("base58btc");
    assertThat(Multibase.BASE32.prefix()).isEqualTo('b');
    assertThat(Multibase.BASE36.prefix()).isEqualTo('k');
    assertThat(Multibase.BASE16.prefix()).isEqualTo('f');
    assertThat(Multibase.BASE64.prefix()).isEqualTo('m');
    assertThat(Multibase.BASE64_URL.prefix()).isEqualTo('u');
    assertThatThrownBy(() -> Multibase.byName("base2")).isInstanceOf(IllegalArgumentException.class);
  }

  /** Input of the leading-zero properties: {@code leadingZeros} zero bytes, then {@code data}. */
  private record Padded(byte[] data, int leadingZeros) {
    byte[] input() {
      byte[] input = new byte[leadingZeros + data.length];
      System.arraycopy(data, 0, input, leadingZeros, data.length);
      return input;
    }

    @Override
    public String toString() {
      return "leadingZeros=" + leadingZeros + " data=" + hex(data);
    }
  }

  private static List<Padded> paddedEdgeCases(int minSize, int maxSize) {
    List<Padded> edges = new ArrayList<>();
    for (byte[] data : edgeByteArrays(minSize, maxSize)) {
      for (int leadingZeros = 0; leadingZeros <= 4; leadingZeros++) {
        edges.add(new Padded(data, leadingZeros));
      }
    }
    return edges;
  }

  /** Property: any bytes, with up to 4 leading zero bytes, round-trip in every base (fixed seed). */
  @Test
  void roundTripsInEveryBase() {
    forAll(
        0x6261736573L,
        300,
        paddedEdgeCases(0, 80),
        r -> new Padded(bytes(r, 80), r.nextInt(5)),
        Padded::toString,
        p -> checkRoundTripsInEveryBase(p.input()));
  }

  private static void checkRoundTripsInEveryBase(byte[] input) {
    for (Multibase base : Multibase.values()) {
      String text = base.encode(input);
      assertThat(text.charAt(0)).isEqualTo(base.prefix());
      assertThat(Multibase.decode(text)).as(base.baseName() + " " + text).isEqualTo(input);
      assertThat(base.decodeBare(base.encodeBare(input))).isEqualTo(input);
    }
  }

  /** Property: in base58btc and base36 each leading zero byte is one leading zero digit (fixed seed). */
  @Test
  void leadingZeroBytesBecomeLeadingZeroDigits() {
    forAll(
        0x7a65726f73L,
        200,
        paddedEdgeCases(1, 40),
        r -> new Padded(bytes(r, 1, 40), r.nextInt(5)),
        Padded::toString,
        p -> checkLeadingZeros(p.data().clone(), p.leadingZeros()));
  }

  private static void checkLeadingZeros(byte[] data, int leadingZeros) {
    data[0] |= 1; // make the first non-zero-prefixed byte non-zero
    byte[] input = new byte[leadingZeros + data.length];
    System.arraycopy(data, 0, input, leadingZeros, data.length);
    assertThat(Multibase.BASE58_BTC.encodeBare(input))
        .isEqualTo("1".repeat(leadingZeros) + Multibase.BASE58_BTC.encodeBare(data));
    assertThat(Multibase.BASE36.encodeBare(input))
        .isEqualTo("0".repeat(leadingZeros) + Multibase.BASE36.encodeBare(data));
  }

  /** Property: every encoding stays within its alphabet and has the expected length (fixed seed). */
  @Test
  void encodingsUseOnlyTheirAlphabet() {
    forAll(
        0x616c706861L,
        200,
        edgeByteArrays(0, 60),
        r -> bytes(r, 60),
        RandomInputs::hex,
        MultibaseTest::checkAlphabet);
  }

  private static void checkAlphabet(byte[] data) {
    assertThat(Multibase.BASE58_BTC.encodeBare(data))
        .matches("[1-9A-HJ-NP-Za-km-z]*");
    assertThat(Multibase.BASE36.encodeBare(data)).matches("[0-9a-z]*");
    assertThat(Multibase.BASE32.encodeBare(data)).matches("[a-z2-7]*").hasSize((data.length * 8 + 4) / 5);
    assertThat(Multibase.BASE16.encodeBare(data)).matches("[0-9a-f]*").hasSize(data.length * 2);
    assertThat(Arrays.equals(Multibase.BASE64_URL.decodeBare(Multibase.BASE64_URL.encodeBare(data)), data)).isTrue();
  }
}
