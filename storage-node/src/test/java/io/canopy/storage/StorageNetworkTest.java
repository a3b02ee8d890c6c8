package io.canopy.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.storage.DealStore.Replica;
import io.canopy.storage.DealStore.ReplicaState;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Five storage nodes, an owner and a reader, all real nodes on 127.0.0.1 finding each other
 * through the DHT: a deal with R=3 lands on three distinct nodes, one of them is killed, and the
 * owner's repair loop puts a new third replica in place while the file stays readable.
 */
class StorageNetworkTest {
  private static final StorageConfig CONFIG = StorageConfig.builder()
      .capacityBytes(64L << 20)
      .repairInterval(Duration.ofMillis(300))
      .replicaGrace(Duration.ofSeconds(1))
      .requestTimeout(Duration.ofSeconds(2))
      .fetchTimeout(Duration.ofSeconds(5), 1024 * 1024)
      .build();

  @TempDir Path dir;
  private final List<StorageTestNode> nodes = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (StorageTestNode n : nodes) {
      n.close();
    }
  }

  @Test
  void dealWithThreeReplicasSurvivesAKilledNode() throws Exception {
    List<StorageTestNode> storage = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      storage.add(node("storage" + i, true));
    }
    StorageTestNode owner = node("owner", false);
    StorageTestNode reader = node("reader", false);
    StorageTestNode seed = storage.get(0);
    for (StorageTestNode n : nodes) {
      if (n != seed) {
        n.dht.bootstrap(List.of(seed.addr())).get(10, TimeUnit.SECONDS);
      }
    }
    byte[] file = new byte[3 * 1024 * 1024 + 17];
    new Random(42).nextBytes(file);
    Cid root = new Importer(owner.blocks::put, ImportOptions.defaults()).importFile(new ByteArrayInputStream(file)).cid();
    // Storage nodes announce themselves in the DHT as they start; wait until the owner can see all five.
    waitFor(Duration.ofSeconds(20), () -> owner.dht.findProviders(StorageRole.SERVICE_KEY, 64).join().size() >= 5);

    DealStatus created = owner.role.deals().create(root, 3, Duration.ofHours(1), 1);

    assertThat(created.deal().state()).as(created.deal().reason()).isEqualTo(DealState.ACTIVE);
    Set<PeerId> holders = activeNodes(created);
    assertThat(holders).hasSize(3).doesNotContain(owner.peerId());
    for (StorageTestNode n : storage) {
      assertThat(n.pins.isPinned(root)).as(n.peerId() + " pins iff it holds a replica").isEqualTo(holders.contains(n.peerId()));
    }

    // The reader keeps reading the whole file, always from the network, during the kill and the repair.
    AtomicInteger reads = new AtomicInteger();
    AtomicReference<Throwable> readFailure = new AtomicReference<>();
    byte[] expected = sha256(file);
    Thread readerLoop = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          // The reader pins nothing, so GC empties its store: every read comes from the network.
          new io.canopy.content.pin.GarbageCollector(reader.blocks, reader.pins).collect();
          assertThat(sha256(reader.read(root))).isEqualTo(expected);
          reads.incrementAndGet();
        }
      } catch (Throwable t) {
        if (!Thread.currentThread().isInterrupted()) {
          readFailure.set(t);
        }
      }
    }, "reader");
    readerLoop.start();
    waitFor(Duration.ofSeconds(20), () -> reads.get() >= 1 || readFailure.get() != null);

    StorageTestNode victim = storage.stream().filter(n -> holders.contains(n.peerId())).findFirst().orElseThrow();
    victim.close();
    int readsBeforeRepair = reads.get();

    String dealId = created.deal().deal().id();
    waitFor(Duration.ofSeconds(30), () -> {
      DealStatus s = owner.role.deals().status(dealId).orElseThrow();
      return activeNodes(s).size() == 3 && !activeNodes(s).contains(victim.peerId());
    });
    DealStatus repaired = owner.role.deals().status(dealId).orElseThrow();
    assertThat(repaired.deal().state()).isEqualTo(DealState.ACTIVE);
    assertThat(repaired.replicas()).anySatisfy(r -> {
      assertThat(r.node()).isEqualTo(victim.peerId());
      assertThat(r.state()).isEqualTo(ReplicaState.LOST);
    });
    PeerId newcomer = activeNodes(repaired).stream().filter(p -> !holders.contains(p)).findFirst().orElseThrow();
    StorageTestNode newNode = storage.stream().filter(n -> n.peerId().equals(newcomer)).findFirst().orElseThrow();
    assertThat(newNode.pins.isPinned(root)).isTrue();

    waitFor(Duration.ofSeconds(20), () -> reads.get() > readsBeforeRepair + 1 || readFailure.get() != null);
    readerLoop.interrupt();
    readerLoop.join(10_000);
    assertThat(readFailure.get()).as("a read failed during the kill and the repair").isNull();
    assertThat(reads.get()).isGreaterThan(readsBeforeRepair);

    // Readable from every live node.
    for (StorageTestNode n : nodes) {
      if (n != victim) {
        assertThat(sha256(n.read(root))).as("read through " + n.peerId()).isEqualTo(expected);
      }
    }
  }

  @Test
  void contentNobodyHasFailsTheDealWithAReason() throws Exception {
    StorageTestNode storage = node("storage", true);
    StorageTestNode owner = node("owner", false);
    owner.host.connect(storage.addr()).get(5, TimeUnit.SECONDS);
    Cid absent = Cid.parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");

    DealStatus status = owner.role.deals().create(absent, 1, Duration.ofMinutes(5), 1);

    assertThat(status.deal().state()).isEqualTo(DealState.FAILED);
    assertThat(status.deal().reason()).contains(absent.toString()).contains("could not be fetched");
    assertThat(status.replicas()).isEmpty();
    assertThat(storage.pins.list(io.canopy.content.pin.PinType.ALL)).isEmpty();
    assertThat(storage.dealStore.committedBytes()).isZero();
  }

  /**
   * The owner died between recording a deal and placing it (kill -9 of a gateway mid-upload, found
   * by NemesisTest): the deal is PLACING in its store. The repair loop of the next process places it.
   */
  @Test
  void aDealLeftPlacingByACrashIsPlacedByTheRepairLoop() throws Exception {
    List<StorageTestNode> storage = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      storage.add(node("storage" + i, true));
    }
    StorageTestNode owner = node("owner", false);
    for (StorageTestNode n : nodes) {
      if (n != storage.get(0)) {
        n.dht.bootstrap(List.of(storage.get(0).addr())).get(10, TimeUnit.SECONDS);
      }
    }
    byte[] file = new byte[300_000];
    new Random(7).nextBytes(file);
    Cid root = new Importer(owner.blocks::put, ImportOptions.defaults()).importFile(new ByteArrayInputStream(file)).cid();
    owner.pins.pinRecursive(root);
    waitFor(Duration.ofSeconds(20), () -> owner.dht.findProviders(StorageRole.SERVICE_KEY, 64).join().size() >= 3);
    long now = System.currentTimeMillis();
    io.canopy.protocol.storage.Deal deal = new io.canopy.protocol.storage.Deal("crashed-" + Long.toHexString(now), owner.peerId(),
        root, DagSize.of(owner.blocks, root, false), 2, now, now + Duration.ofHours(1).toMillis(), 1);
    owner.dealStore.addOwned(deal, deal.sign(owner.key), now, "");
    assertThat(owner.role.deals().status(deal.id()).orElseThrow().deal().state()).isEqualTo(DealState.PLACING);

    waitFor(Duration.ofSeconds(30), () -> activeNodes(owner.role.deals().status(deal.id()).orElseThrow()).size() == 2);
    assertThat(owner.role.deals().status(deal.id()).orElseThrow().deal().state()).isEqualTo(DealState.ACTIVE);
  }

  private StorageTestNode node(String name, boolean serve) throws Exception {
    StorageTestNode n = new StorageTestNode(dir.resolve(name), serve, CONFIG);
    nodes.add(n);
    return n;
  }

  private static Set<PeerId> activeNodes(DealStatus s) {
    Set<PeerId> out = new HashSet<>();
    for (Replica r : s.replicas()) {
      if (r.state() == ReplicaState.ACTIVE) {
        out.add(r.node());
      }
    }
    return out;
  }

  /** A condition that may read the stores. */
  interface Condition {
    boolean holds() throws Exception;
  }

  static void waitFor(Duration timeout, Condition condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + timeout);
      }
      Thread.sleep(50);
    }
  }

  static byte[] sha256(byte[] data) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }
}
