package io.canopy.gateway.s3.data;

import io.canopy.gateway.s3.meta.S3Metadata;
import io.canopy.gateway.s3.meta.S3MetadataException;
import io.canopy.multiformats.Cid;
import io.canopy.storage.ContentStore;
import io.canopy.storage.DealManager;
import io.canopy.storage.DealStore;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The gateway node's {@link ObjectKeeper}: an object's DAG is pinned in the node's content store
 * and placed in a storage deal (purpose {@value #PURPOSE}) with R replicas; the PUT waits for W of
 * them. When no storage node exists the node's own fsynced, pinned copy is the one replica the
 * PUT waits for (W=1 on itself) and the deal waits, degraded, for nodes to appear.
 *
 * <p>Letting go is by reference: a root is released (its deals ended, its pin removed) only when
 * the S3 metadata references it nowhere — so the same bytes under two keys, or uploaded again
 * while one copy is deleted, stay — and no write in progress has kept it. A sweep repeats the
 * check for every deal this node made for S3, which catches roots whose release was missed (a
 * crash, or another gateway sharing the metadata deleted the object).
 */
public final class DealKeeper implements ObjectKeeper, AutoCloseable {
  /** The purpose recorded with the deals this keeper makes. */
  public static final String PURPOSE = "s3";

  /** How many replicas, how many before a PUT is acknowledged, for how long, at what price, how often to sweep. */
  public record Config(int replicas, int quorum, Duration dealDuration, long price, Duration sweepInterval) {
    public Config {
      if (quorum < 1 || quorum > replicas) {
        throw new IllegalArgumentException("the write quorum must be between 1 and the replicas (" + replicas + "), not " + quorum);
      }
    }

    /** R=3, W=1, deals for a year, free, swept every ten minutes. */
    public static Config defaults() {
      return new Config(3, 1, Duration.ofDays(365), 0, Duration.ofMinutes(10));
    }
  }

  private static final System.Logger LOG = System.getLogger(DealKeeper.class.getName());
  private static final int STRIPES = 1024;

  private final ContentStore content;
  private final ReadWriteLock gcGate;
  private final DealManager deals;
  private final DealStore dealStore;
  private final S3Metadata metadata;
  private final Config config;
  private final ScheduledExecutorService background;
  /** Roots kept by writes still in progress, with how many writes keep each. */
  private final Map<Cid, Integer> inFlight = new ConcurrentHashMap<>();
  /** Keeping and letting go of one root never interleave (by stripe of the root's hash). */
  private final Lock[] stripes = new Lock[STRIPES];

  public DealKeeper(ContentStore content, ReadWriteLock gcGate, DealManager deals, DealStore dealStore, S3Metadata metadata,
      Config config) {
    this.content = content;
    this.gcGate = gcGate;
    this.deals = deals;
    this.dealStore = dealStore;
    this.metadata = metadata;
    this.config = config;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new ReentrantLock();
    }
    this.background = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "canopy-s3-deals");
      t.setDaemon(true);
      return t;
    });
    long sweep = config.sweepInterval().toMillis();
    background.scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
  }

  @Override
  public Lease lease() {
    Lock gc = gcGate.readLock();
    gc.lock();
    return new Lease() {
      private final List<Cid> kept = new ArrayList<>();
      private boolean closed;

      @Override
      public void keepHere(Cid root) throws IOException {
        enter(root);
        kept.add(root);
        content.pinJustWritten(root);
      }

      @Override
      public void keepDurably(Cid root, long dagBytes) throws IOException {
        keepHere(root);
        if (!dealStore.liveOwnedDeals(root.toString()).stream().anyMatch(d -> d.purpose().equals(PURPOSE))) {
          place(root, dagBytes);
        }
      }

      @Override
      public void close() {
        if (closed) {
          return;
        }
        closed = true;
        gc.unlock();
        for (Cid root : kept) {
          inFlight.computeIfPresent(root, (k, n) -> n == 1 ? null : n - 1);
        }
        for (Cid root : new LinkedHashSet<>(kept)) {
          releaseIfUnreferenced(root);
        }
      }
    };
  }

  private void enter(Cid root) {
    Lock stripe = stripe(root);
    stripe.lock();
    try {
      inFlight.merge(root, 1, Integer::sum);
    } finally {
      stripe.unlock();
    }
  }

  private void place(Cid root, long dagBytes) throws IOException {
    DealManager.Durable made =
        deals.createDurable(root, dagBytes, config.replicas(), config.quorum(), config.dealDuration(), config.price(), PURPOSE);
    String dealId = made.status().deal().deal().id();
    if (made.holding() < config.quorum() && !made.noStorageNodes()) {
      deals.release(dealId);
      throw new NotDurable("only " + made.holding() + " of the " + config.quorum() + " storage nodes needed took the object: "
          + made.status().deal().reason());
    }
    if (made.holding() < config.replicas() && !made.noStorageNodes()) { // else the repair loop places it when nodes appear
      background.execute(() -> {
        try {
          deals.repair(dealId);
        } catch (IOException | RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "deal " + dealId + ": placing its other replicas failed; the repair loop retries", e);
        }
      });
    }
  }

  /** Lets go in the background: ending a deal waits for its replicas' answers, which a DELETE should not. */
  @Override
  public void released(Collection<String> cids) {
    for (String cid : cids) {
      Cid root;
      try {
        root = Cid.parse(cid);
      } catch (IllegalArgumentException e) {
        LOG.log(System.Logger.Level.WARNING, "the metadata released a CID that does not parse: " + cid, e);
        continue;
      }
      background.execute(() -> releaseIfUnreferenced(root));
    }
  }

  /** Ends this node's S3 deals for {@code root} and unpins it, unless something still needs it. */
  private void releaseIfUnreferenced(Cid root) {
    Lock stripe = stripe(root);
    stripe.lock();
    try {
      if (inFlight.containsKey(root) || metadata.isCidReferenced(root.toString())) {
        return;
      }
      boolean otherDeals = false;
      for (DealStore.OwnedDeal d : dealStore.liveOwnedDeals(root.toString())) {
        if (d.purpose().equals(PURPOSE)) {
          deals.release(d.deal().id());
        } else {
          otherDeals = true; // a user's own deal on the same bytes keeps the pin
        }
      }
      if (!otherDeals) {
        content.unpin(root);
      }
    } catch (IOException | S3MetadataException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "letting go of " + root + " failed; the next sweep retries", e);
    } finally {
      stripe.unlock();
    }
  }

  /** Releases every root of this node's S3 deals that the metadata no longer references. */
  void sweep() {
    try {
      Set<Cid> roots = new LinkedHashSet<>();
      for (DealStore.OwnedDeal d : dealStore.liveOwnedDealsFor(PURPOSE)) {
        roots.add(d.deal().root());
      }
      roots.forEach(this::releaseIfUnreferenced);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "the S3 deal sweep failed", e);
    }
  }

  private Lock stripe(Cid root) {
    return stripes[Math.floorMod(root.hashCode(), STRIPES)];
  }

  @Override
  public void close() {
    background.shutdownNow();
  }
}
