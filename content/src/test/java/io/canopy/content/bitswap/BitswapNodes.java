package io.canopy.content.bitswap;

import io.canopy.content.block.Blockstore;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Real hosts on 127.0.0.1 with Bitswap, closed after each test. */
final class BitswapNodes implements AutoCloseable {
  static final Multiaddr LOOPBACK = Multiaddr.parse("/ip4/127.0.0.1/tcp/0");

  /** One node: host, store, Bitswap. */
  record Node(Host host, MemoryBlockstore store, Bitswap bitswap) {}

  private final List<AutoCloseable> closeables = new ArrayList<>();

  Host host() throws InterruptedException {
    Host h = new Host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom())).listen(List.of(LOOPBACK)).build()).start();
    closeables.add(h);
    return h;
  }

  Node node(BitswapConfig config) throws InterruptedException {
    Host h = host();
    MemoryBlockstore store = new MemoryBlockstore();
    Bitswap b = new Bitswap(h, store, config).start();
    closeables.add(0, b); // closed before its host
    return new Node(h, store, b);
  }

  /** Bitswap over a store of the test's own (a decorator, say) on a new host. */
  Bitswap bitswap(Host h, Blockstore store, BitswapConfig config) {
    Bitswap b = new Bitswap(h, store, config).start();
    closeables.add(0, b); // closed before its host
    return b;
  }

  Node node() throws InterruptedException {
    return node(BitswapConfig.DEFAULT);
  }

  static Multiaddr addr(Host h) {
    return h.listenAddrs().get(0).withPeerId(h.peerId());
  }

  static Connection connect(Host from, Host to) throws Exception {
    return from.connect(addr(to)).get(10, TimeUnit.SECONDS);
  }

  static byte[] randomBytes(long seed, int size) {
    byte[] data = new byte[size];
    new SplittableRandom(seed).nextBytes(data);
    return data;
  }

  /** Imports {@code data} as Kubo's {@code ipfs add} would (CIDv0, 256 KiB chunks, balanced). */
  static Cid importFile(Blockstore store, byte[] data, ImportOptions options) throws IOException {
    ImportResult r = new Importer(store::put, options).importFile(new ByteArrayInputStream(data));
    return r.cid();
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }
}
