package io.canopy.content.bitswap;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.bitswap.BitswapMessage.BlockPresence;
import io.canopy.content.bitswap.BitswapMessage.Entry;
import io.canopy.content.bitswap.BitswapMessage.Payload;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multihash;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.ConnectionListener;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.PeerStore;
import io.canopy.p2p.stream.VarintFrameDecoder;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bitswap (github.com/ipfs/specs, src/bitswap-protocol.md) over a {@link Host}: serves the blocks
 * of a {@link Blockstore} to peers that want them and fetches blocks from peers, verified against
 * their CIDs and stored.
 *
 * <p>Wiring only; the parts are {@link BitswapEngine} (serving, ledgers), {@link PeerOutbox} (one
 * outbound stream per peer), {@link BitswapStreamReader} (inbound messages), {@link WantRegistry}
 * and {@link BitswapSession} (fetching). Threads: Netty event loops only decode and write; a
 * worker pool reads, hashes and stores blocks (a FileBlockstore put fsyncs); one client-loop
 * thread owns the fetch state and its timers.
 */
public final class Bitswap implements AutoCloseable {
  public static final String PROTOCOL_1_2_0 = "/ipfs/bitswap/1.2.0";
  public static final String PROTOCOL_1_1_0 = "/ipfs/bitswap/1.1.0";
  public static final String PROTOCOL_1_0_0 = "/ipfs/bitswap/1.0.0";
  private static final List<String> PROTOCOLS = PeerOutbox.PROTOCOLS;
  private static final System.Logger LOG = System.getLogger(Bitswap.class.getName());

  private final Host host;
  private final Blockstore store;
  private final BitswapConfig config;
  private final BitswapStats.Counters counters = new BitswapStats.Counters();
  private final BitswapEngine engine;
  private final ExecutorService pool;
  private final ScheduledExecutorService clientLoop;
  private final WantRegistry registry = new WantRegistry();
  private final Map<PeerId, PeerOutbox> outboxes = new ConcurrentHashMap<>();
  private final Map<PeerId, InboundGate> gates = new ConcurrentHashMap<>();
  private final Map<PeerId, SerialExecutor> wantlistUpdates = new ConcurrentHashMap<>();
  private final Map<PeerId, Long> unreachableUntil = new ConcurrentHashMap<>();
  /** Sessions with wants, ticked by the timer. Client loop only. */
  private final Set<BitswapSession> activeSessions = new LinkedHashSet<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile ProviderFinder providerFinder;
  private final BitswapStreamReader.Sink sink = new Sink();
  private final PeerOutbox.Events outboxEvents = new OutboxEvents();

  public Bitswap(Host host, Blockstore store, BitswapConfig config) {
    this.host = host;
    this.store = store;
    this.config = config;
    this.engine = new BitswapEngine(store, config, counters, System::nanoTime);
    this.pool = Executors.newFixedThreadPool(config.workerThreads(), daemon("bitswap-worker"));
    this.clientLoop = Executors.newSingleThreadScheduledExecutor(daemon("bitswap-client"));
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Serves the three protocol versions and follows connections; idempotent. */
  public Bitswap start() {
    if (!started.compareAndSet(false, true)) {
      return this;
    }
    for (String protocol : PROTOCOLS) {
      host.registerProtocol(protocol, this::initInboundStream);
    }
    host.addConnectionListener(new Listener());
    long tick = Math.max(10, Math.min(1000, Math.min(config.blockTimeout().toMillis(), config.rebroadcastInterval().toMillis()) / 4));
    clientLoop.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.MILLISECONDS);
    return this;
  }

  /** The block: from the local store, else from the network (verified against {@code cid}, then stored). */
  public CompletableFuture<Block> get(Cid cid) {
    return newSession().get(cid);
  }

  public BitswapSession newSession() {
    start();
    return new BitswapSession(this);
  }

  /** Fetches every block of the DAG under {@code root} into the store, many blocks in flight at once. */
  public CompletableFuture<FetchResult> fetchDag(Cid root) {
    return new DagFetch(newSession(), root, config.wantsInFlightPerSession(), config.fetchTimeout(), pool).run();
  }

  public void setProviderFinder(ProviderFinder finder) {
    this.providerFinder = finder;
  }

  public BitswapStats stats() {
    return counters.snapshot();
  }

  public Map<PeerId, Ledger> ledgers() {
    return engine.ledgers();
  }

