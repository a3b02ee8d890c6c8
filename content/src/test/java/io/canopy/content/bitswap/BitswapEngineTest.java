package io.canopy.content.bitswap;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.bitswap.BitswapMessage.BlockPresence;
import io.canopy.content.bitswap.BitswapMessage.Entry;
import io.canopy.content.bitswap.BitswapMessage.PresenceType;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.testing.RandomInputs;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The serving logic with plain calls: no network, no threads, a fake clock. */
class BitswapEngineTest {
  private static final PeerId PEER = Ed25519PrivateKey.generate(new SecureRandom()).peerId();
  private final MemoryBlockstore store = new MemoryBlockstore();
  private final SplittableRandom random = new SplittableRandom(42);
  private long now;

  private BitswapEngine engine(BitswapConfig config) {
    return new BitswapEngine(store, config, new BitswapStats.Counters(), () -> now);
  }

  private Block stored(int size) {
    Block b = BitswapMessageTest.rawBlock(random, size);
    store.put(b);
    return b;
  }

  private Cid absent() {
    return BitswapMessageTest.rawBlock(random, 8).cid();
  }

  private static List<Cid> blockCids(BitswapMessage m) {
    return m.blocks().stream().map(BitswapMessage.Payload::cid).toList();
  }

  @Test
  void wantHaveIsAnsweredWithHaveOrDontHaveAndWantBlockWithTheBlock() {
    BitswapEngine engine = engine(BitswapConfig.DEFAULT);
    Block have = stored(100);
    Block block = stored(200);
    Cid missing = absent();
    Cid missingQuiet = absent();
    assertThat(engine.wantlistReceived(PEER, List.of(
        Entry.wantHave(have.cid(), 1, true),
        Entry.wantHave(missing, 1, true),
        Entry.wantBlock(missingQuiet, 1, false), // no send-dont-have: silence
        Entry.wantBlock(block.cid(), 1, true)), false, true)).isTrue();

    BitswapEngine.Response r = engine.nextResponse(PEER);
    assertThat(r.message().presences()).containsExactlyInAnyOrder(
        new BlockPresence(have.cid(), PresenceType.HAVE), new BlockPresence(missing, PresenceType.DONT_HAVE));
    assertThat(blockCids(r.message())).containsExactly(block.cid());
    assertThat(r.message().blocks().get(0).data()).isEqualTo(block.data());
    engine.responseDone(r, true);
    assertThat(engine.nextResponse(PEER)).isNull();
    // Answered wants are gone; the ones we could not serve stay, waiting for the block.
    assertThat(engine.wantlistSize(PEER)).isEqualTo(2);
    assertThat(engine.ledgers().get(PEER).blocksSent()).isEqualTo(1);
    assertThat(engine.ledgers().get(PEER).bytesSent()).isEqualTo(200);
  }

  @Test
  void olderPeersNeverGetDontHave() {
    BitswapEngine engine = engine(BitswapConfig.DEFAULT);
    assertThat(engine.wantlistReceived(PEER, List.of(Entry.wantBlock(absent(), 1, true)), false, false)).isFalse();
    assertThat(engine.nextResponse(PEER)).isNull();
  }

  @Test
  void cancelBeforeSendingWithdrawsTheWant() {
    BitswapEngine engine = engine(BitswapConfig.DEFAULT);
    Block b = stored(10);
    engine.wantlistReceived(PEER, List.of(Entry.wantBlock(b.cid(), 1, false)), false, true);
    engine.wantlistReceived(PEER, List.of(Entry.cancel(b.cid())), false, true);
    assertThat(engine.nextResponse(PEER)).isNull();
    assertThat(engine.wantlistSize(PEER)).isZero();
  }

  @Test
  void wantBlockUpgradesWantHaveAndFullWantlistReplaces() {
    BitswapEngine engine = engine(BitswapConfig.DEFAULT);
    Block b = stored(10);
    Block other = stored(10);
    engine.wantlistReceived(PEER, List.of(Entry.wantHave(b.cid(), 1, true), Entry.wantBlock(other.cid(), 1, true)), false, true);
    engine.wantlistReceived(PEER, List.of(Entry.wantBlock(b.cid(), 1, true)), true, true); // full: "other" is dropped
    BitswapEngine.Response r = engine.nextResponse(PEER);
    assertThat(r.message().presences()).isEmpty();
    assertThat(blockCids(r.message())).containsExactly(b.cid());
  }

