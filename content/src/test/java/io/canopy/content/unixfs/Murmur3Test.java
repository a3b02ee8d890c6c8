package io.canopy.content.unixfs;

import static io.canopy.testing.RandomInputs.bytes;
import static io.canopy.testing.RandomInputs.edgeByteArrays;
import static io.canopy.testing.RandomInputs.forAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.testing.RandomInputs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Vectors generated with @multiformats/murmur3 2.2.8 (interop/node_modules): {@code
 * murmur3128.encode(bytes)} returns h1 then h2, each big-endian, so our {@code hash64} (h1) is
 * the first 8 bytes of that output read big-endian. The full 16-byte outputs are kept in the
 * comments; "hello" matches the reference MurmurHash3_x64_128 value cbd8a7b341bd9b02 5b1e906a48ae1d19.
 */
class Murmur3Test {
  @ParameterizedTest(name = "{0}")
  @CsvSource({
      // input, h1                            full 128-bit output
      "'', 0000000000000000", //                 00000000000000000000000000000000
      "a, 85555565f6597889", //                  85555565f6597889e6b53a48510e895a
      "hello, cbd8a7b341bd9b02", //              cbd8a7b341bd9b025b1e906a48ae1d19
      "abcdefgh, cc8a0ab037ef8c02", //           cc8a0ab037ef8c0248890d60eb6940a1  (8: k1 tail only)
      "abcdefghi, 0547c0cff13c7964", //          0547c0cff13c796479b53df5b741e033  (9: first k2 byte)
      "abcdefghijklmno, 8abe2451890c2ffb", //    8abe2451890c2ffb6a548c2d9c962a61  (15)
      "abcdefghijklmnop, c4ca3ca3224cb723", //   c4ca3ca3224cb7234333d695b331eb1a  (16: one block, no tail)
      "abcdefghijklmnopq, 7564747f88bda657", //  7564747f88bda657ecda499da1110de4  (17)
      "abcdefghijklmnopqrstuvwxyz01234, 4bf06228635658a8", //   4bf06228635658a8bedbd26090f9ef7a (31)
      "abcdefghijklmnopqrstuvwxyz012345, 16a127b539e20ae3", //  16a127b539e20ae3edcb0722a1febf68 (32)
      "abcdefghijklmnopqrstuvwxyz0123456, eea5f18b80c96088" //  eea5f18b80c9608823bd1bc4319c6f3a (33)
  })
  void matchesTheJsReference(String input, String h1Hex) {
    byte[] bytes = input.getBytes(StandardCharsets.UTF_8);
    assertThat(Murmur3.hash64(bytes)).isEqualTo(HexFormat.fromHexDigitsToLong(h1Hex));
  }

  /** Bytes ≥ 0x80 must be read unsigned, in both the blocks and the tail. */
  @Test
  void highBytesAreUnsigned() {
    byte[] all = new byte[256];
    for (int i = 0; i < 256; i++) {
      all[i] = (byte) i;
    }
    // murmur3128: 1c99c313dc6f12b970d6077fab34cc1e
    assertThat(Murmur3.hash64(all)).isEqualTo(0x1c99c313dc6f12b9L);

    byte[] ff = new byte[23];
    Arrays.fill(ff, (byte) 0xff);
    // murmur3128: f40222d1b34f094c70d58ee4e280e2f5
    assertThat(Murmur3.hash64(ff)).isEqualTo(0xf40222d1b34f094cL);
  }

  /** The usual edge arrays, plus zeros of every length around the 16-byte block and 8-byte half. */
  private static List<byte[]> edgeCases(int maxSize) {
    List<byte[]> edges = new ArrayList<>(edgeByteArrays(0, maxSize));
    for (int size : new int[] {7, 8, 9, 15, 16, 17, 31, 32, 33}) {
      edges.add(new byte[size]);
    }
    return edges;
  }

  /** Property: hashing is a pure function of the bytes (fixed seed). */
  @Test
  void isDeterministicAndLeavesItsInputAlone() {
    forAll(0x6d75726dL, 300, edgeCases(100), r -> bytes(r, 100), RandomInputs::hex, data -> {
      byte[] copy = data.clone();
      long h = Murmur3.hash64(data);
      assertThat(data).isEqualTo(copy);
      assertThat(Murmur3.hash64(copy)).isEqualTo(h);
    });
  }

  /** Property: one more trailing zero byte gives another hash (fixed seed). */
  @Test
  void appendingAZeroByteChangesTheHash() {
    forAll(0x7a65726fL, 300, edgeCases(64), r -> bytes(r, 64), RandomInputs::hex, data -> {
      // The length is mixed in, so trailing zeros (which add nothing to k1/k2) still change h1.
      assertThat(Murmur3.hash64(Arrays.copyOf(data, data.length + 1))).isNotEqualTo(Murmur3.hash64(data));
    });
  }
}
