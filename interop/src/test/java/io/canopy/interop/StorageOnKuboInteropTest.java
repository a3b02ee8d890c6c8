package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.bitswap.Bitswap;
import io.canopy.content.bitswap.BitswapBlockstore;
import io.canopy.content.bitswap.BitswapConfig;
import io.canopy.content.bitswap.Ledger;
import io.canopy.content.block.Blockstore;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.dag.DagWalker;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import io.canopy.content.pin.PinStore;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multihash;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.p2p.kad.KadConfig;
import io.canopy.p2p.kad.KadDht;
import io.canopy.storage.ContentStore;
import io.canopy.storage.DealState;
import io.canopy.storage.DealStatus;
import io.canopy.storage.DealStore;
import io.canopy.storage.GcGate;
import io.canopy.storage.LocalContentStore;
import io.canopy.storage.StorageConfig;
import io.canopy.storage.StorageRole;
import io.canopy.storage.kubo.KuboContentStore;
import io.canopy.storage.kubo.KuboRpcClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A storage node in the existing-IPFS-daemon mode ({@code --ipfs-api}): its content store is a
 * real js-ipfs 0.66.1 daemon ({@link KuboRpcJsIpfsDaemon}), reached only through the Kubo RPC API.
 * Three Canopy nodes on 127.0.0.1 — an owner with its own disk stores, the storage node, and a
 * reader with no storage role — run a whole deal (spec/storage.md §2.3): placement, the DAG
 * fetched over Bitswap into the daemon and pinned there, a check, a read from the daemon's blocks
 * over Bitswap, and the release at the deal's end, which leaves the daemon without the pin.
 *
 * <p>What the daemon holds is checked through a second RPC client of our own, as an operator's
 * {@code ipfs pin ls} / {@code ipfs block get} would see it. The deal's end comes from the owner's
 * clock being moved past it, then one repair pass: no waiting for a timer.
 */
@Tag("interop")
class StorageOnKuboInteropTest {
  private static final long SEED = 0x5709_E0CBL;
  private static final int FILE_SIZE = 3 * 1024 * 1024 + 12_345;
  private static final Duration DEAL_DURATION = Duration.ofHours(1);
  private static final Duration NETWORK_WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  private final Deque<AutoCloseable> open = new ArrayDeque<>();

