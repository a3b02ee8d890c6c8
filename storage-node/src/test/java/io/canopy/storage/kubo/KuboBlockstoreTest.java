package io.canopy.storage.kubo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.CorruptBlockException;
import io.canopy.content.pin.PinException;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link KuboBlockstore} keeps the {@code Blockstore} contract over a Kubo stand-in, and trusts no byte it reads. */
class KuboBlockstoreTest {
  private FakeKuboDaemon daemon;
  private KuboRpcClient client;
  private KuboBlockstore store;

  @BeforeEach
  void start() throws IOException {
    daemon = new FakeKuboDaemon();
    client = new KuboRpcClient(daemon.config().build());
    store = new KuboBlockstore(client);
  }

  @AfterEach
  void stop() {
    client.close();
    daemon.close();
  }

  static Block raw(String text) {
    return Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void storesAndReturnsABlock() throws IOException {
    Block block = raw("hello");
    assertThat(store.has(block.cid())).isFalse();

    store.put(block);

    assertThat(store.has(block.cid())).isTrue();
    assertThat(store.get(block.cid())).isEqualTo(block.data());
    assertThat(store.getVerified(block.cid())).isEqualTo(block.data());
    assertThat(store.size(block.cid())).isEqualTo(5);
  }

  @Test
  void anAbsentBlockIsNotFound() throws IOException {
    Cid absent = raw("absent").cid();

    assertThat(store.has(absent)).isFalse();
    assertThatThrownBy(() -> store.get(absent)).isInstanceOf(BlockNotFoundException.class).hasMessageContaining(absent.toString());
    assertThatThrownBy(() -> store.size(absent)).isInstanceOf(BlockNotFoundException.class);
  }

  @Test
  void putIsIdempotentAndDeleteOfAnAbsentBlockIsANoOp() throws IOException {
    Block block = raw("twice");
    store.put(block);
    store.put(block);
    try (Stream<Cid> keys = store.keys()) {
      assertThat(keys.toList()).containsExactly(block.cid());
    }

    store.delete(block.cid());
    store.delete(block.cid());
    assertThat(store.has(block.cid())).isFalse();
    // never --force: js-ipfs's force would also hide a refusal to remove a pinned block
    assertThat(daemon.lastQuery("block/rm")).doesNotContainKey("force");
  }

  @Test
  void cidV0AndV1OfTheSameBytesAreOneBlock() throws IOException {
    Block v0 = Block.of(0, Multicodec.DAG_PB, Multicodec.SHA2_256, new byte[] {0x0a, 0x02, 0x08, 0x01});
    store.put(v0);

    Cid v1 = v0.cid().toV1();
    assertThat(store.has(v1)).isTrue();
    assertThat(store.get(v1)).isEqualTo(v0.data());
    try (Stream<Cid> keys = store.keys()) {
      assertThat(keys.toList()).containsExactly(Cid.v1(Multicodec.RAW, v0.cid().multihash()));
    }
  }

  @Test
  void wrongBytesFromTheDaemonAreCorruptNotData() throws IOException {
    Block block = raw("the truth");
    store.put(block);
    daemon.blocks().corrupt(block.cid(), "a lie".getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> store.get(block.cid()))
        .isInstanceOf(CorruptBlockException.class)
        .hasMessageContaining(block.cid().toString())
        .hasMessageContaining(daemon.url().toString());
    assertThatThrownBy(() -> store.getVerified(block.cid())).isInstanceOf(CorruptBlockException.class);
  }

  @Test
  void identityCidsNeverGoToTheDaemon() throws IOException {
    byte[] inline = "tiny".getBytes(StandardCharsets.UTF_8);
    Cid identity = Cid.v1(Multicodec.RAW, Multihash.compute(Multicodec.IDENTITY, inline));

    store.put(new Block(identity, inline));

    assertThat(store.has(identity)).isTrue();
    assertThat(store.get(identity)).isEqualTo(inline);
    assertThat(store.size(identity)).isEqualTo(4);
    assertThat(daemon.requests()).isEmpty();
  }

  @Test
  void deletingAPinnedBlockIsRefusedWithTheDaemonsReason() throws IOException {
    Block block = raw("kept");
    store.put(block);
    client.pinAdd(block.cid());

    assertThatThrownBy(() -> store.delete(block.cid())).isInstanceOf(PinException.class).hasMessageContaining("pinned");
    assertThat(store.has(block.cid())).isTrue();
  }

  @Test
  void keysListEveryBlockAsRawCidV1() throws IOException {
    List<Block> blocks = List.of(raw("a"), raw("b"), Block.of(1, Multicodec.DAG_PB, Multicodec.SHA2_512, new byte[] {0x0a, 0x00}));
    for (Block b : blocks) {
      store.put(b);
    }
    try (Stream<Cid> keys = store.keys()) {
      assertThat(keys.toList()).containsExactlyInAnyOrderElementsOf(blocks.stream().map(b -> Cid.v1(Multicodec.RAW, b.cid().multihash())).toList());
    }
  }
}