  /** Stops serving and fetching; pending gets fail with a cancellation. The host stays open. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    outboxes.values().forEach(PeerOutbox::close);
    outboxes.clear();
    run(clientLoop, () -> {
      for (WantRegistry.Pending p : registry.all()) {
        p.result.completeExceptionally(new CancellationException("bitswap closed"));
      }
      registry.clear();
      activeSessions.clear();
    });
    clientLoop.shutdown();
    pool.shutdown();
    try {
      clientLoop.awaitTermination(2, TimeUnit.SECONDS);
      pool.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    clientLoop.shutdownNow();
    pool.shutdownNow();
  }

  // ---- streams ------------------------------------------------------------------------------

  private void initInboundStream(Channel stream, String protocol, Connection connection) {
    PeerId peer = connection.remotePeer();
    if (closed.get() || engine.isBlocked(peer)) {
      stream.close();
      return;
    }
    initReader(stream, protocol, peer, true);
  }

  private void initReader(Channel stream, String protocol, PeerId peer, boolean inbound) {
    InboundGate gate = gates.computeIfAbsent(peer, p -> new InboundGate(config.maxInboundBytesPerPeer()));
    stream.pipeline().addLast(new VarintFrameDecoder(config.maxMessageSize()), new BitswapStreamReader(peer, protocol, gate, sink, inbound));
  }

  private PeerOutbox outbox(PeerId peer) {
    return outboxes.computeIfAbsent(peer, p -> new PeerOutbox(p, host, outboxEvents));
  }

  private final class OutboxEvents implements PeerOutbox.Events {
    @Override
    public void initStream(Channel stream, String protocol, Connection connection) {
      initReader(stream, protocol, connection.remotePeer(), false);
    }

    @Override
    public void streamFailed(PeerId peer, Throwable cause) {
      LOG.log(Level.DEBUG, "no bitswap stream to {0}: {1}", peer, cause.getMessage());
      unreachableUntil.put(peer, System.nanoTime() + config.rebroadcastInterval().toNanos());
      run(clientLoop, () -> new ArrayList<>(activeSessions).forEach(s -> s.peerGone(peer)));
    }

    @Override
    public void messagesSent(int messages) {
      counters.messagesSent.add(messages);
    }
  }

  // ---- inbound messages ---------------------------------------------------------------------

  private final class Sink implements BitswapStreamReader.Sink {
    @Override
    public void messageReceived(PeerId peer, String protocol, BitswapMessage m, Runnable done) {
      counters.messagesReceived.increment();
      boolean hasWants = !m.wantlist().isEmpty() || m.full();
      int parts = (hasWants ? 1 : 0) + (m.presences().isEmpty() ? 0 : 1) + m.blocks().size();
      if (closed.get() || engine.isBlocked(peer) || parts == 0) {
        done.run();
        return;
      }
      AtomicInteger left = new AtomicInteger(parts);
      Runnable partDone = () -> {
        if (left.decrementAndGet() == 0) {
          done.run();
        }
      };
      if (hasWants) {
        boolean supportsHave = PROTOCOL_1_2_0.equals(protocol);
        run(wantlistUpdates.computeIfAbsent(peer, p -> new SerialExecutor(pool)), () -> {
          try {
            if (engine.wantlistReceived(peer, m.wantlist(), m.full(), supportsHave)) {
              pump(peer);
            }
          } finally {
            partDone.run();
          }
        });
      }
      if (!m.presences().isEmpty()) {
        run(clientLoop, () -> {
          try {
            for (BlockPresence bp : m.presences()) {
              presence(peer, bp);
            }
          } finally {
            partDone.run();
          }
        });
      }
      for (Payload p : m.blocks()) {
        run(pool, () -> receiveBlock(peer, p, partDone));
      }
    }

    @Override
    public void violation(PeerId peer, String why) {
      strike(peer, why);
    }
  }

  private void presence(PeerId peer, BlockPresence bp) {
    WantRegistry.Pending w = registry.get(bp.cid().multihash());
    if (w != null) {
      for (BitswapSession s : new ArrayList<>(w.sessions)) {
        s.presence(peer, bp.cid().multihash(), bp.type());
      }
    }
  }

  /** On the pool: hashing the data under its prefix is what verifies it. */
  private void receiveBlock(PeerId peer, Payload p, Runnable partDone) {
    Cid cid;
    try {
      if (p.data().length > Block.MAX_SIZE) {
        throw new IllegalArgumentException("block of " + p.data().length + " bytes exceeds " + Block.MAX_SIZE);
      }
      cid = p.cid();
    } catch (IllegalArgumentException e) {
      counters.rejectedBlocks.increment();
      strike(peer, "bad block: " + e.getMessage());
      partDone.run();
      return;
    }
    run(clientLoop, () -> blockArrived(peer, cid, p.data(), partDone));
  }

