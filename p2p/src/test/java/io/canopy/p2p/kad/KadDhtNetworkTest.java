package io.canopy.p2p.kad;

import io.canopy.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.nio.charset.StandardCharsets;
import java.util.IntSummaryStatistics;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A network of 20 real Canopy nodes on 127.0.0.1, none connected to all others at the start. */
class KadDhtNetworkTest {
  private static final int NODES = 20;
  private KadTestNetwork net;

  @AfterEach
  void close() {
    if (net != null) {
      net.close();
    }
  }

  private static Multihash cid(String text) {
    return Multihash.compute(Multicodec.SHA2_256, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A CID provided by one node is found from every other node. With k = 20 every lookup starts
   * from nearly the whole network; with k = 4 buckets are small and lookups must walk, which
   * is where the hop bound means something. log2(20) ≈ 4.3, so at most 5 hops and a bounded
   * number of queries. Asking for 2 providers when there is one makes every lookup run to its
   * end instead of stopping at the first provider (with k = 20 every node holds the record).
   */
  @ParameterizedTest(name = "k = {0}")
  @ValueSource(ints = {20, 4})
  void providedCidIsFoundFromEveryNodeInFewHops(int k) throws Exception {
    net = new KadTestNetwork(42 + k);
    net.grow(NODES, KadConfig.builder().k(k).build());
    Multihash key = cid("hello canopy " + k);
    KadDht provider = net.dhts.get(7);
    provider.provide(key).get(30, TimeUnit.SECONDS);
    PeerId providerId = net.hosts.get(7).peerId();

    IntSummaryStatistics hops = new IntSummaryStatistics();
    IntSummaryStatistics queries = new IntSummaryStatistics();
    for (int i = 0; i < NODES; i++) {
      if (i == 7) {
        continue;
      }
      KadDht dht = net.dhts.get(i);
      List<PeerId> found = dht.findProviders(key, 2).get(30, TimeUnit.SECONDS);
      assertThat(found).as("providers seen from node %d", i).containsExactly(providerId);
      assertThat(net.hosts.get(i).peerStore().get(providerId)).as("provider's address learned").isPresent();
      LookupStats stats = dht.lastLookupStats();
      hops.accept(stats.maxHops());
      queries.accept(stats.queried());
    }
    System.out.printf("k=%d GET_PROVIDERS over %d nodes: hops min/avg/max %d/%.2f/%d, queries min/avg/max %d/%.2f/%d%n",
        k, NODES, hops.getMin(), hops.getAverage(), hops.getMax(), queries.getMin(), queries.getAverage(), queries.getMax());
    assertThat(hops.getMax()).isLessThanOrEqualTo(5);
    assertThat(queries.getMax()).isLessThanOrEqualTo(NODES);

    IntSummaryStatistics closestHops = new IntSummaryStatistics();
    for (int i = 0; i < NODES; i++) {
      net.dhts.get(i).findClosestPeers(("some key " + i).getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
      closestHops.accept(net.dhts.get(i).lastLookupStats().maxHops());
    }
    System.out.printf("k=%d FIND_NODE (full lookups): hops min/avg/max %d/%.2f/%d%n",
        k, closestHops.getMin(), closestHops.getAverage(), closestHops.getMax());
    assertThat(closestHops.getMax()).isLessThanOrEqualTo(5);
  }

  @Test
  void findPeerReachesANodeThatIsNotConnected() throws Exception {
    net = new KadTestNetwork(7);
    KadConfig small = KadConfig.builder().k(4).build(); // small buckets: nobody knows everyone
    net.grow(NODES, small);
    // a late node that knows only node 0, looking for the last node, which it has never met
    KadDht late = net.add(small);
    late.bootstrap(List.of(net.addr(0))).get(30, TimeUnit.SECONDS);
    int targetIndex = NODES - 1;
    PeerId target = net.hosts.get(targetIndex).peerId();
    for (var c : net.hosts.get(NODES).connections(target)) { // the self-lookup may have met it
      c.channel().close().sync();
    }
    Optional<List<Multiaddr>> addrs = late.findPeer(target).get(30, TimeUnit.SECONDS);
    assertThat(addrs).hasValueSatisfying(a -> assertThat(a).contains(net.hosts.get(targetIndex).listenAddrs().get(0)));
  }

  @Test
  void signedRecordRoundTripsAndForgeriesAndStaleSequencesAreRefused() throws Exception {
    net = new KadTestNetwork(11);
    net.grow(8, KadConfig.DEFAULT);
    var author = io.canopy.identity.Ed25519PrivateKey.fromSeed(new byte[32]);
    SignedRecord v1 = SignedRecord.sign(author, "capacity", 1, "10 TiB".getBytes(StandardCharsets.UTF_8));
    SignedRecord v2 = SignedRecord.sign(author, "capacity", 2, "12 TiB".getBytes(StandardCharsets.UTF_8));
    byte[] key = v1.key();

    net.dhts.get(1).putValue(key, v2.encode()).get(30, TimeUnit.SECONDS);
    byte[] got = net.dhts.get(6).getValue(key).get(30, TimeUnit.SECONDS);
    assertThat(SignedRecord.verify(key, got).sequence()).isEqualTo(2);
    assertThat(SignedRecord.verify(key, got).payload()).asString(StandardCharsets.UTF_8).isEqualTo("12 TiB");

    // an older sequence, validly signed, from a node that never saw v2: every holder refuses it
    assertThatThrownBy(() -> net.dhts.get(0).putValue(key, v1.encode()).get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class).hasMessageContaining("not newer");

    // a forged signature: refused locally, and by a peer that is sent it directly
    byte[] forged = v2.encode();
    forged[forged.length - 1] ^= 1;
    assertThatThrownBy(() -> net.dhts.get(3).putValue(key, forged).get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(InvalidRecordException.class).hasMessageContaining("signature");
    PeerId peer = net.hosts.get(4).peerId();
    net.hosts.get(3).connect(net.addr(4)).get(10, TimeUnit.SECONDS);
    KadMessage put = KadMessage.request(KadMessage.Type.PUT_VALUE, key).withRecord(new KadRecord(key, forged));
    assertThatThrownBy(() -> net.dhts.get(3).send(peer, put, true).get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
    assertThat(net.dhts.get(4).lastRefusal()).contains("signature");
    assertThat(SignedRecord.verify(key, net.dhts.get(4).getValue(key).get(30, TimeUnit.SECONDS)).sequence()).isEqualTo(2);
  }

  @Test
  void clientModeNodeQueriesButNeitherServesNorJoinsRoutingTables() throws Exception {
    net = new KadTestNetwork(13);
    net.grow(6, KadConfig.DEFAULT);
    Multihash key = cid("client test");
    net.dhts.get(2).provide(key).get(30, TimeUnit.SECONDS);

    KadDht client = net.add(KadConfig.builder().mode(KadConfig.Mode.CLIENT).build());
    PeerId clientId = net.hosts.get(6).peerId();
    client.bootstrap(List.of(net.addr(0), net.addr(3))).get(30, TimeUnit.SECONDS);
    assertThat(net.hosts.get(6).protocols()).doesNotContain(KadDht.PROTOCOL_ID);
    assertThat(client.routingTable().size()).isGreaterThan(0);
    assertThat(client.findProviders(key, 1).get(30, TimeUnit.SECONDS)).containsExactly(net.hosts.get(2).peerId());
    for (int i = 0; i < 6; i++) {
      assertThat(net.dhts.get(i).routingTable().contains(clientId)).as("node %d's table", i).isFalse();
    }
    // a server asking the client gets no DHT stream
    net.hosts.get(0).connect(net.addr(6)).get(10, TimeUnit.SECONDS);
    assertThatThrownBy(() -> net.dhts.get(0).send(clientId, KadMessage.request(KadMessage.Type.FIND_NODE, clientId.toBytes()), true)
        .get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
  }

  @Test
  void providerRecordsExpireUnlessReprovided() throws Exception {
    MutableClock clock = new MutableClock(java.time.Instant.parse("2025-01-01T00:00:00Z"));
    net = new KadTestNetwork(17);
    KadConfig config = KadConfig.builder().clock(clock).providerTtl(java.time.Duration.ofMinutes(10)).build();
    net.grow(6, config);
    Multihash kept = cid("kept");
    Multihash dropped = cid("dropped");
    KadDht provider = net.dhts.get(1);
    provider.provide(kept).get(30, TimeUnit.SECONDS);
    provider.provide(dropped).get(30, TimeUnit.SECONDS);
    provider.stopProviding(dropped);
    // ADD_PROVIDER has no answer: wait until every node has stored both, before the clock moves
    awaitEverywhere(kept);
    awaitEverywhere(dropped);
    KadDht seeker = net.dhts.get(4);
    assertThat(seeker.findProviders(dropped, 1).get(30, TimeUnit.SECONDS)).hasSize(1);

    clock.advance(java.time.Duration.ofMinutes(6));
    provider.reprovide().get(30, TimeUnit.SECONDS); // what the reprovide timer runs
    clock.advance(java.time.Duration.ofMinutes(6)); // 12 min: the first records are past their 10 min

    assertThat(seeker.findProviders(kept, 1).get(30, TimeUnit.SECONDS)).containsExactly(net.hosts.get(1).peerId());
    assertThat(seeker.findProviders(dropped, 1).get(30, TimeUnit.SECONDS)).isEmpty();
    for (KadDht dht : net.dhts) {
      dht.sweep();
    }
    int held = 0;
    for (KadDht dht : net.dhts) {
      held += dht.providerStore().size();
    }
    assertThat(held).as("only the records of 'kept' remain").isPositive().isLessThanOrEqualTo(net.dhts.size());
  }

  private void awaitEverywhere(Multihash key) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (net.dhts.stream().anyMatch(d -> d.providerStore().get(key).isEmpty())) {
      assertThat(System.nanoTime()).as("provider records stored everywhere in time").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void reprovideTimerRenewsRecordsByItself() throws Exception {
    MutableClock clock = new MutableClock(java.time.Instant.parse("2025-01-01T00:00:00Z"));
    net = new KadTestNetwork(19);
    KadConfig config = KadConfig.builder().clock(clock).providerTtl(java.time.Duration.ofMinutes(10))
        .reprovideInterval(java.time.Duration.ofMillis(100)).build();
    net.grow(3, config);
    Multihash key = cid("timer");
    net.dhts.get(0).provide(key).get(30, TimeUnit.SECONDS);
    clock.advance(java.time.Duration.ofMinutes(11)); // every record placed so far is now expired
    KadDht other = net.dhts.get(2);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline && other.providerStore().get(key).isEmpty()) {
      Thread.sleep(20); // waits for the real timer on purpose: this test is about the timer
    }
    assertThat(other.providerStore().get(key)).containsExactly(net.hosts.get(0).peerId());
  }
}
