package io.canopy.multiformats;

import static io.canopy.testing.RandomInputs.bytes;
import static io.canopy.testing.RandomInputs.edgeByteArrays;
import static io.canopy.testing.RandomInputs.edgeLongsUpTo;
import static io.canopy.testing.RandomInputs.forAll;
import static io.canopy.testing.RandomInputs.hex;
import static io.canopy.testing.RandomInputs.nonNegativeLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.testing.RandomInputs;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class MultihashTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] EMPTY = new byte[0];
  private static final byte[] FOO = "foo".getBytes(StandardCharsets.US_ASCII);

  static final String SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  static final String SHA256_FOO = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
  static final String SHA512_EMPTY =
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
          + "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
  static final String BLAKE3_EMPTY = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

  @Test
  void sha256OfEmptyString() {
    Multihash mh = Multihash.compute(Multicodec.SHA2_256, EMPTY);
    assertThat(mh.code()).isEqualTo(0x12);
    assertThat(mh.digestLength()).isEqualTo(32);
    assertThat(HEX.formatHex(mh.digest())).isEqualTo(SHA256_EMPTY);
    assertThat(HEX.formatHex(mh.toBytes())).isEqualTo("1220" + SHA256_EMPTY);
    assertThat(mh.encodedLength()).isEqualTo(34);
    assertThat(mh).hasToString("sha2-256:" + SHA256_EMPTY);
  }

  @Test
  void sha256OfFoo() {
    Multihash mh = Multihash.compute(Multicodec.SHA2_256, FOO);
    assertThat(HEX.formatHex(mh.toBytes())).isEqualTo("1220" + SHA256_FOO);
  }

  @Test
  void sha512OfEmptyString() {
    Multihash mh = Multihash.compute(Multicodec.SHA2_512, EMPTY);
    assertThat(HEX.formatHex(mh.toBytes())).isEqualTo("1340" + SHA512_EMPTY);
  }

  @Test
  void blake3OfEmptyString() {
    Multihash mh = Multihash.compute(Multicodec.BLAKE3, EMPTY);
    assertThat(mh.code()).isEqualTo(0x1e);
    assertThat(HEX.formatHex(mh.toBytes())).isEqualTo("1e20" + BLAKE3_EMPTY);
    assertThat(mh.toString()).isEqualTo("blake3:" + BLAKE3_EMPTY);
  }

  @Test
  void identityInlinesTheData() {
    Multihash mh = Multihash.compute(Multicodec.IDENTITY, FOO);
    assertThat(HEX.formatHex(mh.toBytes())).isEqualTo("0003666f6f");
    assertThat(mh.digest()).isEqualTo(FOO);
    assertThat(HEX.formatHex(Multihash.compute(Multicodec.IDENTITY, EMPTY).toBytes())).isEqualTo("0000");
  }

  @Test
  void identityIsLimitedTo128Bytes() {
    byte[] max = new byte[Multihash.MAX_IDENTITY_LENGTH];
    Arrays.fill(max, (byte) 7);
    Multihash mh = Multihash.compute(Multicodec.IDENTITY, max);
    assertThat(mh.digest()).isEqualTo(max);
    // 128 needs a two-byte varint length.
    assertThat(HEX.formatHex(mh.toBytes(), 0, 3)).isEqualTo("008001");
    assertThat(Multihash.fromBytes(mh.toBytes())).isEqualTo(mh);

    assertThatThrownBy(() -> Multihash.compute(Multicodec.IDENTITY, new byte[129]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("128");
  }

  @Test
  void computeOverARangeEqualsComputeOverTheSlice() {
    byte[] buf = "xxfooyy".getBytes(StandardCharsets.US_ASCII);
    for (Multicodec fn : new Multicodec[] {Multicodec.SHA2_256, Multicodec.SHA2_512, Multicodec.BLAKE3, Multicodec.IDENTITY}) {
      assertThat(Multihash.compute(fn, buf, 2, 3)).isEqualTo(Multihash.compute(fn, FOO));
    }
  }

  @ParameterizedTest
  @EnumSource(value = Multicodec.class, names = {"SHA2_256", "SHA2_512", "BLAKE3", "IDENTITY"})
  void supportedFunctions(Multicodec fn) {
    assertThat(Multihash.isSupported(fn)).isTrue();
    Multihash mh = Multihash.compute(fn, FOO);
    assertThat(mh.code()).isEqualTo(fn.code());
    assertThat(mh.matches(FOO)).isTrue();
  }

  @ParameterizedTest
  @EnumSource(value = Multicodec.class, names = {"SHA2_256", "SHA2_512", "BLAKE3", "IDENTITY"}, mode = EnumSource.Mode.EXCLUDE)
  void unsupportedFunctionsAreRejected(Multicodec fn) {
    assertThat(Multihash.isSupported(fn)).isFalse();
    assertThatThrownBy(() -> Multihash.compute(fn, FOO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unsupported")
        .hasMessageContaining(fn.codecName());
  }

  @Test
  void fromBytesParsesKnownBytes() {
    Multihash mh = Multihash.fromBytes(HEX.parseHex("1220" + SHA256_FOO));
    assertThat(mh).isEqualTo(Multihash.compute(Multicodec.SHA2_256, FOO));
    assertThat(mh.hashCode()).isEqualTo(Multihash.compute(Multicodec.SHA2_256, FOO).hashCode());
  }

  @Test
  void multiByteCodeRoundTrips() {
    byte[] digest = new byte[32];
    Arrays.fill(digest, (byte) 0xab);
    Multihash mh = Multihash.of(Multicodec.BLAKE2B_256.code(), digest);
    assertThat(HEX.formatHex(mh.toBytes(), 0, 4)).isEqualTo("a0e40220");
    assertThat(mh.encodedLength()).isEqualTo(36);
    assertThat(Multihash.fromBytes(mh.toBytes())).isEqualTo(mh);
    assertThat(mh.toString()).startsWith("blake2b-256:abab");
  }

  @Test
  void unknownCodeIsKeptAndDescribedInHex() {
    Multihash mh = Multihash.fromBytes(HEX.parseHex("9901" + "03" + "010203"));
    assertThat(mh.code()).isEqualTo(0x99);
    assertThat(mh.digest()).containsExactly(1, 2, 3);
    assertThat(mh).hasToString("0x99:010203");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "12",
      "1220",
      "1220e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8", // 31 of 32 digest bytes
      "1202aa",
      "80",
      "1280"
  })
  void fromBytesRejectsTruncatedInput(String hex) {
    assertThatThrownBy(() -> Multihash.fromBytes(HEX.parseHex(hex)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void fromBytesRejectsOversizeDigestLength() {
    byte[] bytes = new byte[3 + 129];
    bytes[0] = 0x12;
    bytes[1] = (byte) 0x81; // 129 as a varint
    bytes[2] = 0x01;
    assertThatThrownBy(() -> Multihash.fromBytes(bytes))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("129")
        .hasMessageContaining("exceeds");
    // A huge claimed length does not allocate: it is rejected before reading.
    assertThatThrownBy(() -> Multihash.fromBytes(HEX.parseHex("12ffffffff0f")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exceeds");
  }

  @Test
  void fromBytesRejectsTrailingBytes() {
    assertThatThrownBy(() -> Multihash.fromBytes(HEX.parseHex("1220" + SHA256_FOO + "00")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("trailing");
  }

  @Test
  void fromBytesRejectsNonMinimalVarints() {
    assertThatThrownBy(() -> Multihash.fromBytes(HEX.parseHex("920020" + SHA256_FOO)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("minimal");
  }

  @Test
  void readAdvancesThroughConsecutiveMultihashes() {
    Multihash a = Multihash.compute(Multicodec.SHA2_256, FOO);
    Multihash b = Multihash.compute(Multicodec.IDENTITY, FOO);
    ByteBuffer buf = ByteBuffer.allocate(a.encodedLength() + b.encodedLength() + 1);
    buf.put(a.toBytes()).put(b.toBytes()).put((byte) 9).flip();
    assertThat(Multihash.read(buf)).isEqualTo(a);
    assertThat(Multihash.read(buf)).isEqualTo(b);
    assertThat(buf.remaining()).isEqualTo(1);
  }

  @Test
  void ofRejectsOversizeDigestAndCopiesItsInput() {
    assertThatThrownBy(() -> Multihash.of(0x12, new byte[129]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("too long");
    byte[] digest = {1, 2, 3};
    Multihash mh = Multihash.of(0x99, digest);
    digest[0] = 42;
    assertThat(mh.digest()).containsExactly(1, 2, 3);
  }

  @Test
  void digestReturnsACopy() {
    Multihash mh = Multihash.compute(Multicodec.SHA2_256, FOO);
    mh.digest()[0] ^= 1;
    assertThat(HEX.formatHex(mh.digest())).isEqualTo(SHA256_FOO);
  }

  @Test
  void matchesChecksTheData() {
    Multihash mh = Multihash.compute(Multicodec.SHA2_256, FOO);
    assertThat(mh.matches(FOO)).isTrue();
    assertThat(mh.matches("fop".getBytes(StandardCharsets.US_ASCII))).isFalse();
    assertThat(mh.matches(EMPTY)).isFalse();
    byte[] framed = "[foo]".getBytes(StandardCharsets.US_ASCII);
    assertThat(mh.matches(framed, 1, 3)).isTrue();
    assertThat(mh.matches(framed, 0, 3)).isFalse();

    Multihash blake = Multihash.compute(Multicodec.BLAKE3, EMPTY);
    assertThat(blake.matches(EMPTY)).isTrue();
    assertThat(blake.matches(FOO)).isFalse();
  }

  @Test
  void matchesIsFalseForFunctionsWeCannotCompute() {
    assertThat(Multihash.of(0x99, new byte[] {1}).matches(new byte[] {1})).isFalse();
    assertThat(Multihash.of(Multicodec.MURMUR3_X64_64.code(), new byte[8]).matches(EMPTY)).isFalse();
    assertThat(Multihash.of(Multicodec.SHA1.code(), new byte[20]).matches(EMPTY)).isFalse();
  }

  @Test
  void matchesForIdentityComparesTheBytes() {
    Multihash mh = Multihash.compute(Multicodec.IDENTITY, FOO);
    assertThat(mh.matches(FOO)).isTrue();
    assertThat(mh.matches("fo".getBytes(StandardCharsets.US_ASCII))).isFalse();
    // Data longer than any identity digest cannot match; it must not throw either.
    assertThat(mh.matches(new byte[200])).isFalse();
  }

  @Test
  void matchesIsFalseWhenTheDigestLengthDiffers() {
    byte[] truncated = Arrays.copyOf(HEX.parseHex(SHA256_FOO), 20);
    assertThat(Multihash.of(0x12, truncated).matches(FOO)).isFalse();
  }

  @Test
  void equalityDependsOnCodeAndDigest() {
    Multihash a = Multihash.of(0x12, new byte[] {1, 2});
    assertThat(a).isEqualTo(Multihash.of(0x12, new byte[] {1, 2}));
    assertThat(a).isNotEqualTo(Multihash.of(0x13, new byte[] {1, 2}));
    assertThat(a).isNotEqualTo(Multihash.of(0x12, new byte[] {1, 3}));
    assertThat(a).isNotEqualTo("0x12:0102");
  }

  /** Property: any code and digest up to the maximum length round-trip through bytes (fixed seed). */
  @Test
  void bytesRoundTrip() {
    record Case(long code, byte[] digest) {}
    List<Case> edges = new ArrayList<>();
    for (long code : edgeLongsUpTo(Long.MAX_VALUE)) {
      for (byte[] digest : edgeByteArrays(0, Multihash.MAX_DIGEST_LENGTH)) {
        edges.add(new Case(code, digest));
      }
    }
    forAll(
        0x6d756c7469L,
        500,
        edges,
        r -> new Case(nonNegativeLong(r), bytes(r, Multihash.MAX_DIGEST_LENGTH)),
        c -> "code=" + c.code() + " digest=" + hex(c.digest()),
        c -> checkBytesRoundTrip(c.code(), c.digest()));
  }

  private static void checkBytesRoundTrip(long code, byte[] digest) {
    Multihash mh = Multihash.of(code, digest);
    byte[] bytes = mh.toBytes();
    assertThat(bytes).hasSize(mh.encodedLength());
    Multihash back = Multihash.fromBytes(bytes);
    assertThat(back).isEqualTo(mh);
    assertThat(back.code()).isEqualTo(code);
    assertThat(back.digest()).isEqualTo(digest);
  }

  /** Property: sha2-256, sha2-512 and blake3 hashes match their input and nothing longer (fixed seed). */
  @Test
  void computedHashesMatchTheirInput() {
    record Case(byte[] data, int fnIndex) {}
    List<Case> edges = new ArrayList<>();
    for (byte[] data : edgeByteArrays(0, 300)) {
      for (int fnIndex = 0; fnIndex <= 2; fnIndex++) {
        edges.add(new Case(data, fnIndex));
      }
    }
    forAll(
        0x68617368L,
        200,
        edges,
        r -> new Case(bytes(r, 300), r.nextInt(3)),
        c -> "fnIndex=" + c.fnIndex() + " data=" + hex(c.data()),
        c -> checkComputedHashMatchesItsInput(c.data(), c.fnIndex()));
  }

  private static void checkComputedHashMatchesItsInput(byte[] data, int fnIndex) {
    Multicodec fn = new Multicodec[] {Multicodec.SHA2_256, Multicodec.SHA2_512, Multicodec.BLAKE3}[fnIndex];
    Multihash mh = Multihash.compute(fn, data);
    assertThat(mh.matches(data)).isTrue();
    assertThat(Multihash.fromBytes(mh.toBytes())).isEqualTo(mh);
    byte[] altered = Arrays.copyOf(data, data.length + 1);
    assertThat(mh.matches(altered)).isFalse();
  }
}
