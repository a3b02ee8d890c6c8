package io.canopy.content.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.exporter.Exporter;
import io.canopy.multiformats.Cid;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Files cut on chunk boundaries, imported piece by piece and joined from their leaves with
 * {@link Importer#importLeaves}, get the root that importing the whole file gives ({@code ipfs add}'s
 * CID, which {@link ImporterKnownCidsTest} pins to Kubo), in every leaf format.
 */
class ImportLeavesTest {
  static Stream<Arguments> cases() {
    ImportOptions small = ImportOptions.builder().chunkSize(1024).maxLinks(4).build();
    ImportOptions smallV1 = ImportOptions.builder().chunkSize(1024).maxLinks(4).cidVersion(1).build();
    ImportOptions smallV0Raw = ImportOptions.builder().chunkSize(1024).maxLinks(4).rawLeaves(true).build();
    return Stream.of(
        // pieces in chunks: several levels (maxLinks 4), a short last piece, a one-chunk last piece
        Arguments.of("v0, three levels", small, new int[] {5 * 1024, 7 * 1024, 9 * 1024, 300}),
        Arguments.of("v1 raw leaves", smallV1, new int[] {16 * 1024, 3 * 1024, 1024}),
        Arguments.of("v0 raw leaves", smallV0Raw, new int[] {2 * 1024, 2 * 1024, 17}),
        Arguments.of("a single piece", small, new int[] {40 * 1024 + 5}),
        Arguments.of("a single one-chunk piece", small, new int[] {1000}),
        Arguments.of("Kubo defaults, 1 MiB pieces", ImportOptions.defaults(), new int[] {1 << 20, 1 << 20, 12345}),
        Arguments.of("Kubo CIDv1, 1 MiB pieces", ImportOptions.builder().cidVersion(1).build(),
            new int[] {1 << 20, 1 << 20, 262144}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void joiningPiecesGivesTheWholeFilesCid(String name, ImportOptions options, int[] pieces) throws IOException {
    byte[] whole = TestData.lcg(Arrays.stream(pieces).sum());
    MemoryBlockstore store = new MemoryBlockstore();
    ImportResult expected = new Importer(store::put, options).importFile(new ByteArrayInputStream(whole));

    MemoryBlockstore pieceStore = new MemoryBlockstore();
    List<DagLink> leaves = new ArrayList<>();
    int offset = 0;
    for (int size : pieces) {
      Cid root = new Importer(pieceStore::put, options)
          .importFile(new ByteArrayInputStream(whole, offset, size)).cid();
      leaves.addAll(FileLeaves.of(pieceStore, root));
      offset += size;
    }
    int blocksBefore = count(pieceStore);
    ImportResult joined = new Importer(pieceStore::put, options).importLeaves(leaves.iterator());

    assertThat(joined.cid()).isEqualTo(expected.cid());
    assertThat(joined.size()).as("Tsize").isEqualTo(expected.size());
    assertThat(joined.fileSize()).isEqualTo(whole.length);
    assertThat(count(pieceStore) - blocksBefore).as("only inner nodes are new")
        .isLessThanOrEqualTo(leaves.size() / (options.maxLinks() - 1) + 2);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Exporter(pieceStore).cat(joined.cid(), 0, -1, out);
    assertThat(out.toByteArray()).isEqualTo(whole);
  }

  @Test
  void theLeavesOfAWholeFileAreItsChunks() throws IOException {
    ImportOptions options = ImportOptions.builder().chunkSize(1024).maxLinks(3).build();
    MemoryBlockstore store = new MemoryBlockstore();
    Cid root = new Importer(store::put, options).importFile(new ByteArrayInputStream(TestData.lcg(20 * 1024 + 1))).cid();
    List<DagLink> leaves = FileLeaves.of(store, root);
    assertThat(leaves).hasSize(21);
    assertThat(leaves.subList(0, 20)).allSatisfy(l -> assertThat(l.fileSize()).isEqualTo(1024));
    assertThat(leaves.get(20).fileSize()).isEqualTo(1);
  }

  @Test
  void piecesNotCutOnChunkBoundariesDoNotJoinIntoTheSameCid() throws IOException {
    // Why the gateway checks part sizes first: the leaves are no longer the whole file's chunks.
    ImportOptions options = ImportOptions.builder().chunkSize(1024).maxLinks(4).build();
    byte[] whole = TestData.lcg(3000);
    MemoryBlockstore store = new MemoryBlockstore();
    Cid expected = new Importer(store::put, options).importFile(new ByteArrayInputStream(whole)).cid();
    List<DagLink> leaves = new ArrayList<>();
    leaves.addAll(FileLeaves.of(store, new Importer(store::put, options).importFile(new ByteArrayInputStream(whole, 0, 1500)).cid()));
    leaves.addAll(FileLeaves.of(store, new Importer(store::put, options).importFile(new ByteArrayInputStream(whole, 1500, 1500)).cid()));
    assertThat(new Importer(store::put, options).importLeaves(leaves.iterator()).cid()).isNotEqualTo(expected);
  }

  @Test
  void onlyTheBalancedLayoutJoinsLeaves() {
    ImportOptions trickle = ImportOptions.builder().layout(Layout.TRICKLE).build();
    assertThatThrownBy(() -> new Importer(BlockSink.DISCARD, trickle).importLeaves(List.<DagLink>of().iterator()))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new Importer(BlockSink.DISCARD, ImportOptions.defaults()).importLeaves(List.<DagLink>of().iterator()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static int count(MemoryBlockstore store) throws IOException {
    try (var keys = store.keys()) {
      return (int) keys.count();
    }
  }
}
