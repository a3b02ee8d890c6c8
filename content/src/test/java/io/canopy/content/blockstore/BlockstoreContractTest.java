package io.canopy.content.blockstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.block.CorruptBlockException;
import io.canopy.content.dag.TestBlocks;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link Blockstore} must do; each implementation's test extends this (as jvm-libp2p's
 * muxer tests share {@code MuxHandlerAbstractTest}).
 */
abstract class BlockstoreContractTest {
  @TempDir Path dir;
  Blockstore store;

  abstract Blockstore open(Path dir) throws IOException;

  /** Changes the stored bytes of {@code cid} behind the store's back (bit rot). */
  abstract void alterOnDisk(Cid cid, byte[] newBytes) throws IOException;

  @BeforeEach
  void openStore() throws IOException {
    store = open(dir);
  }

  @Test
  void storesAndReturnsABlock() throws IOException {
    Block block = TestBlocks.raw("hello");
    assertThat(store.has(block.cid())).isFalse();

    store.put(block);

    assertThat(store.has(block.cid())).isTrue();
    assertThat(store.get(block.cid())).isEqualTo(block.data());
    assertThat(store.getVerified(block.cid())).isEqualTo(block.data());
    assertThat(store.size(block.cid())).isEqualTo(5);
  }

  @Test
  void anAbsentBlockIsNotFound() {
    Cid absent = TestBlocks.raw("absent").cid();

    assertThatThrownBy(() -> store.get(absent)).isInstanceOf(BlockNotFoundException.class).hasMessageContaining(absent.toString());
    assertThatThrownBy(() -> store.size(absent)).isInstanceOf(BlockNotFoundException.class);
  }

  @Test
  void putIsIdempotent() throws IOException {
    Block block = TestBlocks.raw("twice");
    store.put(block);
    store.put(block);

    assertThat(store.get(block.cid())).isEqualTo(block.data());
    assertThat(keys()).containsExactly(block.cid());
  }

  @Test
  void cidV0AndV1OfTheSameBytesAreOneBlock() throws IOException {
    Block v0 = TestBlocks.node(0, TestBlocks.raw("x"));
    store.put(v0);

    Cid v1 = v0.cid().toV1();
    Cid rawV1 = Cid.v1(Multicodec.RAW, v0.cid().multihash());
    assertThat(store.has(v1)).isTrue();
    assertThat(store.get(v1)).isEqualTo(v0.data());
    assertThat(keys()).containsExactly(rawV1);

    store.delete(v1);
    assertThat(store.has(v0.cid())).isFalse();
  }

  @Test
  void keysAreRawCidV1sOfEveryStoredMultihash() throws IOException {
    Block leaf = TestBlocks.raw("leaf");
    Block node = TestBlocks.node(leaf);
    store.put(leaf);
    store.put(node);

    assertThat(keys()).containsExactlyInAnyOrder(leaf.cid(), Cid.v1(Multicodec.RAW, node.cid().multihash()));
  }

  @Test
  void deleteRemovesAndIgnoresAbsentBlocks() throws IOException {
    Block block = TestBlocks.raw("gone");
    store.put(block);

    store.delete(block.cid());
    store.delete(block.cid());

    assertThat(store.has(block.cid())).isFalse();
    assertThat(keys()).isEmpty();
  }

  @Test
  void identityCidsAreAlwaysPresentAndNeverStored() throws IOException {
    byte[] inline = "inline".getBytes();
    Cid cid = Cid.v1(Multicodec.RAW, Multihash.compute(Multicodec.IDENTITY, inline));

    assertThat(store.has(cid)).isTrue();
    assertThat(store.get(cid)).isEqualTo(inline);
    assertThat(store.size(cid)).isEqualTo(inline.length);
    store.put(new Block(cid, inline));
    assertThat(keys()).isEmpty();
  }

  @Test
  void aBlockOverTheSizeLimitIsRefused() {
    Block huge = TestBlocks.raw(new byte[Block.MAX_SIZE + 1]);

    assertThatThrownBy(() -> store.put(huge))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(huge.cid().toString())
        .hasMessageContaining("2097153 bytes")
        .hasMessageContaining("limit");
  }

  @Test
  void aBlockAtTheSizeLimitIsStored() throws IOException {
    Block max = TestBlocks.raw(new byte[Block.MAX_SIZE]);
    store.put(max);
    assertThat(store.size(max.cid())).isEqualTo(Block.MAX_SIZE);
  }

  @Test
  void getVerifiedCatchesBytesAlteredAtRest() throws IOException {
    Block block = TestBlocks.raw("precious");
    store.put(block);
    alterOnDisk(block.cid(), "precioux".getBytes());

    assertThat(store.get(block.cid())).isEqualTo("precioux".getBytes()); // get() trusts the disk
    assertThatThrownBy(() -> store.getVerified(block.cid()))
        .isInstanceOf(CorruptBlockException.class)
        .hasMessageContaining(block.cid().toString());
  }

  @Test
  void concurrentPutsOfOneBlockLeaveOneWholeBlock() throws Exception {
    Block block = TestBlocks.raw(new byte[512 * 1024]);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<Void>> puts = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        puts.add(() -> {
          store.put(block);
          return null;
        });
      }
      for (Future<Void> f : pool.invokeAll(puts)) {
        f.get(); // rethrows any failure
      }
    } finally {
      pool.shutdown();
    }

    assertThat(store.getVerified(block.cid())).hasSize(block.data().length);
    assertThat(keys()).containsExactly(block.cid());
  }

  List<Cid> keys() throws IOException {
    try (Stream<Cid> keys = store.keys()) {
      return keys.toList();
    }
  }
}
