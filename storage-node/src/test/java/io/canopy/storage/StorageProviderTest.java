package io.canopy.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.dag.DagWalker;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import io.canopy.content.pin.PinStore;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.protocol.storage.Deal;
import io.canopy.protocol.storage.StorageMessage;
import io.canopy.protocol.storage.StorageMessage.Code;
import io.canopy.testing.MutableClock;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's side of deals as plain calls. The "network" is a fetcher that copies blocks from
 * another store one by one, verifying each as Bitswap does; the real network is in StorageNetworkTest.
 */
class StorageProviderTest {
  private static final Ed25519PrivateKey OWNER = Ed25519PrivateKey.generate(new SecureRandom());
  private static final Ed25519PrivateKey NODE = Ed25519PrivateKey.generate(new SecureRandom());

  @TempDir Path dir;
  private final MemoryBlockstore elsewhere = new MemoryBlockstore();
  private final List<Cid> announced = new ArrayList<>();
  private FileBlockstore blocks;
  private PinStore pins;
  private DealStore deals;
  private ExecutorService worker;
  private MutableClock clock;
  private StorageProvider provider;

  @BeforeEach
  void setUp() throws IOException {
    blocks = FileBlockstore.open(dir.resolve("blocks"));
    pins = new PinStore(dir.resolve("canopy.db"), blocks);
    deals = new DealStore(dir.resolve("deals.db"));
    worker = Executors.newFixedThreadPool(2);
    clock = new MutableClock(Instant.ofEpochMilli(1_000_000));
    provider = provider(StorageConfig.builder().capacityBytes(1_000_000).build(), copyFrom(elsewhere));
  }

  private StorageProvider provider(StorageConfig config, DagFetcher fetcher) {
    return new StorageProvider(NODE, new LocalContentStore(blocks, pins), deals, fetcher, new ContentAnnouncer() {
      @Override
      public void provide(Cid root) {
        announced.add(root);
      }

      @Override
      public void stopProviding(Cid root) {
        announced.remove(root);
      }
    }, config, clock, worker, new GcGate());
  }

  @AfterEach
  void tearDown() throws IOException {
    worker.shutdownNow();
    deals.close();
    pins.close();
  }

  @Test
  void acceptsFetchesPinsAnnouncesAndSigns() throws IOException {
    Cid root = importElsewhere(300_000, 1);
    long size = dagSize(elsewhere, root);
    Deal deal = deal("d1", root, size);

    StorageMessage reply = propose(deal);

    assertThat(reply).isInstanceOf(StorageMessage.Holding.class);
    StorageMessage.Holding holding = (StorageMessage.Holding) reply;
    assertThat(holding.ack().verify()).isTrue();
    assertThat(holding.ack().node()).isEqualTo(NODE.peerId());
    assertThat(pins.isPinned(root)).isTrue();
    assertThat(announced).containsExactly(root);
    assertThat(((StorageMessage.Capacity) handle(new StorageMessage.CapacityRequest())).committedBytes()).isEqualTo(size);
    assertThat(handle(new StorageMessage.Check("d1"))).isInstanceOf(StorageMessage.Holding.class);
    assertThat(propose(deal)).as("a repeated proposal is answered, not fetched twice").isInstanceOf(StorageMessage.Holding.class);
  }

  @Test
  void refusesWithoutRoomBadSignatureOrAnotherProposer() throws IOException {
    Cid root = importElsewhere(10_000, 2);
    Deal big = deal("big", root, 2_000_000);
    assertThat(rejection(propose(big))).isEqualTo(Code.NO_ROOM);

    Deal deal = deal("d2", root, 10_000);
    StorageMessage.Propose forged = new StorageMessage.Propose(deal, new byte[64], List.of());
    assertThat(rejection(provider.handle(OWNER.peerId(), forged).join())).isEqualTo(Code.BAD_DEAL);

    StorageMessage.Propose replayed = new StorageMessage.Propose(deal, deal.sign(OWNER), List.of());
    assertThat(rejection(provider.handle(NODE.peerId(), replayed).join())).as("someone else replaying the owner's deal").isEqualTo(Code.BAD_DEAL);

    Deal ended = new Deal("old", OWNER.peerId(), root, 10, 1, 0, clock.millis() - 1, 0);
    assertThat(rejection(propose(ended))).isEqualTo(Code.BAD_DEAL);
    assertThat(deals.committedBytes()).isZero();
  }

  @Test
  void unfetchableContentFailsTheDealAndPinsNothing() throws IOException {
    Cid root = importElsewhere(600_000, 3);
    long size = dagSize(elsewhere, root);
    // One leaf is gone from everywhere: the fetch gets the root and some leaves, then fails.
    Cid lastLeaf = leaves(elsewhere, root).get(2);
    elsewhere.delete(lastLeaf);

    StorageMessage reply = propose(deal("d3", root, size));

    assertThat(rejection(reply)).isEqualTo(Code.FETCH_FAILED);
    assertThat(((StorageMessage.Rejected) reply).reason()).contains(lastLeaf.toString());
    assertThat(pins.list(io.canopy.content.pin.PinType.ALL)).isEmpty();
    assertThat(deals.committedBytes()).isZero();
    assertThat(announced).isEmpty();
    provider.collectGarbage();
    try (var keys = blocks.keys()) {
      assertThat(keys.count()).as("partial blocks collected").isZero();
    }
  }

