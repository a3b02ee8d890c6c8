package io.canopy.storage;

import io.canopy.content.bitswap.Bitswap;
import io.canopy.content.bitswap.BitswapBlockstore;
import io.canopy.content.bitswap.BitswapConfig;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.pin.PinStore;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.p2p.kad.KadConfig;
import io.canopy.p2p.kad.KadDht;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;

/** One real node for network tests: a Host on 127.0.0.1, its own disk stores, Bitswap, the DHT and the storage role. */
final class StorageTestNode implements AutoCloseable {
  final Ed25519PrivateKey key = Ed25519PrivateKey.generate(new SecureRandom());
  final Host host;
  final FileBlockstore blocks;
  final PinStore pins;
  final DealStore dealStore;
  final Bitswap bitswap;
  final KadDht dht;
  final StorageRole role;
  private boolean closed;

  StorageTestNode(Path dir, boolean serve, StorageConfig config) throws Exception {
    this(dir, dir.resolve("blocks"), serve, config);
  }

  StorageTestNode(Path dir, Path blocksDir, boolean serve, StorageConfig config) throws Exception {
    host = new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    blocks = FileBlockstore.open(blocksDir);
    pins = new PinStore(dir.resolve("canopy.db"), blocks);
    dealStore = new DealStore(dir.resolve("deals.db"));
    dht = new KadDht(host, KadConfig.builder().build()).start();
    bitswap = new Bitswap(host, blocks, BitswapConfig.DEFAULT).start();
    bitswap.setProviderFinder((cid, max) -> dht.findProviders(cid.multihash(), max));
    role = new StorageRole(host, key, new LocalContentStore(blocks, pins), dealStore, bitswap, dht, config, serve, Clock.systemUTC(), new GcGate()).start();
  }

  PeerId peerId() {
    return host.peerId();
  }

  Multiaddr addr() {
    return host.listenAddrs().get(0).withPeerId(host.peerId());
  }

  /** Reads the whole file through this node: local blocks first, the rest over Bitswap. */
  byte[] read(Cid root) throws IOException {
    Exporter exporter = new Exporter(new BitswapBlockstore(blocks, bitswap));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    exporter.cat(root, 0, exporter.fileSize(root), out);
    return out.toByteArray();
  }

  /** Stops the node as a crash would, as far as its peers can tell: every connection drops, nothing is released. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    role.close();
    bitswap.close();
    dht.close();
    host.close();
    dealStore.close();
    pins.close();
  }
}
