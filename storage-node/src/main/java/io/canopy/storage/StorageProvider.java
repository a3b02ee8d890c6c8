package io.canopy.storage;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.protocol.storage.Deal;
import io.canopy.protocol.storage.HoldingAck;
import io.canopy.protocol.storage.StorageMessage;
import io.canopy.protocol.storage.StorageMessage.Code;
import io.canopy.protocol.storage.StorageMessage.Rejected;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;

/**
 * The storage node's side of {@code /canopy/storage/1.0.0}, with no networking in it: accepts a
 * deal only when it has room, fetches and verifies the whole DAG, pins it, announces it and
 * signs that it holds it; answers checks; lets go of a deal when its owner releases it or it
 * expires. A deal that fails midway leaves no pin behind: its blocks are unpinned and go at the
 * next garbage collection.
 */
public final class StorageProvider {
  private static final System.Logger LOG = System.getLogger(StorageProvider.class.getName());

  private final Ed25519PrivateKey key;
  private final ContentStore store;
  private final DealStore deals;
  private final DagFetcher fetcher;
  private final ContentAnnouncer announcer;
  private final StorageConfig config;
  private final Clock clock;
  private final ExecutorService worker;
  private final Semaphore fetchSlots;
  /** Fetches hold its shared side until they pin: GC never deletes blocks a fetch wrote but has not pinned yet. */
  private final GcGate gcGate;

  public StorageProvider(Ed25519PrivateKey key, ContentStore store, DealStore deals, DagFetcher fetcher, ContentAnnouncer announcer,
                         StorageConfig config, Clock clock, ExecutorService worker, GcGate gcGate) {
    this.key = key;
    this.gcGate = gcGate;
    this.store = store;
    this.deals = deals;
    this.fetcher = fetcher;
    this.announcer = announcer;
    this.config = config;
    this.clock = clock;
    this.worker = worker;
    this.fetchSlots = new Semaphore(config.maxConcurrentFetches());
  }

  /** Answers one request from {@code from}; never fails: every problem becomes a {@link Rejected} with its reason. */
  public CompletableFuture<StorageMessage> handle(PeerId from, StorageMessage request) {
    try {
      if (request instanceof StorageMessage.CapacityRequest) {
        return CompletableFuture.completedFuture(capacity());
      } else if (request instanceof StorageMessage.Propose p) {
        return CompletableFuture.supplyAsync(() -> {
          try {
            return propose(from, p);
          } catch (IOException | RuntimeException e) {
            return done(internal(e));
          }
        }, worker).thenCompose(f -> f);
      } else if (request instanceof StorageMessage.Check c) {
        return CompletableFuture.supplyAsync(() -> check(c.dealId()), worker);
      } else if (request instanceof StorageMessage.Release r) {
        return CompletableFuture.supplyAsync(() -> release(r), worker);
      }
      return done(new Rejected(Code.UNSUPPORTED, "not a request a storage node answers: " + request.getClass().getSimpleName()));
    } catch (IOException | RuntimeException e) {
      return done(internal(e));
    }
  }

  public StorageMessage.Capacity capacity() throws IOException {
    return new StorageMessage.Capacity(config.capacityBytes(), deals.committedBytes());
  }

  private CompletableFuture<StorageMessage> propose(PeerId from, StorageMessage.Propose p) throws IOException {
    Deal deal = p.deal();
    if (!deal.owner().equals(from)) {
      return done(new Rejected(Code.BAD_DEAL, "deal " + deal.id() + " belongs to " + deal.owner() + ", not to the proposer " + from));
    }
    if (!deal.verify(p.ownerSignature())) {
      return done(new Rejected(Code.BAD_DEAL, "the owner's signature on deal " + deal.id() + " does not verify"));
    }
    if (deal.isExpired(clock.millis())) {
      return done(new Rejected(Code.BAD_DEAL, "deal " + deal.id() + " has already ended"));
    }
    Optional<DealStore.HeldDeal> existing = deals.held(deal.id());
    if (existing.isPresent()) { // a retried proposal: answer it, don't fetch twice
      return done(existing.get().state() == DealStore.HeldState.HOLDING
          ? check(deal.id())
          : new Rejected(Code.BUSY, "deal " + deal.id() + " is being fetched"));
    }
    if (!fetchSlots.tryAcquire()) {
      return done(new Rejected(Code.BUSY, "already fetching " + config.maxConcurrentFetches() + " deals"));
    }
    boolean reserved = false;
    try {
      reserved = deals.reserve(deal, p.ownerSignature(), config.capacityBytes());
      if (!reserved) {
        fetchSlots.release();
        StorageMessage.Capacity c = capacity();
        return done(new Rejected(Code.NO_ROOM, "deal needs " + deal.size() + " bytes, " + c.freeBytes() + " of " + c.capacityBytes() + " are free"));
      }
    } catch (IOException | RuntimeException e) {
      fetchSlots.release();
      throw e;
    }
    Duration timeout = config.fetchTimeout(deal.size());
    gcGate.readLock().lock();
    CompletableFuture<Void> fetched;
    try {
      fetched = fetcher.fetch(deal.root(), p.sources(), timeout);
    } catch (RuntimeException e) {
      fetched = CompletableFuture.failedFuture(e);
    }
    return fetched
        .orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .handleAsync((ok, e) -> finishFetch(deal, e), worker)
        .whenComplete((m, e) -> {
          gcGate.readLock().unlock();
          fetchSlots.release();
        });
  }

