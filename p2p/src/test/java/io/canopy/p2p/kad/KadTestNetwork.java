package io.canopy.p2p.kad;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Real nodes on 127.0.0.1, each a Host with a KadDht. Keys come from a seed, so a failing run can
 * be repeated with the same peer IDs (and so the same keyspace layout).
 */
final class KadTestNetwork implements AutoCloseable {
  static final Multiaddr LOOPBACK = Multiaddr.parse("/ip4/127.0.0.1/tcp/0");

  final List<Host> hosts = new ArrayList<>();
  final List<KadDht> dhts = new ArrayList<>();
  private final SplittableRandom random;

  KadTestNetwork(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** Adds a started node (not bootstrapped). */
  KadDht add(KadConfig config) throws InterruptedException {
    byte[] seed = new byte[32];
    random.nextBytes(seed);
    Host host = new Host(HostConfig.builder(Ed25519PrivateKey.fromSeed(seed)).listen(List.of(LOOPBACK)).ioThreads(1).build()).start();
    hosts.add(host);
    KadDht dht = new KadDht(host, config).start();
    dhts.add(dht);
    return dht;
  }

  /**
   * {@code n} nodes; node i bootstraps to node i-1 and to one other earlier node picked at random
   * (so each knows one or two others to begin with, not everyone).
   */
  void grow(int n, KadConfig config) throws Exception {
    for (int i = 0; i < n; i++) {
      KadDht dht = add(config);
      List<Multiaddr> boot = new ArrayList<>();
      if (i > 0) {
        boot.add(addr(i - 1));
      }
      if (i > 1) {
        boot.add(addr(random.nextInt(i - 1)));
      }
      dht.bootstrap(boot).get(30, TimeUnit.SECONDS);
    }
  }

  /** Runs one bucket refresh on every node, as their timers would. */
  void refreshAll() throws Exception {
    CompletableFuture.allOf(dhts.stream().map(KadDht::refresh).toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
  }

  Multiaddr addr(int i) {
    Host h = hosts.get(i);
    return h.listenAddrs().get(0).withPeerId(h.peerId());
  }

  @Override
  public void close() {
    dhts.forEach(KadDht::close);
    hosts.forEach(Host::close);
  }
}
