package io.canopy.storage;

import io.canopy.content.bitswap.Bitswap;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.kad.KadDht;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.storage.StorageCodec;
import io.canopy.protocol.storage.StorageMessage;
import io.canopy.protocol.storage.StorageMessageException;
import io.canopy.storage.poa.PoaProtocol;
import io.canopy.storage.poa.PoaProver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Wires deals into a node: the owner side (DealManager, with its repair loop) always, and the
 * storage node side (StorageProvider behind {@code /canopy/storage/1.0.0}, with its expiry
 * sweep and the DHT announcement of the storage service) when the node serves storage. The DAGs
 * move over Bitswap; providers and storage nodes are found through the DHT when there is one.
 */
public final class StorageRole implements AutoCloseable {
  /** How long the storage nodes found through the DHT are reused before asking it again. */
  private static final Duration DHT_CANDIDATES_TTL = Duration.ofSeconds(10);
  /** Storage nodes provide this key in the DHT so that owners can find them. */
  public static final Multihash SERVICE_KEY =
      Multihash.compute(Multicodec.SHA2_256, StorageMessage.PROTOCOL_ID.getBytes(StandardCharsets.UTF_8));
  private static final System.Logger LOG = System.getLogger(StorageRole.class.getName());
  private static final int MAX_CANDIDATES = 64;

  private final Host host;
  private final Bitswap bitswap;
  private final Optional<KadDht> dht;
  private final StorageConfig config;
  private final boolean serve;
  private final Clock clock;
  private final ExecutorService worker;
  private final ScheduledExecutorService scheduler;
  private final StorageProvider provider;
  private final DealManager deals;
  private final PoaProver poaProver;
  private volatile DhtCandidates dhtCandidates;

  public StorageRole(Host host, Ed25519PrivateKey key, ContentStore store, DealStore dealStore, Bitswap bitswap, KadDht dht,
                     StorageConfig config, boolean serve, Clock clock, GcGate gcGate) {
    this(host, key, store, dealStore, bitswap, dht, config, serve, clock, gcGate, PoaProver.DEFAULT_EPOCHS);
  }

  /** {@code epochs}: the network's epoch clock, against which storage challenges are checked (spec/proofs.md §5.6). */
  public StorageRole(Host host, Ed25519PrivateKey key, ContentStore store, DealStore dealStore, Bitswap bitswap, KadDht dht,
                     StorageConfig config, boolean serve, Clock clock, GcGate gcGate, EpochClock epochs) {
    this(host, key, store, dealStore, bitswap, dht, config, serve, clock, gcGate, epochs, p -> true);
  }

  /**
   * {@code epochs}: the network's epoch clock, against which storage challenges are checked;
   * {@code validators}: the configured validator set, the only peers that may challenge this node
   * or ask for its held deals ({@code p -> true} when the node does not know it; spec/proofs.md §5.6).
   */
  public StorageRole(Host host, Ed25519PrivateKey key, ContentStore store, DealStore dealStore, Bitswap bitswap, KadDht dht,
                     StorageConfig config, boolean serve, Clock clock, GcGate gcGate, EpochClock epochs,
                     Predicate<PeerId> validators) {
    this.host = host;
    this.bitswap = bitswap;
    this.dht = Optional.ofNullable(dht);
    this.config = config;
    this.serve = serve;
    this.clock = clock;
    this.worker = Executors.newFixedThreadPool(4, daemonThreads("canopy-storage"));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(daemonThreads("canopy-deals"));
    DagFetcher fetcher = this::fetch;
    this.provider = serve ? new StorageProvider(key, store, dealStore, fetcher, announcer(), config, clock, worker, gcGate) : null;
    this.deals = new DealManager(host, key, this::candidates, store, fetcher, dealStore, config, clock);
    // Proofs read the node's own blockstore, never Bitswap: a replica that lost a block must fail.
    this.poaProver = serve ? new PoaProver(host.peerId(), store.blocks(), heldDeals(dealStore), epochs, clock,
        Objects.requireNonNull(validators, "validators")) : null;
  }

  /** The deals this node holds in full (state HOLDING), as the prover sees them. */
  private static PoaProver.HeldDeals heldDeals(DealStore dealStore) {
    return new PoaProver.HeldDeals() {
      @Override
      public Optional<Cid> heldRoot(String dealId) throws IOException {
        return dealStore.held(dealId).filter(h -> h.state() == DealStore.HeldState.HOLDING).map(h -> h.deal().root());
      }

      @Override
      public List<PoaProver.SignedDeal> heldDeals() throws IOException {
        List<PoaProver.SignedDeal> out = new ArrayList<>();
        for (DealStore.HeldDeal h : dealStore.heldDeals()) {
          if (h.state() == DealStore.HeldState.HOLDING) {
            out.add(new PoaProver.SignedDeal(h.deal(), h.ownerSignature()));
          }
        }
        return out;
      }
    };
  }

