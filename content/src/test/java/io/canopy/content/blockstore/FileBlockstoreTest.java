package io.canopy.content.blockstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.block.Blockstore;
import io.canopy.content.dag.TestBlocks;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class FileBlockstoreTest extends BlockstoreContractTest {

  @Override
  Blockstore open(Path dir) throws IOException {
    return FileBlockstore.open(dir.resolve("blocks"));
  }

  @Override
  void alterOnDisk(Cid cid, byte[] newBytes) throws IOException {
    Files.write(fileStore().pathOf(cid.multihash()), newBytes);
  }

  FileBlockstore fileStore() {
    return (FileBlockstore) store;
  }

  @Test
  void layoutIsKuboFlatfsNextToLastTwo() throws IOException {
    // multihash 1220b9ce…a87d in RFC 4648 base32 (computed with Python's base64.b32encode)
    String key = "CIQLTTRWHVETKBIW536NNV4TQWSLE3PFCBPRQP7P2HPDM4BPBTM2Q7I";
    Cid cid = Cid.parse("QmaqxWSgBpZfUpPwfLrSNNRzny7iu6YCgpRZuRbdc3f3Z6");
    store.put(new Block(cid, new byte[] {1, 2, 3})); // the store trusts put(); we only check the path

    Path blocks = dir.resolve("blocks");
    assertThat(blocks.resolve("Q7").resolve(key + ".data")).hasBinaryContent(new byte[] {1, 2, 3});
    assertThat(blocks.resolve("SHARDING")).hasContent("/repo/flatfs/shard/v1/next-to-last/2");
  }

  @Test
  void shardNamesPadShortKeysLikeFlatfs() {
    assertThat(FileBlockstore.shardOf("ABCDEF")).isEqualTo("DE");
    assertThat(FileBlockstore.shardOf("AB")).isEqualTo("_A");
    assertThat(FileBlockstore.shardOf("A")).isEqualTo("__");
  }

  @Test
  void aKilledWriteNeverShowsAsABlockAndIsCleanedOnOpen() throws IOException {
    Block kept = TestBlocks.raw("written before the crash");
    store.put(kept);
    Block torn = TestBlocks.raw(new byte[100_000]);
    // What a process killed inside put() leaves: a partly written temp file next to where the block goes.
    Path finalFile = fileStore().pathOf(torn.cid().multihash());
    Files.createDirectories(finalFile.getParent());
    Path temp = finalFile.resolveSibling(finalFile.getFileName() + ".82736412" + FileBlockstore.TEMP_SUFFIX);
    Files.write(temp, new byte[4096]);

    assertThat(store.has(torn.cid())).isFalse();
    assertThat(keys()).containsExactly(kept.cid());

    store = open(dir); // the node restarts
    assertThat(temp).doesNotExist();
    assertThat(keys()).containsExactly(kept.cid());

    store.put(torn); // and the next add works
    assertThat(store.getVerified(torn.cid())).hasSize(100_000);
  }

  @Test
  void strayFilesAreNotBlocks() throws IOException {
    Block block = TestBlocks.raw("real");
    store.put(block);
    Path blocks = dir.resolve("blocks");
    Files.writeString(blocks.resolve("_README"), "not a block");
    Files.writeString(blocks.resolve(fileStore().pathOf(block.cid().multihash()).getParent().getFileName().toString()).resolve("notes.txt"), "x");
    // a valid block name in the wrong shard is unreachable by get(), so it is not listed either
    String misplaced = fileStore().pathOf(TestBlocks.raw("elsewhere").cid().multihash()).getFileName().toString();
    Files.createDirectories(blocks.resolve("ZZ"));
    Files.writeString(blocks.resolve("ZZ").resolve(misplaced), "elsewhere");
    Files.writeString(blocks.resolve("ZZ").resolve("NOT-BASE32!.data"), "junk");

    assertThat(keys()).containsExactly(block.cid());
  }

  @Test
  void putRewritesAStoredFileOfTheWrongSize() throws IOException {
    Block block = TestBlocks.raw("full length content");
    store.put(block);
    alterOnDisk(block.cid(), "full".getBytes()); // truncated at rest

    store.put(block);

    assertThat(store.getVerified(block.cid())).isEqualTo(block.data());
  }

  @Test
  void storedBlocksSurviveReopening() throws IOException {
    List<Block> blocks = List.of(TestBlocks.raw("one"), TestBlocks.raw("two"), TestBlocks.node(0, TestBlocks.raw("one")));
    for (Block b : blocks) {
      store.put(b);
    }

    Blockstore reopened = open(dir);

    for (Block b : blocks) {
      assertThat(reopened.getVerified(b.cid())).isEqualTo(b.data());
    }
    try (Stream<Cid> keys = reopened.keys()) {
      assertThat(keys).hasSize(3).allMatch(c -> c.codec() == Multicodec.RAW.code() && c.version() == 1);
    }
  }
}