  /** On the client loop: a wanted block is stored; a duplicate is counted; anything else is a strike. */
  private void blockArrived(PeerId peer, Cid cid, byte[] data, Runnable partDone) {
    Multihash mh = cid.multihash();
    WantRegistry.Pending w = registry.get(mh);
    if (w == null || w.receiving) {
      if (w != null || registry.isRecent(mh)) {
        counters.duplicateBlocks.increment();
        counters.duplicateBytes.add(data.length);
      } else {
        counters.rejectedBlocks.increment();
        strike(peer, "block " + cid + " matches no want (wrong bytes, or never asked for)");
      }
      partDone.run();
      return;
    }
    w.receiving = true;
    Block block = new Block(w.cid, data);
    run(pool, () -> {
      Throwable failure = null;
      try {
        store.put(block);
      } catch (IOException | RuntimeException e) {
        failure = e;
      }
      Throwable f = failure;
      run(clientLoop, () -> stored(w, peer, block, f));
      partDone.run();
    });
  }

  private void stored(WantRegistry.Pending w, PeerId peer, Block block, Throwable failure) {
    registry.completed(w);
    counters.wantsInFlight(registry.size());
    for (BitswapSession s : w.sessions) {
      s.blockReceived(peer, block.cid().multihash());
    }
    if (failure != null) {
      run(pool, () -> w.result.completeExceptionally(failure));
      return;
    }
    counters.blocksReceived.increment();
    counters.bytesReceived.add(block.data().length);
    engine.blockReceived(peer, block.data().length);
    // bitswap-protocol.md: "send a Cancel ... to all peers from which it has not received" the block.
    for (PeerId asked : w.askedPeers) {
      if (!asked.equals(peer)) {
        outbox(asked).sendWants(List.of(Entry.cancel(w.cid)));
      }
    }
    // Completed on the pool: callers' continuations must not run on (and stall) the client loop.
    run(pool, () -> {
      w.result.complete(block);
      for (PeerId waiting : engine.blockAdded(block.cid())) {
        pump(waiting);
      }
    });
  }

  private void strike(PeerId peer, String why) {
    LOG.log(Level.DEBUG, "strike against {0}: {1}", peer, why);
    if (engine.strike(peer)) {
      LOG.log(Level.INFO, "peer {0} used up its {1} strikes; disconnecting and ignoring it for {2}",
          peer, config.maxStrikes(), config.blockDuration());
      host.connections(peer).forEach(Connection::close);
    }
  }

  // ---- serving ------------------------------------------------------------------------------