  @Test
  void aDagLargerThanTheDealSaysIsRefused() throws IOException {
    Cid root = importElsewhere(400_000, 4);
    StorageMessage reply = propose(deal("liar", root, 1000));
    assertThat(rejection(reply)).isEqualTo(Code.BAD_DEAL);
    assertThat(pins.isPinned(root)).isFalse();
  }

  @Test
  void aFetchThatNeverEndsTimesOut() throws IOException {
    provider = provider(StorageConfig.builder().capacityBytes(1_000_000).fetchTimeout(Duration.ofMillis(200), 1 << 30).build(),
        (root, sources, timeout) -> new CompletableFuture<>());
    Cid root = importElsewhere(1000, 5);
    StorageMessage reply = propose(deal("slow", root, 1000));
    assertThat(rejection(reply)).isEqualTo(Code.FETCH_FAILED);
    assertThat(((StorageMessage.Rejected) reply).reason()).contains("not complete within");
    assertThat(deals.committedBytes()).isZero();
  }

  @Test
  void releaseNeedsTheOwnerAndUnpins() throws IOException {
    Cid root = importElsewhere(300_000, 6);
    long size = dagSize(elsewhere, root);
    propose(deal("d4", root, size));

    Ed25519PrivateKey stranger = Ed25519PrivateKey.generate(new SecureRandom());
    assertThat(rejection(handle(StorageMessage.Release.sign(stranger, "d4")))).isEqualTo(Code.BAD_DEAL);
    assertThat(pins.isPinned(root)).isTrue();

    assertThat(handle(StorageMessage.Release.sign(OWNER, "d4"))).isInstanceOf(StorageMessage.Released.class);
    assertThat(pins.isPinned(root)).isFalse();
    assertThat(announced).isEmpty();
    assertThat(rejection(handle(new StorageMessage.Check("d4")))).isEqualTo(Code.NOT_HOLDING);
    assertThat(handle(StorageMessage.Release.sign(OWNER, "d4"))).as("idempotent").isInstanceOf(StorageMessage.Released.class);
  }

  @Test
  void twoDealsOnOneRootKeepItUntilBothEnd() throws IOException {
    Cid root = importElsewhere(300_000, 7);
    long size = dagSize(elsewhere, root);
    propose(deal("a", root, size));
    propose(new Deal("b", OWNER.peerId(), root, size, 1, clock.millis(), clock.millis() + 120_000, 0));

    clock.advance(Duration.ofSeconds(61)); // "a" ends, "b" runs on
    provider.sweepExpired();
    assertThat(pins.isPinned(root)).isTrue();
    assertThat(handle(new StorageMessage.Check("b"))).isInstanceOf(StorageMessage.Holding.class);

    clock.advance(Duration.ofSeconds(60));
    provider.sweepExpired();
    assertThat(pins.isPinned(root)).isFalse();
    assertThat(blocks.has(root)).as("garbage collected after the last deal ended").isFalse();
  }

  // --- helpers ------------------------------------------------------------------------------

  private Deal deal(String id, Cid root, long size) {
    return new Deal(id, OWNER.peerId(), root, size, 1, clock.millis(), clock.millis() + 60_000, 1);
  }

  private StorageMessage propose(Deal deal) {
    return provider.handle(OWNER.peerId(), new StorageMessage.Propose(deal, deal.sign(OWNER), List.of())).join();
  }

  private StorageMessage handle(StorageMessage m) {
    return provider.handle(OWNER.peerId(), m).join();
  }

  private static Code rejection(StorageMessage m) {
    assertThat(m).isInstanceOf(StorageMessage.Rejected.class);
    return ((StorageMessage.Rejected) m).code();
  }

  private Cid importElsewhere(int bytes, long seed) throws IOException {
    byte[] data = new byte[bytes];
    new Random(seed).nextBytes(data);
    return new Importer(elsewhere::put, ImportOptions.defaults()).importFile(new ByteArrayInputStream(data)).cid();
  }

  private static long dagSize(Blockstore store, Cid root) throws IOException {
    long[] total = {0};
    DagWalker.over(store).walk(root, (cid, data) -> {
      total[0] += data.length;
      return true;
    });
    return total[0];
  }

  private static List<Cid> leaves(Blockstore store, Cid root) throws IOException {
    List<Cid> out = new ArrayList<>();
    DagWalker.over(store).walk(root, (cid, data) -> {
      if (!cid.equals(root)) {
        out.add(cid);
      }
      return true;
    });
    return out;
  }

  /** Copies the DAG block by block, verifying each, as a network fetch would. */
  private DagFetcher copyFrom(Blockstore source) {
    return (root, sources, timeout) -> CompletableFuture.runAsync(() -> {
      try {
        DagWalker.over(new Blockstore() {
          @Override
          public boolean has(Cid cid) throws IOException {
            return source.has(cid);
          }

          @Override
          public byte[] get(Cid cid) throws IOException {
            byte[] data = source.get(cid);
            blocks.put(new Block(cid, data).verify());
            return data;
          }

          @Override
          public void put(Block block) {}

          @Override
          public void delete(Cid cid) {}

          @Override
          public long size(Cid cid) throws IOException {
            return source.size(cid);
          }

          @Override
          public java.util.stream.Stream<Cid> keys() throws IOException {
            return source.keys();
          }
        }).walk(root, (cid, data) -> true);
      } catch (BlockNotFoundException e) {
        throw new java.util.concurrent.CompletionException(e);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }
}
