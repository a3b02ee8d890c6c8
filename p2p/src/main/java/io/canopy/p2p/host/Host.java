package io.canopy.p2p.host;

import io.canopy.identity.PeerId;
import io.canopy.multiaddr.InvalidMultiaddrException;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.identify.Identify;
import io.canopy.p2p.identify.IdentifyMessage;
import io.canopy.p2p.identify.IdentifyReceiver;
import io.canopy.p2p.identify.IdentifySender;
import io.canopy.p2p.multistream.MultistreamHandler;
import io.canopy.p2p.noise.NoiseSecureChannel;
import io.canopy.p2p.ping.Ping;
import io.canopy.p2p.ping.PingInitiator;
import io.canopy.p2p.ping.PingResponder;
import io.canopy.p2p.stream.VarintFrameDecoder;
import io.canopy.p2p.tcp.TcpTransport;
import io.canopy.p2p.yamux.YamuxHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A libp2p host: listens and dials over TCP, upgrades every connection with multistream-select,
 * Noise and Yamux, routes each inbound stream to the handler registered for the protocol it asks
 * for, and answers identify and ping. Limits from {@link HostConfig} bound connections (in total
 * and per peer), dials in progress and how long an unused connection stays open.
 */
public final class Host implements AutoCloseable {
  public static final String YAMUX_PROTOCOL_ID = "/yamux/1.0.0";
  private static final System.Logger LOG = System.getLogger(Host.class.getName());

  private final HostConfig config;
  private final PeerId peerId;
  private final NoiseSecureChannel noise;
  private final EventLoopGroup acceptors;
  private final EventLoopGroup io;
  private final TcpTransport tcp;
  private final Map<String, StreamHandler> handlers = new ConcurrentHashMap<>();
  private final Map<PeerId, List<Connection>> connections = new ConcurrentHashMap<>();
  private final PeerStore peerStore = new PeerStore();
  private final List<Channel> listeners = new CopyOnWriteArrayList<>();
  private final List<ConnectionListener> connectionListeners = new CopyOnWriteArrayList<>();
  private final List<Multiaddr> boundAddrs = new CopyOnWriteArrayList<>();
  private final AtomicInteger upgrading = new AtomicInteger();
  private final AtomicInteger pendingDials = new AtomicInteger();
  /** Inbound connections still upgrading, by remote IP address (entries leave at zero). */
  private final Map<InetAddress, Integer> upgradingByIp = new ConcurrentHashMap<>();
  /** Dials in progress by the peer they expect: a second connect to that peer joins the first. */
  private final Map<PeerId, CompletableFuture<Connection>> dialing = new ConcurrentHashMap<>();
  private volatile ScheduledFuture<?> idleSweep;
  private volatile boolean closed;

  public Host(HostConfig config) {
    this.config = config;
    this.peerId = config.identity().peerId();
    this.noise = new NoiseSecureChannel(config.identity(), new SecureRandom());
    this.acceptors = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    this.io = new MultiThreadIoEventLoopGroup(config.ioThreads(), NioIoHandler.newFactory());
    this.tcp = new TcpTransport(acceptors, io);
    registerProtocol(Ping.PROTOCOL_ID, (stream, protocol, connection) -> stream.pipeline().addLast(new PingResponder()));
    registerProtocol(Identify.PROTOCOL_ID, (stream, protocol, connection) ->
        stream.pipeline().addLast(new IdentifySender(() -> identifyMessageFor(connection))));
    registerProtocol(Identify.PUSH_PROTOCOL_ID, (stream, protocol, connection) -> {
      Promise<IdentifyMessage> pushed = stream.eventLoop().newPromise();
      pushed.addListener(f -> {
        if (f.isSuccess()) {
          remember(connection, pushed.getNow());
        }
      });
      stream.pipeline().addLast(new VarintFrameDecoder(IdentifyMessage.MAX_SIZE), new IdentifyReceiver(pushed));
    });
  }

