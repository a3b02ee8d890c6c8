package io.canopy.p2p.kad;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.testing.RandomInputs;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The lookup against a simulated network of plain objects: no sockets, every answer computed. */
class KadLookupTest {
  private static final int PEERS = 300;
  private static final int K = 8;

  private record Network(List<PeerId> peers, Map<PeerId, RoutingTable> tables, Set<PeerId> down) {}

  /** Each peer's table is filled by offering it every other peer in random order: a proper k-bucket table. */
  private static Network network(SplittableRandom r, double downFraction) {
    List<PeerId> peers = new ArrayList<>();
    for (int i = 0; i < PEERS; i++) {
      byte[] seed = new byte[32];
      r.nextBytes(seed);
      peers.add(Ed25519PrivateKey.fromSeed(seed).peerId());
    }
    Map<PeerId, RoutingTable> tables = new HashMap<>();
    for (PeerId p : peers) {
      RoutingTable t = new RoutingTable(p, K);
      List<PeerId> order = new ArrayList<>(peers);
      java.util.Collections.shuffle(order, new java.util.Random(r.nextLong()));
      order.forEach(t::offer);
      tables.put(p, t);
    }
    Set<PeerId> down = new HashSet<>();
    for (PeerId p : peers.subList(1, peers.size())) {
      if (r.nextDouble() < downFraction) {
        down.add(p);
      }
    }
    return new Network(peers, tables, down);
  }

  private static Lookup.Result lookup(Network net, PeerId from, byte[] key, AtomicInteger asked) {
    KadKey target = KadKey.of(key);
    Lookup.Query query = peer -> {
      asked.incrementAndGet();
      if (net.down.contains(peer)) {
        return CompletableFuture.failedFuture(new IOException("connection refused"));
      }
      List<KadPeer> closer = net.tables.get(peer).closest(target, K).stream().map(p -> new KadPeer(p, List.of())).toList();
      return CompletableFuture.completedFuture(KadMessage.request(KadMessage.Type.FIND_NODE, key).withPeers(closer, List.of()));
    };
    Lookup lookup = new Lookup("test", target, from, net.tables.get(from).closest(target, K), K, 3,
        query, (p, m) -> false, p -> {}, System::nanoTime);
    return lookup.run(Duration.ofSeconds(10)).join();
  }

  @Test
  void findsExactlyTheKClosestLivePeersInFewHops() {
    RandomInputs.forAll(20L, 6, List.of(), r -> r.nextLong(), Object::toString, seed -> {
      SplittableRandom r = new SplittableRandom(seed);
      Network net = network(r, 0.1);
      byte[] key = RandomInputs.bytes(r, 1, 48);
      KadKey target = KadKey.of(key);
      PeerId from = net.peers.get(0);
      List<PeerId> expected = new ArrayList<>(net.peers);
      expected.removeAll(net.down);
      expected.remove(from);
      expected.sort(Comparator.comparing(KadKey::of, target::compareDistance));
      AtomicInteger asked = new AtomicInteger();
      Lookup.Result result = lookup(net, from, key, asked);
      assertThat(result.closest()).containsExactlyElementsOf(expected.subList(0, K));
      // log2(300) ≈ 8.2; a lookup halves the distance at least once per hop
      assertThat(result.stats().maxHops()).isLessThanOrEqualTo(9);
      assertThat(result.stats().queried()).isEqualTo(asked.get()).isLessThan(PEERS / 3);
      assertThat(result.stats().failures().keySet()).allMatch(net.down::contains);
    });
  }

  @Test
  void anObserverCanStopTheLookupEarly() {
    Network net = network(new SplittableRandom(21), 0);
    PeerId from = net.peers.get(0);
    PeerId wanted = net.peers.get(PEERS - 1);
    KadKey target = KadKey.of(wanted);
    AtomicInteger asked = new AtomicInteger();
    Lookup.Query query = peer -> {
      asked.incrementAndGet();
      List<KadPeer> closer = net.tables.get(peer).closest(target, K).stream().map(p -> new KadPeer(p, List.of())).toList();
      return CompletableFuture.completedFuture(KadMessage.request(KadMessage.Type.FIND_NODE, wanted.toBytes()).withPeers(closer, List.of()));
    };
    Lookup lookup = new Lookup("find", target, from, net.tables.get(from).closest(target, K), K, 1, query,
        (p, m) -> m.closerPeers().stream().anyMatch(c -> c.id().equals(wanted)), p -> {}, System::nanoTime);
    Lookup.Result result = lookup.run(Duration.ofSeconds(10)).join();
    assertThat(result.stats().queried()).isEqualTo(asked.get()).isLessThan(K);
  }

  @Test
  void noSeedsEndsAtOnce() {
    PeerId self = Ed25519PrivateKey.fromSeed(new byte[32]).peerId();
    Lookup lookup = new Lookup("empty", KadKey.of(new byte[] {1}), self, List.of(), K, 3,
        p -> { throw new AssertionError("nobody to ask"); }, (p, m) -> false, p -> {}, System::nanoTime);
    Lookup.Result result = lookup.run(Duration.ofSeconds(1)).join();
    assertThat(result.closest()).isEmpty();
    assertThat(result.stats().queried()).isZero();
  }
}