  /** Builds and sends {@code peer}'s next responses while its queue budget lasts; one thread at a time per peer. */
  private void pump(PeerId peer) {
    if (closed.get()) {
      return;
    }
    BitswapEngine.PeerLedger ledger = engine.ledger(peer);
    if (!ledger.pumping.compareAndSet(false, true)) {
      return;
    }
    run(pool, () -> {
      try {
        BitswapEngine.Response r;
        while (!closed.get() && (r = engine.nextResponse(peer)) != null) {
          BitswapEngine.Response response = r;
          outbox(peer).sendResponse(response.message(), written -> {
            engine.responseDone(response, written);
            pump(peer);
          });
        }
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "serving " + peer + " failed", e);
      } finally {
        ledger.pumping.set(false);
      }
      if (engine.hasWork(peer)) { // work that arrived while this loop was finishing
        pump(peer);
      }
    });
  }

  // ---- for sessions (client loop) -----------------------------------------------------------

  /** For tests in this package: the serving side's state. */
  BitswapEngine engine() {
    return engine;
  }

  /** For tests in this package: the fetches in progress (client loop only). */
  WantRegistry wants() {
    return registry;
  }

  Host host() {
    return host;
  }

  PeerId self() {
    return host.peerId();
  }

  BitswapConfig config() {
    return config;
  }

  Executor pool() {
    return pool;
  }

  ScheduledExecutorService clientLoop() {
    return clientLoop;
  }

  ProviderFinder providerFinder() {
    return providerFinder;
  }

  boolean isBlocked(PeerId peer) {
    return engine.isBlocked(peer);
  }

  /** On the pool: the block's bytes if the local store has them, else null. */
  byte[] readLocal(Cid cid) {
    try {
      return store.has(cid) ? store.get(cid) : null;
    } catch (BlockNotFoundException e) {
      return null; // deleted between has and get
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  WantRegistry.Pending register(Cid cid, BitswapSession session) {
    WantRegistry.Pending p = registry.register(cid, session);
    counters.wantsInFlight(registry.size());
    return p;
  }

  void unregister(Multihash mh, BitswapSession session) {
    WantRegistry.Pending dropped = registry.unregister(mh, session);
    if (dropped != null) {
      counters.wantsInFlight(registry.size());
      for (PeerId p : dropped.askedPeers) {
        outbox(p).sendWants(List.of(Entry.cancel(dropped.cid)));
      }
      dropped.result.completeExceptionally(new CancellationException("nobody wants " + dropped.cid + " any more"));
    }
  }

  void sendWant(PeerId peer, WantRegistry.Pending pending, Entry entry) {
    pending.askedPeers.add(peer);
    outbox(peer).sendWants(List.of(entry));
  }

  void sessionActive(BitswapSession session) {
    activeSessions.add(session);
  }

  /** Peers with an open connection that may speak Bitswap, are not blocked and were reachable. */
  List<PeerId> connectedPeers() {
    Set<PeerId> out = new LinkedHashSet<>();
    long now = System.nanoTime();
    for (Connection c : host.connections()) {
      PeerId p = c.remotePeer();
      if (c.isOpen() && !out.contains(p) && mayAsk(p, now)) {
        out.add(p);
      }
    }
    return new ArrayList<>(out);
  }

  /** Not blocked, not recently unreachable, and not identified as lacking Bitswap. */
  private boolean mayAsk(PeerId p, long now) {
    if (engine.isBlocked(p)) {
      return false;
    }
    Long until = unreachableUntil.get(p);
    if (until != null && now - until < 0) {
      return false;
    }
    Optional<PeerStore.PeerInfo> info = host.peerStore().get(p);
    boolean identifiedWithout = info.isPresent() && !info.get().protocols().isEmpty()
        && info.get().protocols().stream().noneMatch(PROTOCOLS::contains);
    return !identifiedWithout;
  }

  /**
   * On the client loop: a peer just connected, or identified as speaking Bitswap. It is asked at
   * once whether it has what the sessions want (boxo's peer manager likewise sends its broadcast
   * wants to every new peer); otherwise a fetch started before the connection would wait for the
   * next rebroadcast. Sessions skip wants they already asked it about, so the second event of
   * the pair sends nothing new.
   */
  private void offerWants(PeerId peer) {
    if (closed.get() || activeSessions.isEmpty() || !mayAsk(peer, System.nanoTime())
        || host.connections(peer).stream().noneMatch(Connection::isOpen)) {
      return;
    }
    for (BitswapSession s : new ArrayList<>(activeSessions)) {
      s.peerAvailable(peer);
    }
  }

  private void tick() {
    long now = System.nanoTime();
    for (BitswapSession s : new ArrayList<>(activeSessions)) {
      try {
        if (!s.tick(now)) {
          activeSessions.remove(s);
        }
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "bitswap session timer failed", e);
      }
    }
    unreachableUntil.values().removeIf(until -> now - until >= 0);
  }

  /** Executes unless shut down (after close, work still in flight is dropped). */
  private void run(Executor executor, Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      if (!closed.get()) {
        throw e;
      }
    }
  }

  // ---- connections --------------------------------------------------------------------------

  private final class Listener implements ConnectionListener {
    @Override
    public void connected(Connection connection) {
      PeerId peer = connection.remotePeer();
      if (closed.get()) {
        return;
      }
      if (engine.isBlocked(peer)) {
        connection.close(); // still serving its time for misbehaving
        return;
      }
      unreachableUntil.remove(peer);
      engine.peerConnected(peer);
      run(clientLoop, () -> offerWants(peer));
    }

    @Override
    public void identified(Connection connection, PeerStore.PeerInfo info) {
      // Asked again here: at connect time an earlier identify may have said it lacked Bitswap.
      if (!closed.get() && info.protocols().stream().anyMatch(PROTOCOLS::contains)) {
        run(clientLoop, () -> offerWants(connection.remotePeer()));
      }
    }

    @Override
    public void disconnected(Connection connection) {
      PeerId peer = connection.remotePeer();
      if (closed.get() || host.connections(peer).stream().anyMatch(Connection::isOpen)) {
        return;
      }
      engine.peerDisconnected(peer);
      PeerOutbox outbox = outboxes.remove(peer);
      if (outbox != null) {
        outbox.close();
      }
      gates.remove(peer);
      wantlistUpdates.remove(peer);
      run(clientLoop, () -> new ArrayList<>(activeSessions).forEach(s -> s.peerGone(peer)));
    }
  }
}
