package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Multihash;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.ConnectionListener;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.PeerStore;
import io.canopy.p2p.stream.VarintFrameDecoder;
import io.canopy.p2p.stream.VarintFrameEncoder;
import io.netty.channel.Channel;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The libp2p Kademlia DHT, {@code /ipfs/kad/1.0.0} (libp2p specs kad-dht/README.md), bound to a
 * {@link Host}: peer routing, provider records and values. In server mode it serves the protocol
 * (so identify advertises it); in client mode it only asks. Peers whose identify lists the
 * protocol, and peers that answer our requests, join the routing table.
 *
 * <p>The logic lives in Netty-free classes: {@link RoutingTable}, {@link Lookup}, {@link
 * KadRequestHandler}, {@link ProviderStore}, {@link RecordStore}; this class wires them to the
 * host and runs the timers (bucket refresh, reprovide, expiry sweep) on one scheduler thread.
 */
public final class KadDht implements AutoCloseable {
  public static final String PROTOCOL_ID = "/ipfs/kad/1.0.0";
  private static final System.Logger LOG = System.getLogger(KadDht.class.getName());

  private final Host host;
  private final KadConfig config;
  private final PeerId self;
  private final RoutingTable table;
  private final RecordValidation validation;
  private final ProviderStore providers;
  private final RecordStore records;
  private final KadRequestHandler handler;
  private final PeerDirectory directory;
  private final ScheduledExecutorService timers;
  private final Random random = new SecureRandom();
  private final Set<Multihash> providing = ConcurrentHashMap.newKeySet();
  private final Set<PeerId> pingingOldest = ConcurrentHashMap.newKeySet();
  private final AtomicReference<LookupStats> lastLookup = new AtomicReference<>(LookupStats.none("none"));
  /** Bootstraps waiting for a peer's identify (which the host runs on every new connection). */
  private final Map<PeerId, CompletableFuture<Identified>> identifyWaiters = new ConcurrentHashMap<>();
  private final AtomicLong refusals = new AtomicLong();
  private final AtomicReference<String> lastRefusal = new AtomicReference<>();
  private volatile boolean started;
  private volatile boolean closed;