  @Test
  void higherPriorityFirst() {
    BitswapEngine engine = engine(BitswapConfig.builder().targetMessageSize(1).build()); // one block per message
    Block low = stored(10);
    Block high = stored(10);
    Block mid = stored(10);
    engine.wantlistReceived(PEER, List.of(Entry.wantBlock(low.cid(), 1, false), Entry.wantBlock(high.cid(), 9, false),
        Entry.wantBlock(mid.cid(), 5, false)), false, true);
    List<Cid> order = new ArrayList<>();
    for (BitswapEngine.Response r; (r = engine.nextResponse(PEER)) != null; ) {
      order.addAll(blockCids(r.message()));
      engine.responseDone(r, true);
    }
    assertThat(order).containsExactly(high.cid(), mid.cid(), low.cid());
  }

  @Test
  void wantsPastTheLimitAreRefusedWithDontHave() {
    BitswapStats.Counters counters = new BitswapStats.Counters();
    BitswapEngine engine = new BitswapEngine(store, BitswapConfig.builder().maxWantlistEntries(10).build(), counters, () -> now);
    List<Entry> flood = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      flood.add(Entry.wantHave(absent(), 1, true));
    }
    engine.wantlistReceived(PEER, flood, false, true);
    assertThat(engine.wantlistSize(PEER)).isEqualTo(10);
    assertThat(counters.wantsRefused.sum()).isEqualTo(15);
    BitswapEngine.Response r = engine.nextResponse(PEER);
    assertThat(r.message().presences()).hasSize(10) // presences are bounded by the same limit
        .allMatch(p -> p.type() == PresenceType.DONT_HAVE);
  }

  /** Property: whatever a peer asks, the bytes and blocks queued for it stay within the budget. */
  @Test
  void queuedBytesAndBlocksStayWithinTheBudget() {
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      blocks.add(stored(1 + random.nextInt(300_000)));
    }
    long maxBytes = 1_000_000;
    int maxBlocks = 6;
    BitswapConfig config = BitswapConfig.builder().maxQueuedBytesPerPeer(maxBytes).maxQueuedBlocksPerPeer(maxBlocks)
        .targetMessageSize(400_000).build();
    RandomInputs.forAll(99L, 60, List.of(), r -> r.split(), r -> "case", r -> {
      BitswapEngine engine = engine(config);
      List<BitswapEngine.Response> queued = new ArrayList<>();
      for (int step = 0; step < 200; step++) {
        int op = r.nextInt(3);
        if (op == 0) {
          Block b = blocks.get(r.nextInt(blocks.size()));
          engine.wantlistReceived(PEER, List.of(r.nextInt(5) == 0 ? Entry.cancel(b.cid()) : Entry.wantBlock(b.cid(), r.nextInt(3), true)), false, true);
        } else if (op == 1) {
          BitswapEngine.Response resp = engine.nextResponse(PEER);
          if (resp != null) {
            queued.add(resp);
          }
        } else if (!queued.isEmpty()) {
          engine.responseDone(queued.remove(r.nextInt(queued.size())), r.nextBoolean());
        }
        long bytes = queued.stream().mapToLong(BitswapEngine.Response::bytes).sum();
        int count = queued.stream().mapToInt(BitswapEngine.Response::blocks).sum();
        assertThat(bytes).isEqualTo(engine.queuedBytes(PEER)).isLessThanOrEqualTo(maxBytes);
        assertThat(count).isLessThanOrEqualTo(maxBlocks);
        assertThat(engine.wantlistSize(PEER)).isLessThanOrEqualTo(config.maxWantlistEntries());
      }
    });
  }

  @Test
  void aBlockThatArrivesLaterServesThePeersThatWaitedForIt() {
    BitswapEngine engine = engine(BitswapConfig.DEFAULT);
    Block later = BitswapMessageTest.rawBlock(random, 50);
    engine.wantlistReceived(PEER, List.of(Entry.wantBlock(later.cid(), 1, false)), false, true);
    assertThat(engine.nextResponse(PEER)).isNull();
    store.put(later);
    assertThat(engine.blockAdded(later.cid())).containsExactly(PEER);
    assertThat(blockCids(engine.nextResponse(PEER).message())).containsExactly(later.cid());
  }

  @Test
  void strikesBlockAPeerForAWhileAndSurviveReconnects() {
    BitswapEngine engine = engine(BitswapConfig.builder().maxStrikes(3).blockDuration(Duration.ofSeconds(60)).build());
    assertThat(engine.strike(PEER)).isFalse();
    engine.peerDisconnected(PEER); // reconnecting does not wipe the slate
    engine.peerConnected(PEER);
    assertThat(engine.strike(PEER)).isFalse();
    assertThat(engine.strike(PEER)).isTrue();
    assertThat(engine.isBlocked(PEER)).isTrue();
    assertThat(engine.ledgers().get(PEER).strikes()).isEqualTo(3);
    now += Duration.ofSeconds(61).toNanos();
    assertThat(engine.isBlocked(PEER)).isFalse();
    assertThat(engine.ledgers().get(PEER).strikes()).isZero();
  }

  @Test
  void rememberedLedgersAreCappedForgettingTheOldestUnblockedFirst() {
    BitswapEngine engine = engine(BitswapConfig.builder().maxStrikes(2).maxRememberedPeers(2)
        .blockDuration(Duration.ofSeconds(60)).build());
    PeerId blocked = peer();
    PeerId old = peer();
    PeerId recent = peer();
    engine.strike(blocked);
    assertThat(engine.strike(blocked)).isTrue();
    engine.peerDisconnected(blocked); // disconnected first, yet kept: it is serving its block
    now += 1_000_000_000L;
    engine.strike(old);
    engine.peerDisconnected(old);
    now += 1_000_000_000L;
    engine.strike(recent);
    engine.peerDisconnected(recent);
    assertThat(engine.ledgers()).containsOnlyKeys(blocked, recent);

    // Connected peers do not count against the cap.
    PeerId connected = peer();
    engine.strike(connected);
    assertThat(engine.ledgers()).containsOnlyKeys(blocked, recent, connected);

    // Once its block has expired the blocked peer has nothing worth remembering, and goes first.
    now += Duration.ofSeconds(61).toNanos();
    PeerId newest = peer();
    engine.strike(newest);
    engine.peerDisconnected(newest);
    assertThat(engine.ledgers()).containsOnlyKeys(recent, newest, connected);
  }

  @Test
  void whenOnlyBlockedPeersAreRememberedTheSoonestReleasedIsForgotten() {
    BitswapEngine engine = engine(BitswapConfig.builder().maxStrikes(1).maxRememberedPeers(2)
        .blockDuration(Duration.ofSeconds(60)).build());
    List<PeerId> peers = List.of(peer(), peer(), peer());
    for (PeerId p : peers) {
      assertThat(engine.strike(p)).isTrue();
      engine.peerDisconnected(p);
      now += 1_000_000_000L;
    }
    assertThat(engine.ledgers()).containsOnlyKeys(peers.get(1), peers.get(2));
  }

  private static PeerId peer() {
    return Ed25519PrivateKey.generate(new SecureRandom()).peerId();
  }

  @Test
  void aRottenStoredBlockIsNotServed() {
    BitswapEngine engine = engine(BitswapConfig.DEFAULT);
    Block b = stored(64);
    store.corrupt(b.cid(), new byte[64]);
    engine.wantlistReceived(PEER, List.of(Entry.wantBlock(b.cid(), 1, true)), false, true);
    BitswapEngine.Response r = engine.nextResponse(PEER);
    assertThat(r.message().blocks()).isEmpty();
    assertThat(r.message().presences()).containsExactly(new BlockPresence(b.cid(), PresenceType.DONT_HAVE));
  }
}