  @AfterEach
  void closeEverything() throws Exception {
    Exception first = null;
    while (!open.isEmpty()) {
      try {
        open.pop().close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private <T extends AutoCloseable> T closeLater(T resource) {
    open.push(resource);
    return resource;
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aStorageNodeKeepsPinsServesAndReleasesADealInsideJsIpfs() throws Exception {
    KuboRpcJsIpfsDaemon daemon = closeLater(KuboRpcJsIpfsDaemon.start());
    // The storage node's store is configured as --ipfs-api configures it: defaults, the API's URL.
    KuboContentStore daemonStore = closeLater(KuboContentStore.open(daemon.config().build()));
    KuboRpcClient operator = closeLater(new KuboRpcClient(daemon.config().localLookupTimeout(Duration.ofSeconds(1)).build()));

    ShiftedClock ownerClock = new ShiftedClock();
    // The owner's own repair loop never runs during the test: its passes are called by hand.
    StorageConfig ownerConfig = StorageConfig.builder().repairInterval(Duration.ofHours(24)).build();
    FileBlockstore ownerBlocks = FileBlockstore.open(dir.resolve("owner/blocks"));
    PinStore ownerPins = closeLater(new PinStore(dir.resolve("owner/canopy.db"), ownerBlocks));
    Node owner = closeLater(new Node(dir.resolve("owner"), ownerBlocks, new LocalContentStore(ownerBlocks, ownerPins), false,
        ownerConfig, ownerClock));
    Node storage = closeLater(new Node(dir.resolve("storage"), daemonStore.blocks(), daemonStore, true, StorageConfig.defaults(),
        Clock.systemUTC()));

    owner.dht.bootstrap(List.of(storage.addr())).get(10, TimeUnit.SECONDS);
    waitFor("the owner finds the storage service in the DHT",
        () -> !owner.dht.findProviders(StorageRole.SERVICE_KEY, 8).join().isEmpty());

    byte[] file = new byte[FILE_SIZE];
    new SplittableRandom(SEED).nextBytes(file);
    Cid root = new Importer(ownerBlocks::put, ImportOptions.defaults()).importFile(new ByteArrayInputStream(file)).cid();
    Map<Cid, byte[]> dag = blocksOf(ownerBlocks, root);
    assertThat(dag).hasSizeGreaterThan(10); // a root and its 256 KiB chunks
    long dagBytes = dag.values().stream().mapToLong(b -> b.length).sum();

    // --- placement: the storage node fetches the DAG over Bitswap into js-ipfs and pins it there.
    // About 2 s per block here, not a few ms: js-ipfs has no offline lookup (KuboDialect), so
    // Bitswap's local check of each block it lacks waits out the client's local-lookup timeout.
    DealStatus created = owner.role.deals().create(root, 1, DEAL_DURATION, 1);

    assertThat(created.deal().state()).as(created.deal().reason()).isEqualTo(DealState.ACTIVE);
    assertThat(created.deal().deal().size()).isEqualTo(dagBytes);
    assertThat(created.replicas()).singleElement().satisfies(r -> {
      assertThat(r.node()).isEqualTo(storage.peerId());
      assertThat(r.state()).isEqualTo(DealStore.ReplicaState.ACTIVE);
    });
    String dealId = created.deal().deal().id();
    assertThat(storage.dealStore.held(dealId)).hasValueSatisfying(h -> assertThat(h.state()).isEqualTo(DealStore.HeldState.HOLDING));
    assertThat(storage.dealStore.committedBytes()).isEqualTo(dagBytes);

    // What the daemon's operator sees: a recursive pin on the root, and every block of the DAG.
    assertThat(operator.pinLs(root, "recursive")).as("pin/ls %s", root)
        .hasValueSatisfying(pin -> assertThat(pin.type()).isEqualTo("recursive"));
    for (Map.Entry<Cid, byte[]> block : dag.entrySet()) {
      assertThat(operator.blockGet(block.getKey())).as("block/get %s", block.getKey()).isEqualTo(block.getValue());
    }

    // --- a check: the storage node answers it from the daemon's pin and blocks
    owner.role.deals().repairOnce();
    DealStatus checked = owner.role.deals().status(dealId).orElseThrow();
    assertThat(checked.deal().state()).isEqualTo(DealState.ACTIVE);
    assertThat(checked.replicas()).singleElement().satisfies(r -> {
      assertThat(r.state()).isEqualTo(DealStore.ReplicaState.ACTIVE);
      assertThat(r.failedChecks()).isZero();
    });

    // --- a read: the owner drops its copy, so the reader's blocks can only come out of js-ipfs
    for (Cid cid : dag.keySet()) {
      ownerBlocks.delete(cid);
    }
    Node reader = closeLater(new Node(dir.resolve("reader"), FileBlockstore.open(dir.resolve("reader/blocks")), null, false, null, null));
    reader.dht.bootstrap(List.of(storage.addr())).get(10, TimeUnit.SECONDS);
    waitFor("the reader finds the storage node as a provider of " + root,
        () -> reader.dht.findProviders(root.multihash(), 8).join().contains(storage.peerId()));

    byte[] readDigest;
    try (BitswapBlockstore network = new BitswapBlockstore(reader.blocks, reader.bitswap)) {
      Exporter exporter = new Exporter(network);
      MessageDigest sha256 = sha256();
      try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), sha256)) {
        exporter.cat(root, 0, exporter.fileSize(root), out);
      }
      readDigest = sha256.digest();
    }
    assertThat(readDigest).as("SHA-256 of the file read back").isEqualTo(sha256().digest(file));
    Ledger fromStorage = reader.bitswap.ledgers().get(storage.peerId());
    assertThat(fromStorage).isNotNull();
    assertThat(fromStorage.blocksReceived()).as("blocks the reader got from the storage node").isGreaterThanOrEqualTo(dag.size());

    // --- the end: the owner's clock passes end_ms, a repair pass releases the replica
    ownerClock.shift(DEAL_DURATION.plusSeconds(1));
    owner.role.deals().repairOnce();

    DealStatus ended = owner.role.deals().status(dealId).orElseThrow();
    assertThat(ended.deal().state()).isEqualTo(DealState.ENDED);
    assertThat(ended.replicas()).singleElement().satisfies(r -> assertThat(r.state()).isEqualTo(DealStore.ReplicaState.RELEASED));
    assertThat(storage.dealStore.held(dealId)).isEmpty();
    assertThat(storage.dealStore.committedBytes()).isZero();
    assertThat(operator.pinLs(root, "recursive")).as("pin/ls %s after the release", root).isEmpty();
    assertThat(operator.pinLs(root, "all")).as("not even indirectly pinned").isEmpty();

    // Unpinned blocks go at the node's next garbage collection, which is the daemon's repo/gc.
    assertThat(storage.role.provider().orElseThrow().collectGarbage()).isGreaterThanOrEqualTo(dag.size());
    Set<Multihash> left;
    try (Stream<Cid> keys = operator.refsLocal()) {
      left = keys.map(Cid::multihash).collect(Collectors.toSet());
    }
    for (Cid cid : dag.keySet()) {
      assertThat(left).as("refs/local after gc").doesNotContain(cid.multihash());
    }
  }

  /** Every block of the DAG under {@code root}, in walk order. */
  private static Map<Cid, byte[]> blocksOf(Blockstore blocks, Cid root) throws IOException {
    Map<Cid, byte[]> out = new LinkedHashMap<>();
    DagWalker.over(blocks).walk(root, (cid, data) -> {
      out.put(cid, data);
      return true;
    });
    return out;
  }

  private static MessageDigest sha256() throws NoSuchAlgorithmException {
    return MessageDigest.getInstance("SHA-256");
  }

  /** Polls a network condition (a DHT lookup, not a timer) until it holds. */
  private static void waitFor(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + NETWORK_WAIT.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + NETWORK_WAIT.toSeconds() + " s: " + what);
      }
      Thread.sleep(100);
    }
  }

  /** The system clock plus a shift the test moves forward, so a deal's end comes without waiting. */
  private static final class ShiftedClock extends Clock {
    private volatile Duration shift = Duration.ZERO;

    void shift(Duration by) {
      shift = shift.plus(by);
    }

    @Override
    public Instant instant() {
      return Instant.now().plus(shift);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  /**
   * One Canopy node on 127.0.0.1 wired as the daemon wires it: Host, DHT, Bitswap serving from and
   * fetching into {@code blocks}, and — given a content store — the storage role over the same
   * blocks. Closes what it opened, not the stores it was given.
   */
  private static final class Node implements AutoCloseable {
    final Host host;
    final Blockstore blocks;
    final KadDht dht;
    final Bitswap bitswap;
    final DealStore dealStore;
    final StorageRole role;

    Node(Path dir, Blockstore blocks, ContentStore content, boolean serve, StorageConfig config, Clock clock)
        throws Exception {
      Files.createDirectories(dir);
      Ed25519PrivateKey key = Ed25519PrivateKey.generate(new SecureRandom());
      this.blocks = blocks;
      this.host = new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
      this.dht = new KadDht(host, KadConfig.builder().build()).start();
      this.bitswap = new Bitswap(host, blocks, BitswapConfig.DEFAULT).start();
      bitswap.setProviderFinder((cid, max) -> dht.findProviders(cid.multihash(), max));
      if (content == null) {
        this.dealStore = null;
        this.role = null;
      } else {
        this.dealStore = new DealStore(dir.resolve("deals.db"));
        this.role = new StorageRole(host, key, content, dealStore, bitswap, dht, config, serve, clock, new GcGate()).start();
      }
    }

    PeerId peerId() {
      return host.peerId();
    }

    Multiaddr addr() {
      return host.listenAddrs().get(0).withPeerId(host.peerId());
    }

    @Override
    public void close() throws IOException {
      if (role != null) {
        role.close();
      }
      bitswap.close();
      dht.close();
      host.close();
      if (dealStore != null) {
        dealStore.close();
      }
    }
  }
}