  /** Binds the configured listen addresses; idempotent. Fails if none can be bound. */
  public synchronized Host start() throws InterruptedException {
    if (!listeners.isEmpty() || config.listenAddrs().isEmpty()) {
      return this;
    }
    for (Multiaddr addr : config.listenAddrs()) {
      Channel listener = tcp.listen(addr, connectionInitializer(false, null, null)).sync().channel();
      listeners.add(listener);
      boundAddrs.addAll(expand((InetSocketAddress) listener.localAddress()));
    }
    long sweepMillis = Math.max(1000, config.idleTimeout().toMillis() / 2);
    idleSweep = io.next().scheduleAtFixedRate(this::closeIdleConnections, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    LOG.log(Level.INFO, "host {0} listening on {1}", peerId, boundAddrs);
    return this;
  }

  public PeerId peerId() {
    return peerId;
  }

  /** The addresses others can dial, with the bound ports (wildcards expanded to this machine's addresses). */
  public List<Multiaddr> listenAddrs() {
    return List.copyOf(boundAddrs);
  }

  public PeerStore peerStore() {
    return peerStore;
  }

  public Set<String> protocols() {
    return Set.copyOf(handlers.keySet());
  }

  /** Serves {@code protocolId} on inbound streams. */
  public void registerProtocol(String protocolId, StreamHandler handler) {
    handlers.put(protocolId, handler);
  }

  /** Tells {@code listener} about every connection admitted, identified or closed from now on. */
  public void addConnectionListener(ConnectionListener listener) {
    connectionListeners.add(listener);
  }

  public List<Connection> connections() {
    List<Connection> all = new ArrayList<>();
    connections.values().forEach(all::addAll);
    return all;
  }

  public List<Connection> connections(PeerId peer) {
    return List.copyOf(connections.getOrDefault(peer, List.of()));
  }

  // --- dialing ------------------------------------------------------------------------------

  /**
   * A connection to the peer at {@code addr}: an open one when {@code addr} names a peer we are
   * connected to, else a new dial. With {@code /p2p/ID} the peer must prove it is ID.
   */
  public CompletableFuture<Connection> connect(Multiaddr addr) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("host is closed"));
    }
    Optional<PeerId> expected = addr.peerId();
    if (expected.isPresent()) {
      if (expected.get().equals(peerId)) {
        return CompletableFuture.failedFuture(new IllegalArgumentException("cannot dial ourselves (" + peerId + ")"));
      }
      for (Connection c : connections(expected.get())) {
        if (c.isOpen()) {
          return CompletableFuture.completedFuture(c);
        }
      }
      CompletableFuture<Connection> inProgress = dialing.get(expected.get());
      if (inProgress != null) {
        return inProgress;
      }
    }
    if (!TcpTransport.handles(addr)) {
      return CompletableFuture.failedFuture(new InvalidMultiaddrException("no transport for " + addr + " (only TCP is supported)"));
    }
    if (pendingDials.incrementAndGet() > config.maxPendingDials()) {
      pendingDials.decrementAndGet();
      return CompletableFuture.failedFuture(new IllegalStateException("too many dials in progress (" + config.maxPendingDials() + ")"));
    }
    CompletableFuture<Connection> result = new CompletableFuture<>();
    result.whenComplete((c, e) -> pendingDials.decrementAndGet());
    expected.ifPresent(peer -> {
      dialing.put(peer, result);
      result.whenComplete((c, e) -> dialing.remove(peer, result));
    });
    Promise<Connection> upgraded = io.next().newPromise();
    upgraded.addListener(f -> complete(result, upgraded));
    tcp.dial(addr.withoutPeerId(), config.dialTimeout(), connectionInitializer(true, expected.orElse(null), upgraded))
        .addListener(f -> {
          if (!f.isSuccess()) {
            upgraded.tryFailure(new java.io.IOException("cannot connect to " + addr + ": " + f.cause().getMessage(), f.cause()));
          }
        });
    return result.thenApply(c -> {
      peerStore.addAddrs(c.remotePeer(), List.of(addr));
      return c;
    });
  }

  /**
   * A connection to {@code peer}: an open one, else a dial of the addresses the peer store knows
   * for it, one after another until one succeeds.
   */
  public CompletableFuture<Connection> connect(PeerId peer) {
    for (Connection c : connections(peer)) {
      if (c.isOpen()) {
        return CompletableFuture.completedFuture(c);
      }
    }
    List<Multiaddr> addrs = peerStore.get(peer).map(info -> List.copyOf(info.addrs())).orElse(List.of());
    if (addrs.isEmpty()) {
      return CompletableFuture.failedFuture(new java.io.IOException("no known address for " + peer));
    }
    CompletableFuture<Connection> attempt = connect(addrs.get(0).withPeerId(peer));
    for (Multiaddr next : addrs.subList(1, addrs.size())) {
      attempt = attempt.exceptionallyCompose(e -> connect(next.withPeerId(peer)));
    }
    return attempt;
  }

  /** Opens a stream to {@code peer} (connecting first if needed); see {@link #newStream(Connection, List, StreamHandler)}. */
  public CompletableFuture<Channel> newStream(PeerId peer, List<String> protocols, StreamHandler handler) {
    return connect(peer).thenCompose(c -> newStream(c, protocols, handler));
  }

  /**
   * Opens a stream on {@code connection} and negotiates the first of {@code protocols} the peer
   * supports; {@code handler} installs the protocol's handlers before any reply byte is read.
   */
  public CompletableFuture<Channel> newStream(Connection connection, List<String> protocols, StreamHandler handler) {
    CompletableFuture<Channel> result = new CompletableFuture<>();
    Future<Channel> opened = connection.muxer().openStream(new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel stream) {
        connection.track(stream);
        Promise<String> selected = negotiationDeadline(stream, stream.eventLoop().newPromise());
        selected.addListener(f -> {
          if (f.isSuccess()) {
            handler.initStream(stream, selected.getNow(), connection);
            result.complete(stream);
          } else {
            result.completeExceptionally(f.cause());
          }
        });
        stream.pipeline().addLast(MultistreamHandler.initiator(protocols, selected));
      }
    });
    opened.addListener(f -> {
      if (!f.isSuccess()) {
        result.completeExceptionally(f.cause());
      }
    });
    return result;
  }

  public CompletableFuture<Channel> newStream(Multiaddr addr, List<String> protocols, StreamHandler handler) {
    return connect(addr).thenCompose(c -> newStream(c, protocols, handler));
  }

  /** Pings the peer {@code count} times on one stream; the round-trip times, in order. */
  public CompletableFuture<List<Duration>> ping(Multiaddr addr, int count) {
    return connect(addr).thenCompose(c -> ping(c, count));
  }

  public CompletableFuture<List<Duration>> ping(Connection connection, int count) {
    Promise<List<Duration>> rtts = connection.channel().eventLoop().newPromise();
    CompletableFuture<List<Duration>> result = new CompletableFuture<>();
    rtts.addListener(f -> complete(result, rtts));
    newStream(connection, List.of(Ping.PROTOCOL_ID), (stream, protocol, c) ->
        stream.pipeline().addLast(new PingInitiator(count, rtts, new SecureRandom(), System::nanoTime)))
        .whenComplete((s, e) -> {
          if (e != null) {
            rtts.tryFailure(e);
          }
        });
    return result;
  }

  /** Asks the peer for its identify message (also done on every new connection) and records it. */
  public CompletableFuture<IdentifyMessage> identify(Connection connection) {
    Promise<IdentifyMessage> message = connection.channel().eventLoop().newPromise();
    CompletableFuture<IdentifyMessage> result = new CompletableFuture<>();
    message.addListener(f -> {
      if (f.isSuccess()) {
        remember(connection, message.getNow());
      }
      complete(result, message);
    });
    newStream(connection, List.of(Identify.PROTOCOL_ID), (stream, protocol, c) ->
        stream.pipeline().addLast(new VarintFrameDecoder(IdentifyMessage.MAX_SIZE), new IdentifyReceiver(message)))
        .whenComplete((s, e) -> {
          if (e != null) {
            message.tryFailure(e);
          }
        });
    return result;
  }

  // --- connection upgrade -------------------------------------------------------------------

  /**
   * TCP → multistream(/noise) → Noise → multistream(/yamux/1.0.0) → Yamux. Each step is installed
   * by the previous step's promise listener, on the event loop, before the previous handler hands
   * on the bytes it read past its own protocol.
   */
  private ChannelInitializer<Channel> connectionInitializer(boolean initiator, PeerId expected, Promise<Connection> result) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        if (!initiator && (closed || connectionCount() + upgrading.get() >= config.maxConnections())) {
          LOG.log(Level.DEBUG, "refusing connection from {0}: {1} connections is the limit", ch.remoteAddress(), config.maxConnections());
          ch.close();
          return;
        }
        InetAddress remoteIp = initiator ? null : ((InetSocketAddress) ch.remoteAddress()).getAddress();
        if (remoteIp != null && !admitUpgrade(remoteIp)) {
          LOG.log(Level.DEBUG, "refusing connection from {0}: {1} handshakes from that address are already in progress",
              ch.remoteAddress(), config.maxInboundUpgradesPerIp());
          ch.close();
          return;
        }
        upgrading.incrementAndGet();
        Promise<Connection> done = result != null ? result : ch.eventLoop().newPromise();
        done.addListener(f -> {
          upgrading.decrementAndGet();
          if (remoteIp != null) {
            upgradingByIp.computeIfPresent(remoteIp, (ip, n) -> n <= 1 ? null : n - 1);
          }
        });
        ScheduledFuture<?> deadline = ch.eventLoop().schedule(() -> {
          if (done.tryFailure(new java.util.concurrent.TimeoutException("connection upgrade took longer than " + config.upgradeTimeout()))) {
            ch.close();
          }
        }, config.upgradeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        done.addListener(f -> deadline.cancel(false));
        ch.closeFuture().addListener(f -> done.tryFailure(new java.io.IOException("connection closed during the upgrade")));

        Promise<String> security = ch.eventLoop().newPromise();
        ch.pipeline().addLast("security-select", initiator
            ? MultistreamHandler.initiator(List.of(NoiseSecureChannel.PROTOCOL_ID), security)
            : MultistreamHandler.responder(Set.of(NoiseSecureChannel.PROTOCOL_ID), security));
        security.addListener(f -> {
          if (!f.isSuccess()) {
            fail(ch, done, f.cause());
            return;
          }
          Promise<PeerId> remote = ch.eventLoop().newPromise();
          ch.pipeline().addAfter("security-select", "noise", initiator
              ? (expected != null ? noise.initiator(expected, remote) : noise.initiator(remote))
              : noise.responder(remote));
          remote.addListener(g -> {
            if (!g.isSuccess()) {
              fail(ch, done, g.cause());
              return;
            }
            Promise<String> muxer = ch.eventLoop().newPromise();
            ch.pipeline().addLast("muxer-select", initiator
                ? MultistreamHandler.initiator(List.of(YAMUX_PROTOCOL_ID), muxer)
                : MultistreamHandler.responder(Set.of(YAMUX_PROTOCOL_ID), muxer));
            muxer.addListener(h -> {
              if (!h.isSuccess()) {
                fail(ch, done, h.cause());
                return;
              }
              Connection[] connection = new Connection[1];
              YamuxHandler yamux = new YamuxHandler(initiator, config.yamux(), inboundStreams(() -> connection[0]));
              ch.pipeline().addLast("yamux", yamux);
              connection[0] = new Connection(remote.getNow(), socketAddr(ch.remoteAddress()), socketAddr(ch.localAddress()),
                  !initiator, ch, yamux);
              if (!admit(connection[0])) {
                fail(ch, done, new IllegalStateException("already " + config.maxConnectionsPerPeer() + " connections to " + remote.getNow()));
                return;
              }
              done.trySuccess(connection[0]);
              identify(connection[0]).exceptionally(e -> {
                LOG.log(Level.DEBUG, "identify of {0} failed: {1}", connection[0].remotePeer(), e.getMessage());
                return null;
              });
            });
          });
        });
      }
    };
  }

  /** Each stream the peer opens: multistream-select among our protocols, then that protocol's handler. */
  private ChannelInitializer<Channel> inboundStreams(java.util.function.Supplier<Connection> connection) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel stream) {
        Connection c = connection.get();
        c.track(stream);
        Promise<String> selected = negotiationDeadline(stream, stream.eventLoop().newPromise());
        selected.addListener(f -> {
          if (f.isSuccess()) {
            StreamHandler handler = handlers.get(selected.getNow());
            if (handler == null) { // unregistered between negotiation and now
              stream.close();
            } else {
              handler.initStream(stream, selected.getNow(), c);
            }
          } else {
            LOG.log(Level.DEBUG, "stream from {0} refused: {1}", c.remotePeer(), f.cause().getMessage());
          }
        });
        stream.pipeline().addLast(MultistreamHandler.responder(Collections.unmodifiableSet(handlers.keySet()), selected));
      }
    };
  }

  /**
   * Fails {@code selected} and closes {@code stream} if no protocol is agreed within the upgrade
   * timeout: a peer that never finishes multistream-select on a stream would otherwise hold one of
   * the connection's stream slots for as long as the connection lives.
   */
  private Promise<String> negotiationDeadline(Channel stream, Promise<String> selected) {
    ScheduledFuture<?> deadline = stream.eventLoop().schedule(() -> {
      if (selected.tryFailure(new java.util.concurrent.TimeoutException(
          "no protocol agreed on the stream within " + config.upgradeTimeout().toMillis() + " ms"))) {
        stream.close();
      }
    }, config.upgradeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    selected.addListener(f -> deadline.cancel(false));
    return selected;
  }

  /** Counts one more inbound upgrade from {@code ip}, unless that address already has its limit in progress. */
  private boolean admitUpgrade(InetAddress ip) {
    boolean[] admitted = new boolean[1];
    upgradingByIp.compute(ip, (k, n) -> {
      int now = n == null ? 0 : n;
      admitted[0] = now < config.maxInboundUpgradesPerIp();
      return admitted[0] ? now + 1 : n;
    });
    return admitted[0];
  }

  private boolean admit(Connection c) {
    List<Connection> list = connections.computeIfAbsent(c.remotePeer(), p -> new CopyOnWriteArrayList<>());
    synchronized (list) {
      if (list.size() >= config.maxConnectionsPerPeer()) {
        return false;
      }
      list.add(c);
    }
    c.channel().closeFuture().addListener(f -> {
      list.remove(c);
      connections.computeIfPresent(c.remotePeer(), (p, l) -> l.isEmpty() ? null : l);
      notifyListeners(c, l -> l.disconnected(c));
    });
    LOG.log(Level.DEBUG, "connected: {0}", c);
    notifyListeners(c, l -> l.connected(c));
    return true;
  }

  private static void fail(Channel ch, Promise<Connection> done, Throwable cause) {
    LOG.log(Level.DEBUG, "connection with {0} failed: {1}", ch.remoteAddress(), cause.getMessage());
    done.tryFailure(cause);
    ch.close();
  }

  private int connectionCount() {
    int n = 0;
    for (List<Connection> list : connections.values()) {
      n += list.size();
    }
    return n;
  }

  private void closeIdleConnections() {
    long now = System.nanoTime();
    long idle = config.idleTimeout().toNanos();
    for (Connection c : connections()) {
      if (c.idleNanos(now) >= idle) {
        LOG.log(Level.DEBUG, "closing idle {0}", c);
        c.muxer().goAway();
        c.close();
      }
    }
  }

  // --- identify -----------------------------------------------------------------------------

  private IdentifyMessage identifyMessageFor(Connection connection) {
    List<byte[]> addrs = new ArrayList<>();
    for (Multiaddr a : boundAddrs) {
      addrs.add(a.toBytes());
    }
    List<String> protocols = new ArrayList<>(handlers.keySet());
    Collections.sort(protocols);
    return new IdentifyMessage(HostConfig.PROTOCOL_VERSION, config.agentVersion(),
        config.identity().publicKey().toProtobuf(), addrs, connection.remoteAddr().toBytes(), protocols, null);
  }

  private void remember(Connection connection, IdentifyMessage m) {
    List<Multiaddr> addrs = new ArrayList<>();
    for (byte[] raw : m.listenAddrs()) {
      try {
        addrs.add(Multiaddr.fromBytes(raw));
      } catch (InvalidMultiaddrException e) {
        // an address of a transport we do not know: skip it, keep the rest
      }
    }
    if (m.publicKey() != null && !PeerId.fromPublicKeyProtobuf(m.publicKey()).equals(connection.remotePeer())) {
      LOG.log(Level.DEBUG, "ignoring identify from {0}: its key is not the peer's", connection.remotePeer());
      return;
    }
    peerStore.identified(connection.remotePeer(), addrs, m.protocols(), m.agentVersion(), m.protocolVersion());
    peerStore.get(connection.remotePeer()).ifPresent(info -> notifyListeners(connection, l -> l.identified(connection, info)));
  }

  private void notifyListeners(Connection c, java.util.function.Consumer<ConnectionListener> event) {
    for (ConnectionListener l : connectionListeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) { // one faulty listener must not stop the others or the connection
        LOG.log(Level.WARNING, "connection listener failed for " + c, e);
      }
    }
  }

  // --- helpers ------------------------------------------------------------------------------

  private static <T> void complete(CompletableFuture<T> target, Future<T> source) {
    if (source.isSuccess()) {
      target.complete(source.getNow());
    } else {
      target.completeExceptionally(source.cause());
    }
  }

  private static Multiaddr socketAddr(java.net.SocketAddress address) {
    return Multiaddr.of((InetSocketAddress) address);
  }

  /** A wildcard bind stands for every address of this machine in its family. */
  private static List<Multiaddr> expand(InetSocketAddress bound) {
    if (!bound.getAddress().isAnyLocalAddress()) {
      return List.of(Multiaddr.of(bound));
    }
    List<Multiaddr> out = new ArrayList<>();
    try {
      for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nif.isUp()) {
          continue;
        }
        for (InetAddress a : Collections.list(nif.getInetAddresses())) {
          boolean sameFamily = a.getClass() == bound.getAddress().getClass();
          if (sameFamily && !a.isLinkLocalAddress()) {
            out.add(Multiaddr.of(new InetSocketAddress(a, bound.getPort())));
          }
        }
      }
    } catch (SocketException e) {
      out.add(Multiaddr.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), bound.getPort())));
    }
    return out;
  }

  /** Closes listeners and connections (sending GoAway) and stops the event loops. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (idleSweep != null) {
      idleSweep.cancel(false);
    }
    for (Channel l : listeners) {
      l.close().awaitUninterruptibly();
    }
    for (Connection c : connections()) {
      c.muxer().goAway();
      c.channel().close().awaitUninterruptibly();
    }
    acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    io.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}
