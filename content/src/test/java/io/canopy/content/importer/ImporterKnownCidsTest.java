package io.canopy.content.importer;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.blockstore.MemoryBlockstore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Root CIDs fixed from a run of ipfs-unixfs-importer 17.1.1 with Kubo's settings over
 * {@link TestData#lcg} content (the live comparison against the JS importer is in the interop
 * module; these keep the unit suite honest without Node).
 */
class ImporterKnownCidsTest {

  static Stream<Arguments> vectors() {
    return Stream.of(
        Arguments.of("empty file, Kubo defaults", 0, ImportOptions.defaults(), "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
        Arguments.of("1 byte", 1, ImportOptions.defaults(), "QmUGXUz9hSKz1arLP7wUEidYiuB1FYiodkwDBeDtXgyUq5"),
        Arguments.of("exactly one chunk", 262144, ImportOptions.defaults(), "QmXAg2U9oXg5DUb2gGmaEoqpiDBDEymFzbYWDvpkFh5p7b"),
        Arguments.of("one chunk + 1", 262145, ImportOptions.defaults(), "QmatXrhPoQ56MWtwTwsEfKEWEjZwqQJBBCuUDtjN6VZ5GP"),
        Arguments.of("second tree level", 174 * 262144 + 1, ImportOptions.defaults(), "QmVwJo9MHFmMNGemgyzGrXL7dYyD5ogaU4QXxLrc27HcNN"),
        Arguments.of("CIDv1 implies raw leaves", 262145, ImportOptions.builder().cidVersion(1).build(),
            "bafybeie74ss6jthdqpvnmoeexe4nwlobzp2kzxhf2wosl4bbtv3htnomie"),
        Arguments.of("v0 with raw leaves", 262145, ImportOptions.builder().rawLeaves(true).build(),
            "QmZ6okWTQGeHzdiG3yeuaEYnH6E25yhGAe2JUijzoK3j9S"),
        Arguments.of("trickle, 3+ levels", 1_200_000, ImportOptions.builder().layout(Layout.TRICKLE).chunkSize(1024).build(),
            "QmUNnrNyegGboP9cnZ9tEqcLfLRMKBDyNEJBVGXunJS8hQ"),
        Arguments.of("trickle single chunk keeps a root", 100, ImportOptions.builder().layout(Layout.TRICKLE).build(),
            "QmR1cFJxwrrwp2VNK8bvekL3RTZDEFcw18uDfj44HMpZV8"),
        Arguments.of("trickle empty", 0, ImportOptions.builder().layout(Layout.TRICKLE).build(),
            "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"),
        Arguments.of("trickle v1 raw leaves", 1_200_000,
            ImportOptions.builder().layout(Layout.TRICKLE).chunkSize(1024).cidVersion(1).build(),
            "bafybeihm6jd4tjkdg3spnwrj7y6edkocgh7k5hauiqb4wypqdawcqervsq"),
        Arguments.of("chunker size-1000", 1_000_000, ImportOptions.builder().chunkSize(1000).build(),
            "QmXaDQsgYqLoZbL9Y8GD4oxgdaHtBrNN2aYuRvKBd4KAL9"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void rootCidMatchesKubo(String name, int size, ImportOptions options, String expected) throws IOException {
    MemoryBlockstore store = new MemoryBlockstore();
    ImportResult result = new Importer(store::put, options).importFile(new ByteArrayInputStream(TestData.lcg(size)));
    assertThat(result.cid()).hasToString(expected);
    assertThat(result.fileSize()).isEqualTo(size);
    assertThat(store.has(result.cid())).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void onlyHashGivesTheSameCidWithoutStoring(String name, int size, ImportOptions options, String expected) throws IOException {
    ImportResult result = new Importer(BlockSink.DISCARD, options).importFile(new ByteArrayInputStream(TestData.lcg(size)));
    assertThat(result.cid()).hasToString(expected);
  }
}