  public KadDht(Host host, KadConfig config) {
    this.host = host;
    this.config = config;
    this.self = host.peerId();
    this.table = new RoutingTable(self, config.k());
    this.validation = new RecordValidation(config.validators(), config.maxRecordValueSize());
    this.providers = new ProviderStore(config.maxProviderRecords(), config.maxProvidersPerKey(), config.providerTtl(), config.clock());
    this.records = new RecordStore(validation, config.maxRecords(), config.recordTtl(), config.clock());
    this.directory = new HostDirectory(host);
    this.handler = new KadRequestHandler(table, providers, records, directory);
    this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "kad-dht-" + self.toString().substring(Math.max(0, self.toString().length() - 6)));
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts serving (server mode), following connections into the routing table, and the timers.
   * Idempotent. Call it before connecting to peers, so that identify advertises the protocol.
   */
  public synchronized KadDht start() {
    if (started || closed) {
      return this;
    }
    started = true;
    if (config.mode() == KadConfig.Mode.SERVER) {
      host.registerProtocol(PROTOCOL_ID, this::initInboundStream);
    }
    host.addConnectionListener(new ConnectionListener() {
      @Override
      public void identified(Connection connection, PeerStore.PeerInfo info) {
        if (closed) {
          return;
        }
        CompletableFuture<Identified> waiter = identifyWaiters.remove(connection.remotePeer());
        if (waiter != null) {
          waiter.complete(new Identified(connection.remotePeer(), info.protocols()));
        }
        if (info.protocols().contains(PROTOCOL_ID)) {
          admit(connection.remotePeer());
        } else {
          table.remove(connection.remotePeer()); // it no longer serves the DHT (switched to client mode)
        }
      }
    });
    for (Connection c : host.connections()) {
      host.peerStore().get(c.remotePeer())
          .filter(info -> info.protocols().contains(PROTOCOL_ID))
          .ifPresent(info -> admit(c.remotePeer()));
    }
    every(config.refreshInterval().toMillis(), this::refresh);
    every(config.reprovideInterval().toMillis(), this::reprovide);
    long sweep = Math.max(1000, Math.min(config.providerTtl().toMillis(), 60_000));
    timers.scheduleWithFixedDelay(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
    return this;
  }

  // --- public operations ----------------------------------------------------------------------

  /**
   * Connects to {@code peers} and adds those that serve the DHT to the routing table, then looks
   * up our own ID and refreshes the buckets (kad-dht §Bootstrap process). Fails only if no peer
   * could be reached.
   */
  public CompletableFuture<Void> bootstrap(List<Multiaddr> peers) {
    start(); // the connection listener must be in place to see the peers' identify
    List<CompletableFuture<Boolean>> dials = new ArrayList<>();
    for (Multiaddr addr : peers) {
      dials.add(host.connect(addr)
          .thenCompose(c -> identified(c.remotePeer()))
          .thenApply(info -> {
            if (info.protocols().contains(PROTOCOL_ID)) {
              admit(info.peer());
            }
            return true;
          })
          .exceptionally(e -> {
            LOG.log(Level.DEBUG, "bootstrap peer {0} unreachable: {1}", addr, e.getMessage());
            return false;
          }));
    }
    return CompletableFuture.allOf(dials.toArray(CompletableFuture[]::new)).thenCompose(v -> {
      if (!peers.isEmpty() && dials.stream().noneMatch(CompletableFuture::join)) {
        return CompletableFuture.failedFuture(new java.io.IOException("no bootstrap peer could be reached of " + peers));
      }
      return refresh();
    });
  }

  /** The k peers closest to {@code key} that answered (kad-dht §Peer routing). */
  public CompletableFuture<List<PeerId>> findClosestPeers(byte[] key) {
    return lookup("FIND_NODE", KadMessage.Type.FIND_NODE, key, (from, answer) -> false).thenApply(Lookup.Result::closest);
  }

  /**
   * The addresses of {@code peer}: those we hold if we are connected, else whatever a FIND_NODE
   * lookup of its ID turns up. Empty if nobody knows it.
   */
  public CompletableFuture<Optional<List<Multiaddr>>> findPeer(PeerId peer) {
    if (directory.isConnected(peer) && !directory.addrs(peer).isEmpty()) {
      return CompletableFuture.completedFuture(Optional.of(directory.addrs(peer)));
    }
    AtomicReference<List<Multiaddr>> found = new AtomicReference<>();
    return lookup("FIND_PEER", KadMessage.Type.FIND_NODE, peer.toBytes(), (from, answer) -> {
      if (from.equals(peer)) {
        found.compareAndSet(null, directory.addrs(peer));
      }
      for (KadPeer p : answer.closerPeers()) {
        if (p.id().equals(peer) && !p.addrs().isEmpty()) {
          found.compareAndSet(null, p.addrs());
        }
      }
      return found.get() != null;
    }).thenApply(r -> Optional.ofNullable(found.get()).filter(a -> !a.isEmpty()));
  }

  /**
   * Announces that this node provides {@code key}: ADD_PROVIDER to the k closest peers, and again
   * every reprovide interval until {@link #stopProviding}.
   */
  public CompletableFuture<Void> provide(Multihash key) {
    providing.add(key);
    providers.add(key, self);
    return announce(key);
  }

  /** Stops re-announcing {@code key}; the records already placed expire by themselves. */
  public void stopProviding(Multihash key) {
    providing.remove(key);
  }

  /**
   * Up to {@code max} providers of {@code key}: those we hold, then those a GET_PROVIDERS lookup
   * finds. Their addresses go into the host's peer store.
   */
  public CompletableFuture<List<PeerId>> findProviders(Multihash key, int max) {
    Set<PeerId> found = Collections.synchronizedSet(new java.util.LinkedHashSet<>());
    for (PeerId p : providers.get(key)) {
      if (found.size() < max) {
        found.add(p);
      }
    }
    if (found.size() >= max) {
      lastLookup.set(LookupStats.none("GET_PROVIDERS")); // answered from our own store
      return CompletableFuture.completedFuture(List.copyOf(found));
    }
    return lookup("GET_PROVIDERS", KadMessage.Type.GET_PROVIDERS, key.toBytes(), (from, answer) -> {
      for (KadPeer p : answer.providerPeers()) {
        directory.addAddrs(p.id(), p.addrs());
        synchronized (found) {
          if (found.size() < max) {
            found.add(p.id());
          }
        }
      }
      return found.size() >= max;
    }).thenApply(r -> {
      synchronized (found) {
        return List.copyOf(found);
      }
    });
  }

  /**
   * Validates and stores the record here, then PUT_VALUE to the k closest peers. Fails if the
   * record is invalid or not newer than ours, or if every peer refused it (the reasons are in
   * the exception).
   */
  public CompletableFuture<Void> putValue(byte[] key, byte[] value) {
    try {
      records.put(key, value);
    } catch (InvalidRecordException e) {
      return CompletableFuture.failedFuture(e);
    }
    KadRecord record = new KadRecord(key.clone(), value.clone());
    return lookup("PUT_VALUE", KadMessage.Type.FIND_NODE, key, (from, answer) -> false).thenCompose(r -> {
      List<CompletableFuture<String>> puts = new ArrayList<>();
      for (PeerId peer : r.closest()) {
        puts.add(sendPut(peer, record).handle((ok, e) -> e == null ? null : peer + ": " + Lookup.reasonOf(e)));
      }
      return CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).thenCompose(v -> {
        List<String> refused = puts.stream().map(CompletableFuture::join).filter(s -> s != null).toList();
        if (!puts.isEmpty() && refused.size() == puts.size()) {
          return CompletableFuture.failedFuture(new InvalidRecordException("every peer refused the record: " + refused));
        }
        return CompletableFuture.completedFuture(null);
      });
    });
  }

