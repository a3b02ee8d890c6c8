package io.canopy.content.bitswap;

import io.canopy.p2p.HonestLatency;
import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.bitswap.BitswapMessage.Entry;
import io.canopy.content.block.Block;
import io.canopy.multiformats.Cid;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wantlist floods from several peers at once over real streams: full wantlists far past the
 * per-peer entry limit, sent again and again, wanting blocks the node does not have (each a
 * DONT_HAVE to answer) and blocks it does have (each a read and a send). The per-peer limits must
 * cap every flooder's wantlist and queued bytes, while an honest peer keeps fetching blocks; its
 * latency before and during the flood is printed.
 */
@Timeout(120)
class BitswapAbuseTest {
  private static final int FLOODERS = 8;
  private static final int ENTRIES_PER_MESSAGE = 5000;
  private static final long FLOOD_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final BitswapNodes nodes = new BitswapNodes();
  private final SplittableRandom random = new SplittableRandom(11);
  private final ExecutorService attackers = Executors.newCachedThreadPool();

  @AfterEach
  void close() throws Exception {
    attackers.shutdownNow();
    attackers.awaitTermination(10, TimeUnit.SECONDS);
    nodes.close();
  }

  @Test
  void wantlistFloodsFromManyPeersAreCappedPerPeerAndAnHonestPeerIsServed() throws Exception {
    BitswapNodes.Node node = nodes.node();
    BitswapNodes.Node honest = nodes.node();
    List<Block> honestBlocks = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      Block b = BitswapMessageTest.rawBlock(random, 1024);
      node.store().put(b);
      honestBlocks.add(b);
    }
    List<Cid> present = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      Block b = BitswapMessageTest.rawBlock(random, 64 * 1024);
      node.store().put(b);
      present.add(b.cid());
    }
    List<Cid> missing = new ArrayList<>();
    for (int i = 0; i < 4 * ENTRIES_PER_MESSAGE; i++) {
      missing.add(BitswapMessageTest.rawBlock(random, 16).cid());
    }
    BitswapNodes.connect(honest.host(), node.host());
    List<RawPeer> flooders = new ArrayList<>();
    for (int i = 0; i < FLOODERS; i++) {
      flooders.add(new RawPeer(nodes.host(), List.of(Bitswap.PROTOCOL_1_2_0)));
    }
    // One flooder never reads what the node sends it: its answers can only pile up in the node's queue.
    RawPeer sink = flooders.get(0).stopReading();

    int[] next = {0};
    java.util.concurrent.Callable<Object> fetch = () -> {
      Block want = honestBlocks.get(next[0]++);
      Block got = honest.bitswap().get(want.cid()).get(10, TimeUnit.SECONDS); // a liveness bound, not a speed target
      assertThat(got.data()).isEqualTo(want.data());
      Thread.sleep(5); // a steady client, not a second flood (and the 2000 blocks last the run)
      return got;
    };
    long[] before = HonestLatency.measure(fetch, 20, () -> false, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong messages = new AtomicLong();
    AtomicLong maxWantlist = new AtomicLong();
    AtomicLong maxQueued = new AtomicLong();
    List<Future<?>> floods = new ArrayList<>();
    for (RawPeer flooder : flooders) {
      floods.add(attackers.submit(() -> {
        SplittableRandom r = new SplittableRandom(flooder.host.peerId().hashCode());
        long until = System.nanoTime() + FLOOD_NANOS;
        for (int round = 0; System.nanoTime() < until && !stop.get(); round++) {
          List<Entry> entries = new ArrayList<>(ENTRIES_PER_MESSAGE + present.size());
          if (round % 2 == 0) { // first, or the per-peer entry limit would refuse them
            for (Cid c : present) {
              entries.add(Entry.wantBlock(c, 1, false)); // each one a block to read and send
            }
          }
          int from = r.nextInt(missing.size() - ENTRIES_PER_MESSAGE);
          for (Cid c : missing.subList(from, from + ENTRIES_PER_MESSAGE)) {
            entries.add(Entry.wantHave(c, 1, true)); // each one a DONT_HAVE to send back
          }
          flooder.send(node.host(), Bitswap.PROTOCOL_1_2_0, new BitswapMessage(entries, true, List.of(), List.of(), 0));
          messages.incrementAndGet();
          flooder.received.clear(); // the answers are not what this test counts
        }
        return null;
      }));
    }
    Future<?> sampler = attackers.submit(() -> {
      while (!stop.get()) {
        for (RawPeer f : flooders) {
          maxWantlist.accumulateAndGet(node.bitswap().engine().wantlistSize(f.host.peerId()), Math::max);
          maxQueued.accumulateAndGet(node.bitswap().engine().queuedBytes(f.host.peerId()), Math::max);
        }
        Thread.sleep(5);
      }
      return null;
    });
    long[] during;
    try {
      during = HonestLatency.measure(fetch, 20, () -> floods.stream().allMatch(Future::isDone), System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
      for (Future<?> f : floods) {
        f.get(30, TimeUnit.SECONDS); // a flooder whose sends failed fails the test: the node must keep reading
      }
    } finally {
      stop.set(true);
    }
    sampler.get(10, TimeUnit.SECONDS);

    BitswapStats stats = node.bitswap().stats();
    System.out.printf(Locale.ROOT, "[BitswapAbuseTest] wantlist flood: %d peers, %d full wantlists of %d+ entries; "
            + "honest fetch %s; wants refused %d, max flooder wantlist %d, max queued bytes %d%n",
        FLOODERS, messages.get(), ENTRIES_PER_MESSAGE, HonestLatency.compare(before, during), stats.wantsRefused(), maxWantlist.get(),
        maxQueued.get());
    assertThat(messages.get()).as("wantlists sent").isGreaterThanOrEqualTo(FLOODERS);
    assertThat(stats.wantsRefused()).as("entries past the per-peer limit refused").isPositive();
    assertThat(maxWantlist.get()).as("a flooder's wantlist").isLessThanOrEqualTo(BitswapConfig.DEFAULT_MAX_WANTLIST_ENTRIES);
    assertThat(maxQueued.get()).as("bytes queued for one flooder").isPositive()
        .isLessThanOrEqualTo(BitswapConfig.DEFAULT_MAX_QUEUED_BYTES_PER_PEER);
    assertThat(node.bitswap().engine().queuedBytes(sink.host.peerId())).isLessThanOrEqualTo(BitswapConfig.DEFAULT_MAX_QUEUED_BYTES_PER_PEER);
    assertThat(node.host().connections(honest.host().peerId())).isNotEmpty();
    // The node still answers a flooder that behaves: one block it has, once the flood is over.
    RawPeer last = flooders.get(1);
    last.received.clear();
    last.send(node.host(), Bitswap.PROTOCOL_1_2_0, new BitswapMessage(
        List.of(Entry.wantBlock(present.get(0), 1, false)), true, List.of(), List.of(), 0));
    boolean served = false;
    for (BitswapMessage m; !served && (m = last.pollAnswer()) != null; ) {
      served = m.blocks().stream().anyMatch(p -> p.cid().equals(present.get(0)));
    }
    assertThat(served).as("the node still serves after the flood").isTrue();
  }



}