  public StorageRole start() {
    if (serve) {
      Duration longest = config.fetchTimeout(config.capacityBytes()).plus(config.requestTimeout());
      host.registerProtocol(StorageMessage.PROTOCOL_ID, UnaryRpc.serve(StorageMessage.MAX_SIZE, longest, this::serveRequest));
      host.registerProtocol(PoaMessage.PROTOCOL_ID, PoaProtocol.handler(poaProver, worker));
      dht.ifPresent(d -> d.provide(SERVICE_KEY).exceptionally(e -> {
        LOG.log(System.Logger.Level.INFO, "announcing the storage service failed (will retry with the DHT's reprovide): {0}", e.getMessage());
        return null;
      }));
      long sweep = config.expirySweepInterval().toMillis();
      scheduler.scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
    }
    long repair = config.repairInterval().toMillis();
    scheduler.scheduleWithFixedDelay(deals::repairOnce, repair, repair, TimeUnit.MILLISECONDS);
    return this;
  }

  /** The owner side: create deals, list them, see their replicas. */
  public DealManager deals() {
    return deals;
  }

  /** The node side, if this node serves storage. */
  public Optional<StorageProvider> provider() {
    return Optional.ofNullable(provider);
  }

  /** The proof-of-access side (its counts of proofs given and refused per epoch), if this node serves storage. */
  public Optional<PoaProver> prover() {
    return Optional.ofNullable(poaProver);
  }

  private CompletableFuture<byte[]> serveRequest(Connection connection, byte[] request) {
    StorageMessage message;
    try {
      message = StorageCodec.decode(request);
    } catch (StorageMessageException e) {
      return CompletableFuture.completedFuture(StorageCodec.encode(
          new StorageMessage.Rejected(StorageMessage.Code.BAD_DEAL, "cannot decode the request: " + e.getMessage())));
    }
    return provider.handle(connection.remotePeer(), message).thenApply(StorageCodec::encode);
  }

  private void sweep() {
    try {
      provider.sweepExpired();
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "expiry sweep failed", e);
    }
  }

  /** Dials the sources (failures are fine: other peers may have the blocks), then fetches the DAG over Bitswap. */
  private CompletableFuture<Void> fetch(Cid root, List<Multiaddr> sources, Duration timeout) {
    CompletableFuture<?>[] dials = sources.stream()
        .filter(a -> a.peerId().map(p -> !p.equals(host.peerId())).orElse(true))
        .map(a -> host.connect(a).exceptionally(e -> null))
        .toArray(CompletableFuture[]::new);
    CompletableFuture<Void> done = new CompletableFuture<>();
    CompletableFuture.allOf(dials).whenComplete((v, e) -> {
      CompletableFuture<?> dag = bitswap.fetchDag(root);
      // Giving up (the deadline) ends the Bitswap session too, so its wants are cancelled.
      done.whenComplete((r, x) -> dag.completeExceptionally(new java.util.concurrent.CancellationException("deal fetch given up")));
      dag.whenComplete((r, x) -> {
        if (x != null) {
          done.completeExceptionally(x);
        } else {
          done.complete(null);
        }
      });
    });
    return done.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private CompletableFuture<Set<PeerId>> candidates() {
    Set<PeerId> found = new HashSet<>();
    for (Connection c : host.connections()) {
      host.peerStore().get(c.remotePeer())
          .filter(info -> info.protocols().contains(StorageMessage.PROTOCOL_ID))
          .ifPresent(info -> found.add(c.remotePeer()));
    }
    if (dht.isEmpty()) {
      return CompletableFuture.completedFuture(found);
    }
    // Who provides the storage service changes slowly; a gateway placing many objects a second
    // should not walk the DHT for each.
    DhtCandidates cached = dhtCandidates;
    if (cached != null && clock.millis() - cached.atMillis() < DHT_CANDIDATES_TTL.toMillis()) {
      found.addAll(cached.peers());
      return CompletableFuture.completedFuture(found);
    }
    return dht.get().findProviders(SERVICE_KEY, MAX_CANDIDATES)
        .handle((providers, e) -> {
          if (providers != null) {
            if (!providers.isEmpty()) { // none found is not worth remembering: nodes may be joining
              dhtCandidates = new DhtCandidates(Set.copyOf(providers), clock.millis());
            }
            found.addAll(providers);
          }
          return found;
        });
  }

  private record DhtCandidates(Set<PeerId> peers, long atMillis) {}

  private ContentAnnouncer announcer() {
    if (dht.isEmpty()) {
      return ContentAnnouncer.NONE;
    }
    KadDht d = dht.get();
    return new ContentAnnouncer() {
      @Override
      public void provide(Cid root) {
        d.provide(root.multihash()).exceptionally(e -> {
          LOG.log(System.Logger.Level.INFO, "providing {0} failed (re-provided later): {1}", root, e.getMessage());
          return null;
        });
      }

      @Override
      public void stopProviding(Cid root) {
        d.stopProviding(root.multihash());
      }
    };
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    worker.shutdownNow();
  }
}