  /**
   * The best valid record for {@code key} (kad-dht §Value retrieval): ours and those the peers
   * on the way to the key hold, selected by the namespace's validator; peers that returned an
   * older one are sent the best (entry correction). Fails with {@link
   * java.util.NoSuchElementException} if there is none.
   */
  public CompletableFuture<byte[]> getValue(byte[] key) {
    Map<PeerId, byte[]> found = new ConcurrentHashMap<>();
    List<byte[]> local = new ArrayList<>();
    records.get(key).ifPresent(r -> local.add(r.value()));
    return lookup("GET_VALUE", KadMessage.Type.GET_VALUE, key, (from, answer) -> {
      KadRecord r = answer.record();
      if (r != null) {
        if (!java.util.Arrays.equals(r.key(), key)) {
          throw new KadProtocolException("GET_VALUE answered with a record of another key");
        }
        try {
          validation.validate(key, r.value());
        } catch (InvalidRecordException e) {
          throw new KadProtocolException("invalid record: " + e.getMessage(), e);
        }
        found.put(from, r.value());
      }
      return false;
    }).thenApply(result -> {
      List<byte[]> values = new ArrayList<>(local);
      values.addAll(found.values());
      if (values.isEmpty()) {
        throw new java.util.NoSuchElementException("no record for " + RecordKeys.describe(key));
      }
      byte[] best = values.get(validation.select(key, values));
      KadRecord correction = new KadRecord(key.clone(), best);
      found.forEach((peer, value) -> {
        if (!java.util.Arrays.equals(value, best)) {
          sendPut(peer, correction).exceptionally(e -> null);
        }
      });
      return best.clone();
    });
  }

  public RoutingTable routingTable() {
    return table;
  }

  /** What the most recent lookup of this node did (hops, queries, failures). */
  public LookupStats lastLookupStats() {
    return lastLookup.get();
  }

  /** Stops the timers and stops answering; the host stays open (it is not ours). */
  @Override
  public void close() {
    closed = true;
    timers.shutdownNow();
  }

  // --- package-private hooks: what the timers run, and what tests observe ---------------------

