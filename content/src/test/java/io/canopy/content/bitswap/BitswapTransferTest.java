package io.canopy.content.bitswap;

import static io.canopy.content.bitswap.BitswapNodes.await;
import static io.canopy.content.bitswap.BitswapNodes.connect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.importer.ImportOptions;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Host;
import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Whole files between real nodes: fetchDag, the Bitswap blockstore under the exporter, three nodes, providers. */
class BitswapTransferTest {
  private final BitswapNodes nodes = new BitswapNodes();

  @AfterEach
  void close() throws Exception {
    nodes.close();
  }

  private static byte[] sha256(byte[] data) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }

  private static byte[] cat(io.canopy.content.block.Blockstore store, Cid root) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Exporter e = new Exporter(store);
    e.cat(root, 0, e.fileSize(root), out);
    return out.toByteArray();
  }

  @Test
  void fetchDagCopiesAMultiMiBFileWithManyBlocksInFlight() throws Exception {
    BitswapNodes.Node a = nodes.node();
    BitswapNodes.Node b = nodes.node();
    byte[] data = BitswapNodes.randomBytes(1, 12 * 1024 * 1024 + 12345);
    Cid root = BitswapNodes.importFile(a.store(), data, ImportOptions.defaults());
    connect(b.host(), a.host());

    FetchResult r = b.bitswap().fetchDag(root).get(60, TimeUnit.SECONDS);

    assertThat(r.blocks()).isEqualTo(a.store().count());
    assertThat(b.store().count()).isEqualTo(a.store().count());
    assertThat(sha256(cat(b.store(), root))).isEqualTo(sha256(data));
    BitswapStats stats = b.bitswap().stats();
    assertThat(stats.blocksReceived()).isEqualTo(r.blocks());
    assertThat(stats.maxWantsInFlight()).as("blocks outstanding at once").isGreaterThan(16);
    assertThat(stats.wantsInFlight()).isZero();
    assertThat(stats.rejectedBlocks()).isZero();
    assertThat(a.bitswap().stats().blocksSent()).isEqualTo(r.blocks());
    assertThat(a.bitswap().ledgers().get(b.host().peerId()).bytesSent()).isEqualTo(r.bytes());
    assertThat(b.bitswap().ledgers().get(a.host().peerId()).bytesReceived()).isEqualTo(r.bytes());
    // Batching: far fewer messages than blocks.
    assertThat(a.bitswap().stats().messagesSent()).isLessThan(r.blocks());
  }

  @Test
  void exporterReadsThroughTheBitswapBlockstore() throws Exception {
    BitswapNodes.Node a = nodes.node();
    BitswapNodes.Node c = nodes.node();
    byte[] data = BitswapNodes.randomBytes(2, 5 * 1024 * 1024 + 7);
    Cid root = BitswapNodes.importFile(a.store(), data, ImportOptions.builder().cidVersion(1).build());
    connect(c.host(), a.host());

    MemoryBlockstore local = new MemoryBlockstore();
    try (BitswapBlockstore remote = new BitswapBlockstore(local, c.bitswap())) {
      assertThat(sha256(cat(remote, root))).isEqualTo(sha256(data));
    }
    assertThat(local.count()).as("fetched blocks are kept locally").isEqualTo(a.store().count());
    assertThat(sha256(cat(local, root))).isEqualTo(sha256(data));
  }

  @Test
  void threeNodesAndASecondHandCopy() throws Exception {
    BitswapNodes.Node a = nodes.node();
    BitswapNodes.Node b = nodes.node();
    BitswapNodes.Node c = nodes.node();
    byte[] data = BitswapNodes.randomBytes(3, 3 * 1024 * 1024);
    Cid root = BitswapNodes.importFile(a.store(), data, ImportOptions.defaults());
    connect(b.host(), a.host());
    b.bitswap().fetchDag(root).get(60, TimeUnit.SECONDS);
    // C sees both; both have everything. Each block is stored once whoever sends it.
    connect(c.host(), a.host());
    connect(c.host(), b.host());
    FetchResult r = c.bitswap().fetchDag(root).get(60, TimeUnit.SECONDS);
    assertThat(sha256(cat(c.store(), root))).isEqualTo(sha256(data));
    assertThat(c.store().count()).isEqualTo(a.store().count()).isEqualTo((int) r.blocks());
    assertThat(c.bitswap().stats().rejectedBlocks()).isZero();
  }

  @Test
  void theProviderFinderIsAskedWhenNoConnectedPeerHasTheBlock() throws Exception {
    BitswapNodes.Node a = nodes.node();
    BitswapNodes.Node other = nodes.node(); // connected, but has nothing
    BitswapNodes.Node c = nodes.node();
    byte[] data = BitswapNodes.randomBytes(4, 600_000);
    Cid root = BitswapNodes.importFile(a.store(), data, ImportOptions.defaults());
    connect(c.host(), other.host());
    c.host().peerStore().addAddrs(a.host().peerId(), a.host().listenAddrs());
    CompletableFuture<Cid> asked = new CompletableFuture<>();
    c.bitswap().setProviderFinder((cid, max) -> {
      asked.complete(cid);
      return CompletableFuture.completedFuture(List.of(a.host().peerId()));
    });

    FetchResult r = c.bitswap().fetchDag(root).get(30, TimeUnit.SECONDS);
    assertThat(asked.get()).isEqualTo(root);
    assertThat(sha256(cat(c.store(), root))).isEqualTo(sha256(data));
    assertThat(r.blocks()).isEqualTo(a.store().count());
  }

  @Test
  void aFullDiskFailsTheFetchWithItsErrorAndTheSenderIsNotBlamed() throws Exception {
    BitswapNodes.Node a = nodes.node();
    Host hostB = nodes.host();
    MemoryBlockstore memory = new MemoryBlockstore();
    FullDiskBlockstore disk = new FullDiskBlockstore(memory, 3);
    Bitswap b = nodes.bitswap(hostB, disk, BitswapConfig.DEFAULT);
    byte[] data = BitswapNodes.randomBytes(6, 4 * 1024 * 1024 + 99);
    Cid root = BitswapNodes.importFile(a.store(), data, ImportOptions.defaults());
    connect(hostB, a.host());

    assertThatThrownBy(() -> b.fetchDag(root).get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(IOException.class).hasMessage(FullDiskBlockstore.NO_SPACE);
    // Blocks A sent before B's cancels reached it still arrive: wait until every one was handled.
    await("all blocks sent were handled", () -> {
      BitswapStats s = b.stats();
      return a.bitswap().stats().blocksSent() == s.blocksReceived() + s.duplicateBlocks() + s.rejectedBlocks() + disk.failedPuts()
          && s.wantsInFlight() == 0;
    });
    assertThat(b.stats().rejectedBlocks()).isZero();
    assertThat(b.ledgers().get(a.host().peerId()).strikes()).as("our disk is not the peer's fault").isZero();

    disk.recover();
    FetchResult r = b.fetchDag(root).get(30, TimeUnit.SECONDS);
    assertThat(memory.count()).isEqualTo(a.store().count());
    assertThat(sha256(cat(memory, root))).isEqualTo(sha256(data));
    assertThat(r.blocks()).isEqualTo(a.store().count());
    assertThat(b.ledgers().get(a.host().peerId()).strikes()).isZero();
  }

  @Test
  void getOfALocalBlockDoesNotTouchTheNetwork() throws Exception {
    BitswapNodes.Node a = nodes.node();
    byte[] data = BitswapNodes.randomBytes(5, 1000);
    Cid root = BitswapNodes.importFile(a.store(), data, ImportOptions.defaults());
    assertThat(a.bitswap().get(root).get(5, TimeUnit.SECONDS).cid()).isEqualTo(root);
    assertThat(a.bitswap().stats().messagesSent()).isZero();
  }
}