  /** Verifies what arrived, pins it, signs. Runs on the worker. */
  private StorageMessage finishFetch(Deal deal, Throwable fetchError) {
    try {
      if (fetchError != null) {
        deals.removeHeld(deal.id());
        Throwable cause = fetchError instanceof CompletionException && fetchError.getCause() != null ? fetchError.getCause() : fetchError;
        String why = cause instanceof TimeoutException ? "not complete within " + config.fetchTimeout(deal.size()).toSeconds() + " s" : String.valueOf(cause.getMessage());
        LOG.log(System.Logger.Level.INFO, "deal {0}: fetching {1} failed: {2}", deal.id(), deal.root(), why);
        collectGarbageLater(); // the partial DAG may be what filled the disk
        return new Rejected(Code.FETCH_FAILED, "cannot fetch " + deal.root() + ": " + why);
      }
      long actual = DagSize.of(store.blocks(), deal.root(), true);
      if (actual > deal.size()) {
        deals.removeHeld(deal.id());
        return new Rejected(Code.BAD_DEAL, "the DAG of " + deal.root() + " is " + actual + " bytes, the deal says " + deal.size());
      }
      store.pinRecursive(deal.root());
      deals.markHolding(deal.id());
      announcer.provide(deal.root());
      LOG.log(System.Logger.Level.INFO, "deal {0}: holding {1} ({2} bytes)", deal.id(), deal.root(), actual);
      return new StorageMessage.Holding(HoldingAck.sign(key, deal.id(), deal.root(), clock.millis()));
    } catch (IOException | RuntimeException e) {
      try {
        deals.removeHeld(deal.id());
      } catch (IOException ignored) {
        // the reservation stays until the next expiry sweep; the reply still says what failed
      }
      return internal(e);
    }
  }


  private StorageMessage check(String dealId) {
    try {
      Optional<DealStore.HeldDeal> held = deals.held(dealId);
      if (held.isEmpty() || held.get().state() != DealStore.HeldState.HOLDING) {
        return new Rejected(Code.NOT_HOLDING, "deal " + dealId + " is not held here");
      }
      Cid root = held.get().deal().root();
      if (!store.isPinned(root) || !store.blocks().has(root)) {
        return new Rejected(Code.NOT_HOLDING, "deal " + dealId + ": " + root + " is no longer pinned here");
      }
      return new StorageMessage.Holding(HoldingAck.sign(key, dealId, root, clock.millis()));
    } catch (IOException | RuntimeException e) {
      return internal(e);
    }
  }

  private StorageMessage release(StorageMessage.Release r) {
    try {
      Optional<DealStore.HeldDeal> held = deals.held(r.dealId());
      if (held.isEmpty()) {
        return new StorageMessage.Released(r.dealId());
      }
      if (!r.verify(held.get().deal().owner())) {
        return new Rejected(Code.BAD_DEAL, "only the owner of deal " + r.dealId() + " can release it");
      }
      if (held.get().state() != DealStore.HeldState.HOLDING) {
        return new Rejected(Code.BUSY, "deal " + r.dealId() + " is being fetched");
      }
      drop(held.get().deal());
      return new StorageMessage.Released(r.dealId());
    } catch (IOException | RuntimeException e) {
      return internal(e);
    }
  }

  /** Lets go of every held deal whose time is over, then collects garbage. */
  public void sweepExpired() throws IOException {
    boolean dropped = false;
    for (DealStore.HeldDeal h : deals.heldDeals()) {
      if (h.state() == DealStore.HeldState.HOLDING && h.deal().isExpired(clock.millis())) {
        drop(h.deal());
        dropped = true;
      }
    }
    if (dropped) {
      collectGarbage();
    }
  }

  private void drop(Deal deal) throws IOException {
    deals.removeHeld(deal.id());
    if (!deals.rootHeldByOther(deal.root().toString(), deal.id())) {
      store.unpin(deal.root());
      announcer.stopProviding(deal.root());
    }
    LOG.log(System.Logger.Level.INFO, "deal {0}: released {1}", deal.id(), deal.root());
  }

  /** Deletes unpinned blocks, waiting for fetches in progress (their blocks are not pinned yet). */
  public long collectGarbage() throws IOException {
    gcGate.writeLock().lock();
    try {
      return store.collectGarbage();
    } finally {
      gcGate.writeLock().unlock();
    }
  }

  private void collectGarbageLater() {
    worker.execute(() -> {
      try {
        collectGarbage();
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "garbage collection after a failed deal failed", e);
      }
    });
  }

  private static Rejected internal(Exception e) {
    return new Rejected(Code.INTERNAL, e.getClass().getSimpleName() + ": " + e.getMessage());
  }

  private static CompletableFuture<StorageMessage> done(StorageMessage m) {
    return CompletableFuture.completedFuture(m);
  }
}