  /** A self-lookup, then a lookup of a random ID in each non-empty bucket (kad-dht §Bootstrap process). */
  CompletableFuture<Void> refresh() {
    return findClosestPeers(self.toBytes()).thenCompose(closest -> {
      List<CompletableFuture<?>> lookups = new ArrayList<>();
      for (int bucket : table.nonEmptyBuckets()) {
        if (bucket <= RoutingTable.MAX_REFRESH_BUCKET) {
          lookups.add(findClosestPeers(table.randomPeerInBucket(bucket, random).toBytes()));
        }
      }
      return CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new));
    });
  }

  /** Re-announces every key we provide. */
  CompletableFuture<Void> reprovide() {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (Multihash key : providing) {
      providers.add(key, self);
      all.add(announce(key).exceptionally(e -> {
        LOG.log(Level.DEBUG, "reprovide of {0} failed: {1}", key, e.getMessage());
        return null;
      }));
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  void sweep() {
    providers.sweep();
    records.sweep(config.clock().instant());
  }

  ProviderStore providerStore() {
    return providers;
  }

  RecordStore recordStore() {
    return records;
  }

  /** Inbound requests refused so far (malformed, oversized, over a limit), and the last reason. */
  long refusals() {
    return refusals.get();
  }

  String lastRefusal() {
    return lastRefusal.get();
  }

  /** Sends one request to one peer; see {@link KadOutboundRequest}. */
  CompletableFuture<KadMessage> send(PeerId peer, KadMessage request, boolean expectsAnswer) {
    CompletableFuture<KadMessage> result = new CompletableFuture<>();
    AtomicReference<Channel> stream = new AtomicReference<>();
    host.newStream(peer, List.of(PROTOCOL_ID), (s, protocol, connection) -> {
      stream.set(s);
      s.pipeline().addLast(new VarintFrameDecoder(config.maxMessageSize()), VarintFrameEncoder.INSTANCE,
          new KadOutboundRequest(request, expectsAnswer, result));
    }).whenComplete((s, e) -> {
      if (e != null) {
        result.completeExceptionally(e);
      }
    });
    result.orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
    return result.whenComplete((m, e) -> {
      Channel s = stream.get();
      if (e != null && s != null) {
        s.close(); // a timed-out request must not hold the stream
      }
    });
  }

  // --- internals ------------------------------------------------------------------------------

  private CompletableFuture<Lookup.Result> lookup(String operation, KadMessage.Type type, byte[] key, Lookup.Observer observer) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("the DHT is closed"));
    }
    KadKey target = KadKey.of(key);
    KadMessage request = KadMessage.request(type, key.clone());
    Lookup.Query query = peer -> send(peer, request, true).whenComplete((answer, e) -> {
      if (e == null) {
        admit(peer); // it answered the DHT protocol: a server, and alive
      } else {
        table.remove(peer);
      }
    });
    Lookup lookup = new Lookup(operation, target, self, table.closest(target, config.k()), config.k(), config.alpha(),
        query, observer, p -> directory.addAddrs(p.id(), p.addrs()), System::nanoTime);
    return lookup.run(config.queryTimeout()).whenComplete((r, e) -> {
      if (r != null) {
        lastLookup.set(r.stats());
        LOG.log(Level.DEBUG, "{0} lookup: {1}", operation, r.stats());
      }
    });
  }

  private CompletableFuture<Void> announce(Multihash key) {
    KadMessage add = new KadMessage(KadMessage.Type.ADD_PROVIDER, key.toBytes(), null, List.of(),
        List.of(new KadPeer(self, host.listenAddrs())), 0);
    return lookup("ADD_PROVIDER", KadMessage.Type.FIND_NODE, key.toBytes(), (from, answer) -> false).thenCompose(r -> {
      List<CompletableFuture<Boolean>> sends = new ArrayList<>();
      for (PeerId peer : r.closest()) {
        sends.add(send(peer, add, false).handle((ok, e) -> e == null));
      }
      return CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).thenCompose(v -> {
        if (!sends.isEmpty() && sends.stream().noneMatch(CompletableFuture::join)) {
          return CompletableFuture.failedFuture(new java.io.IOException("no peer took the provider record for " + key));
        }
        return CompletableFuture.completedFuture(null);
      });
    });
  }

  private CompletableFuture<KadMessage> sendPut(PeerId peer, KadRecord record) {
    KadMessage put = KadMessage.request(KadMessage.Type.PUT_VALUE, record.key()).withRecord(record);
    return send(peer, put, true);
  }

  /**
   * Offers {@code peer} to the routing table; when its bucket is full, pings the bucket's oldest
   * peer and replaces it only if it does not answer.
   */
  private void admit(PeerId peer) {
    RoutingTable.Admission a = table.offer(peer);
    if (a.outcome() != RoutingTable.Outcome.BUCKET_FULL || !pingingOldest.add(a.oldest())) {
      return;
    }
    PeerId oldest = a.oldest();
    host.connect(oldest)
        .thenCompose(c -> host.ping(c, 1))
        .orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((rtt, e) -> {
          pingingOldest.remove(oldest);
          if (e == null) {
            table.offer(oldest);
          } else {
            table.replace(oldest, peer);
          }
        });
  }

  private void initInboundStream(Channel stream, String protocol, Connection connection) {
    if (closed) {
      stream.close();
      return;
    }
    stream.pipeline().addLast(new VarintFrameDecoder(config.maxMessageSize()), VarintFrameEncoder.INSTANCE,
        new KadInboundStream(connection.remotePeer(), handler, config.maxRequestsPerStream(), config.inboundIdleTimeout(), this::refused));
  }

  private void refused(PeerId peer, String reason) {
    refusals.incrementAndGet();
    lastRefusal.set(reason);
    LOG.log(Level.DEBUG, "refused a request from {0}: {1}", peer, reason);
  }

  private record Identified(PeerId peer, List<String> protocols) {}

  /**
   * The peer's identify data, once the host has it. The host identifies every new connection by
   * itself; asking again would open a second identify stream, which js-libp2p resets.
   */
  private CompletableFuture<Identified> identified(PeerId peer) {
    CompletableFuture<Identified> waiter = identifyWaiters.computeIfAbsent(peer, p -> new CompletableFuture<>());
    host.peerStore().get(peer).filter(info -> !info.protocols().isEmpty()).ifPresent(info -> {
      identifyWaiters.remove(peer, waiter);
      waiter.complete(new Identified(peer, info.protocols()));
    });
    return waiter.orTimeout(config.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((i, e) -> identifyWaiters.remove(peer, waiter));
  }

  /**
   * Runs {@code task} every {@code millis}, counted from the end of the previous run: a run that
   * takes longer than the interval (a slow network) never overlaps the next.
   */
  private void every(long millis, java.util.function.Supplier<CompletableFuture<Void>> task) {
    if (closed) {
      return;
    }
    timers.schedule(() -> {
      CompletableFuture<Void> run;
      try {
        run = task.get();
      } catch (RuntimeException e) {
        run = CompletableFuture.failedFuture(e);
      }
      run.whenComplete((v, e) -> {
        if (e != null) {
          LOG.log(Level.DEBUG, "DHT maintenance failed: {0}", e.getMessage());
        }
        try {
          every(millis, task);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
          // closed meanwhile
        }
      });
    }, millis, TimeUnit.MILLISECONDS);
  }

  /** The host's peer store and connections as the {@link PeerDirectory} of the DHT logic. */
  private record HostDirectory(Host host) implements PeerDirectory {
    @Override
    public List<Multiaddr> addrs(PeerId peer) {
      if (peer.equals(host.peerId())) { // we answer GET_PROVIDERS with ourselves when we provide
        return host.listenAddrs();
      }
      return host.peerStore().get(peer).map(info -> List.copyOf(info.addrs())).orElse(List.of());
    }

    @Override
    public boolean isConnected(PeerId peer) {
      return host.connections(peer).stream().anyMatch(Connection::isOpen);
    }

    @Override
    public void addAddrs(PeerId peer, List<Multiaddr> addrs) {
      if (!addrs.isEmpty()) {
        host.peerStore().addAddrs(peer, addrs);
      }
    }
  }
}
