package io.canopy.content.dag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.CorruptBlockException;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multibase;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DagWalkerTest {
  @TempDir Path dir;
  FileBlockstore store;

  final Block a = TestBlocks.raw("alpha");
  final Block b = TestBlocks.raw("beta");
  final Block c = TestBlocks.raw("gamma");
  final Block sub = TestBlocks.node(c, a);
  final Block root = TestBlocks.node(0, sub, b, a); // a is reached twice

  @BeforeEach
  void open() throws IOException {
    store = FileBlockstore.open(dir.resolve("blocks"));
    for (Block block : List.of(a, b, c, sub, root)) {
      store.put(block);
    }
  }

  @Test
  void visitsParentsFirstChildrenInLinkOrderEachBlockOnce() throws IOException {
    List<Cid> order = new ArrayList<>();
    boolean finished = DagWalker.over(store).walk(root.cid(), (cid, data) -> order.add(cid));

    assertThat(finished).isTrue();
    assertThat(order).containsExactly(root.cid(), sub.cid(), c.cid(), a.cid(), b.cid());
  }

  @Test
  void oneWalkerSkipsWhatAnEarlierRootAlreadyReached() throws IOException {
    DagWalker walker = DagWalker.over(store);
    walker.walk(sub.cid(), (cid, data) -> true);

    List<Cid> second = new ArrayList<>();
    walker.walk(root.cid(), (cid, data) -> second.add(cid));

    assertThat(second).containsExactly(root.cid(), b.cid());
    assertThat(walker.reached(a.cid())).isTrue();
  }

  @Test
  void aCidV0AndItsV1AreOneNode() throws IOException {
    Block v0 = TestBlocks.node(0, a);
    Block parent = TestBlocks.node(new Block(v0.cid().toV1(), v0.data()), v0);
    store.put(v0);
    store.put(parent);

    List<Cid> order = new ArrayList<>();
    DagWalker.over(store).walk(parent.cid(), (cid, data) -> order.add(cid));

    assertThat(order).containsExactly(parent.cid(), v0.cid().toV1(), a.cid());
  }

  @Test
  void aMissingBlockEndsTheWalkUnlessTheVisitorCarriesOn() throws IOException {
    store.delete(sub.cid());

    assertThatThrownBy(() -> DagWalker.over(store).walk(root.cid(), (cid, data) -> true))
        .isInstanceOf(BlockNotFoundException.class)
        .hasMessageContaining(sub.cid().toString());

    List<Cid> visited = new ArrayList<>();
    List<Cid> unresolved = new ArrayList<>();
    DagWalker.over(store).walk(root.cid(), new DagWalker.Visitor() {
      @Override
      public boolean visit(Cid cid, byte[] data) {
        return visited.add(cid);
      }

      @Override
      public boolean unresolved(Cid cid, Exception cause) {
        return unresolved.add(cid);
      }
    });
    assertThat(unresolved).containsExactly(sub.cid());
    assertThat(visited).containsExactly(root.cid(), b.cid(), a.cid()); // c is only under sub
  }

  @Test
  void theVisitorCanStopEarly() throws IOException {
    List<Cid> order = new ArrayList<>();
    boolean finished = DagWalker.over(store).walk(root.cid(), (cid, data) -> order.add(cid) && order.size() < 2);

    assertThat(finished).isFalse();
    assertThat(order).containsExactly(root.cid(), sub.cid());
  }

  @Test
  void identityCidsAreWalkedWithoutTheStore() throws IOException {
    Block inner = TestBlocks.node(c);
    Cid inline = Cid.v1(Multicodec.DAG_PB, Multihash.compute(Multicodec.IDENTITY, inner.data()));
    Block parent = TestBlocks.node(new Block(inline, inner.data()));
    store.put(parent);

    List<Cid> order = new ArrayList<>();
    DagWalker.over(store).walk(parent.cid(), (cid, data) -> order.add(cid));

    assertThat(order).containsExactly(parent.cid(), inline, c.cid());
  }

  @Test
  void aVerifyingWalkerCatchesBytesAlteredOnDisk() throws IOException {
    Path file = store.root().resolve(shardedName(c.cid()));
    Files.write(file, "gamma!".getBytes());

    assertThat(DagWalker.over(store).walk(root.cid(), (cid, data) -> true)).isTrue();
    assertThatThrownBy(() -> DagWalker.verifying(store).walk(root.cid(), (cid, data) -> true))
        .isInstanceOf(CorruptBlockException.class)
        .hasMessageContaining(c.cid().toString());
  }

  @Test
  void aBlockWithAnUnreadableCodecIsReportedNotGuessed() throws IOException {
    Block cbor = Block.of(1, Multicodec.DAG_CBOR, Multicodec.SHA2_256, new byte[] {(byte) 0xa0});
    Block parent = TestBlocks.node(cbor);
    store.put(cbor);
    store.put(parent);

    assertThatThrownBy(() -> DagWalker.over(store).walk(parent.cid(), (cid, data) -> true))
        .isInstanceOf(UnsupportedCodecException.class)
        .hasMessageContaining("dag-cbor");
  }

  /** Where FileBlockstore keeps a block: shard folder / base32 multihash .data. */
  static String shardedName(Cid cid) {
    String key = Multibase.BASE32_UPPER.encodeBare(cid.multihash().toBytes());
    return key.substring(key.length() - 3, key.length() - 1) + "/" + key + ".data";
  }
}
