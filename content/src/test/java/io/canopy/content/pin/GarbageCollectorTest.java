package io.canopy.content.pin;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.dag.TestBlocks;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GarbageCollectorTest {
  @TempDir Path home;
  FileBlockstore blocks;
  PinStore pins;
  GarbageCollector gc;

  // pinned tree: root(v0) → [sub → [c, shared], b]
  final Block shared = TestBlocks.raw("shared leaf");
  final Block c = TestBlocks.raw("gamma");
  final Block b = TestBlocks.raw("beta");
  final Block sub = TestBlocks.node(c, shared);
  final Block root = TestBlocks.node(0, sub, b);
  // unpinned tree sharing a leaf with the pinned one: other → [shared, lonely]
  final Block lonely = TestBlocks.raw("lonely leaf");
  final Block other = TestBlocks.node(shared, lonely);

  @BeforeEach
  void open() throws IOException {
    blocks = FileBlockstore.open(home.resolve("blocks"));
    for (Block block : List.of(shared, c, b, sub, root, lonely, other)) {
      blocks.put(block);
    }
    pins = new PinStore(home.resolve("canopy.db"), blocks);
    gc = new GarbageCollector(blocks, pins);
  }

  @AfterEach
  void close() throws IOException {
    pins.close();
  }

  @Test
  void removesExactlyWhatNoPinReaches() throws IOException {
    pins.pinRecursive(root.cid());

    GcResult result = gc.collect();

    assertThat(result.complete()).isTrue();
    assertThat(result.removed()).containsExactlyInAnyOrder(rawKey(other), rawKey(lonely));
    assertThat(result.bytesFreed()).isEqualTo(other.data().length + lonely.data().length);
    for (Block kept : List.of(root, sub, b, c, shared)) {
      assertThat(blocks.getVerified(kept.cid())).isEqualTo(kept.data());
    }
    assertThat(blocks.has(other.cid())).isFalse();
    assertThat(blocks.has(lonely.cid())).isFalse();
  }

  @Test
  void aDirectPinKeepsItsBlockButNotItsChildren() throws IOException {
    pins.pinDirect(other.cid());

    GcResult result = gc.collect();

    assertThat(keys()).containsExactly(rawKey(other));
    assertThat(result.removed()).hasSize(6);
  }

  @Test
  void withNoPinsEverythingGoes() throws IOException {
    GcResult result = gc.collect();

    assertThat(result.removed()).hasSize(7);
    assertThat(keys()).isEmpty();
    assertThat(gc.collect().removed()).isEmpty(); // and a second run finds nothing more
  }

  @Test
  void aPinnedDagMissingABlockIsReportedAndNothingIsDeleted() throws IOException {
    pins.pinRecursive(root.cid());
    blocks.delete(sub.cid()); // lost: its children c and shared can no longer be found by walking

    GcResult result = gc.collect();

    assertThat(result.complete()).isFalse();
    assertThat(result.unresolved()).singleElement().satisfies(u -> {
      assertThat(u.pin()).isEqualTo(root.cid());
      assertThat(u.block()).isEqualTo(sub.cid());
      assertThat(u.reason()).contains("missing");
    });
    // c and shared are still reachable through the lost block, so nothing may be deleted
    assertThat(result.removed()).isEmpty();
    assertThat(result.bytesFreed()).isZero();
    assertThat(keys()).hasSize(6);
  }

  @Test
  void blocksPinnedUnderAnotherCidVersionAreKept() throws IOException {
    pins.pinRecursive(root.cid().toV1()); // the store keys blocks by multihash

    gc.collect();

    assertThat(blocks.has(root.cid())).isTrue();
    assertThat(blocks.has(shared.cid())).isTrue();
    assertThat(blocks.has(lonely.cid())).isFalse();
  }

  private static Cid rawKey(Block block) {
    return Cid.v1(Multicodec.RAW, block.cid().multihash());
  }

  private List<Cid> keys() throws IOException {
    try (Stream<Cid> keys = blocks.keys()) {
      return keys.toList();
    }
  }
}
