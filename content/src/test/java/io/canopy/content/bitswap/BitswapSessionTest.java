package io.canopy.content.bitswap;

import static io.canopy.content.bitswap.BitswapNodes.await;
import static io.canopy.content.bitswap.BitswapNodes.connect;
import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.importer.ImportOptions;
import io.canopy.multiformats.Cid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Sessions choosing among peers: a silent one and a good one. */
class BitswapSessionTest {
  private final BitswapNodes nodes = new BitswapNodes();

  @AfterEach
  void close() throws Exception {
    nodes.close();
  }

  @Test
  void aSessionMovesOnFromASilentPeerToTheGoodOne() throws Exception {
    BitswapConfig fast = BitswapConfig.builder().blockTimeout(Duration.ofMillis(300)).rebroadcastInterval(Duration.ofMillis(600)).build();
    BitswapNodes.Node b = nodes.node(fast);
    BitswapNodes.Node good = nodes.node();
    // Accepts the protocol, reads every message, never answers.
    RawPeer silent = new RawPeer(nodes.host(), List.of(Bitswap.PROTOCOL_1_2_0, Bitswap.PROTOCOL_1_1_0, Bitswap.PROTOCOL_1_0_0));
    SplittableRandom random = new SplittableRandom(11);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Block block = BitswapMessageTest.rawBlock(random, 10_000);
      good.store().put(block);
      blocks.add(block);
    }
    connect(b.host(), silent.host);
    connect(b.host(), good.host());

    BitswapSession session = b.bitswap().newSession();
    session.addPeer(silent.host.peerId()); // first, so that it is asked for blocks too
    session.addPeer(good.host().peerId());
    List<CompletableFuture<Block>> gets = new ArrayList<>();
    for (Block block : blocks) {
      gets.add(session.get(block.cid()));
    }
    for (int i = 0; i < blocks.size(); i++) {
      assertThat(gets.get(i).get(15, TimeUnit.SECONDS).data()).isEqualTo(blocks.get(i).data());
    }
    assertThat(b.bitswap().ledgers().get(good.host().peerId()).blocksReceived()).isEqualTo(blocks.size());
    assertThat(silent.received).as("the silent peer was asked").isNotEmpty();
    assertThat(silent.received.stream().flatMap(m -> m.wantlist().stream())
        .anyMatch(e -> e.wantType() == BitswapMessage.WantType.BLOCK && !e.cancel())).isTrue();
  }

  @Test
  void fetchDagCompletesWithASilentPeerConnected() throws Exception {
    BitswapNodes.Node b = nodes.node(BitswapConfig.builder().blockTimeout(Duration.ofMillis(300)).build());
    BitswapNodes.Node good = nodes.node();
    new RawPeer(nodes.host(), List.of(Bitswap.PROTOCOL_1_2_0)); // registered only
    RawPeer silent = new RawPeer(nodes.host(), List.of(Bitswap.PROTOCOL_1_2_0));
    Cid root = BitswapNodes.importFile(good.store(), BitswapNodes.randomBytes(12, 1_500_000), ImportOptions.defaults());
    connect(b.host(), silent.host);
    connect(b.host(), good.host());
    FetchResult r = b.bitswap().fetchDag(root).get(20, TimeUnit.SECONDS);
    assertThat(r.blocks()).isEqualTo(good.store().count());
  }

  @Test
  void aFetchStartedBeforeConnectingAsksThePeerAsSoonAsItConnects() throws Exception {
    // Rebroadcast far beyond the wait below: only asking the new peer at once completes the fetch in time.
    BitswapNodes.Node b = nodes.node(BitswapConfig.builder().rebroadcastInterval(Duration.ofSeconds(30)).build());
    BitswapNodes.Node a = nodes.node();
    Cid root = BitswapNodes.importFile(a.store(), BitswapNodes.randomBytes(13, 700_000), ImportOptions.defaults());
    CompletableFuture<FetchResult> fetch = b.bitswap().fetchDag(root);
    await("the root is wanted", () -> b.bitswap().stats().wantsInFlight() == 1);
    assertThat(fetch).isNotDone();

    connect(b.host(), a.host());
    assertThat(fetch.get(5, TimeUnit.SECONDS).blocks()).isEqualTo(a.store().count());
  }

  @Test
  void closingASessionLeavesAnotherSessionWantingTheSameBlock() throws Exception {
    BitswapNodes.Node b = nodes.node();
    BitswapNodes.Node a = nodes.node();
    Block block = BitswapMessageTest.rawBlock(new SplittableRandom(5), 2000);
    a.store().put(block);
    BitswapSession first = b.bitswap().newSession();
    BitswapSession second = b.bitswap().newSession();
    CompletableFuture<Block> firstGet = first.get(block.cid());
    CompletableFuture<Block> secondGet = second.get(block.cid());
    await("both sessions want it", () -> sessionsWanting(b, block.cid()) == 2);

    first.close();
    assertThat(firstGet).failsWithin(5, TimeUnit.SECONDS);
    connect(b.host(), a.host());
    assertThat(secondGet.get(10, TimeUnit.SECONDS).data()).isEqualTo(block.data());
  }

  private static int sessionsWanting(BitswapNodes.Node node, Cid cid) {
    try {
      return node.bitswap().clientLoop().submit(() -> {
        WantRegistry.Pending p = node.bitswap().wants().get(cid.multihash());
        return p == null ? 0 : p.sessions.size();
      }).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void closingASessionCancelsItsWants() throws Exception {
    BitswapNodes.Node b = nodes.node();
    RawPeer peer = new RawPeer(nodes.host(), List.of(Bitswap.PROTOCOL_1_2_0));
    connect(b.host(), peer.host);
    BitswapSession session = b.bitswap().newSession();
    Cid nowhere = BitswapMessageTest.rawBlock(new SplittableRandom(3), 10).cid();
    CompletableFuture<Block> get = session.get(nowhere);
    assertThat(peer.pollWants().wantlist().get(0).cid()).isEqualTo(nowhere);
    session.close();
    BitswapMessage cancel = peer.pollWants();
    assertThat(cancel.wantlist().get(0).cancel()).isTrue();
    assertThat(get).failsWithin(5, TimeUnit.SECONDS);
    assertThat(b.bitswap().stats().wantsInFlight()).isZero();
  }
}
