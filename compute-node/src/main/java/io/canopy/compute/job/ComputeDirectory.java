package io.canopy.compute.job;

import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.ConnectionListener;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.PeerStore;
import io.canopy.p2p.kad.KadDht;
import io.canopy.protocol.compute.ComputeMessage;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.ModelOffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A caller's view of the compute nodes it can reach (spec/compute.md §3.4): the models each serves,
 * its free slots and its latency. Nodes are found among connected peers that list {@code
 * /canopy/compute/1.0.0} in identify, and through the DHT's provider records of every model seen so
 * far; each is asked for its capabilities when it is identified and every {@code refreshInterval}.
 * A node that stops answering is dropped after {@value #MAX_MISSES} misses. The node this caller
 * runs in, if it serves models too, is part of the view and runs jobs without a stream.
 */
public final class ComputeDirectory implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ComputeDirectory.class.getName());
  static final int MAX_MISSES = 2;
  private static final int MAX_PROVIDERS = 20;
  private static final Duration CAPABILITY_TIMEOUT = Duration.ofSeconds(5);
  /** Weight of the newest sample in the latency average. */
  private static final double LATENCY_WEIGHT = 0.3;

  /** A model offered by a node, with what the caller knows of that node. */
  public record NodeOffer(PeerId node, ModelOffer offer, Duration latency) {}

  private final Host host;
  private final ComputeClient client;
  private final Optional<KadDht> dht;
  private final Optional<ComputeProvider> here;
  private final Duration refreshInterval;
  private final Map<PeerId, NodeView> nodes = new ConcurrentHashMap<>();
  /** Every model CID any node offered: the DHT is asked for more of their providers. */
  private final Set<Cid> modelsSeen = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService scheduler;

  private static final class NodeView {
    volatile List<ModelOffer> offers = List.of();
    volatile double latencyMillis = Double.NaN;
    volatile int misses;
  }

  public ComputeDirectory(Host host, ComputeClient client, KadDht dht, ComputeProvider here, Duration refreshInterval) {
    this.host = host;
    this.client = client;
    this.dht = Optional.ofNullable(dht);
    this.here = Optional.ofNullable(here);
    this.refreshInterval = refreshInterval;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "compute-directory");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts watching connections and refreshing; returns this. */
  public ComputeDirectory start() {
    host.addConnectionListener(new ConnectionListener() {
      @Override
      public void identified(Connection connection, PeerStore.PeerInfo info) {
        if (info.protocols().contains(ComputeMessage.PROTOCOL_ID)) {
          ask(connection.remotePeer());
        }
      }
    });
    long every = refreshInterval.toMillis();
    scheduler.scheduleWithFixedDelay(this::refresh, 0, every, TimeUnit.MILLISECONDS);
    return this;
  }

  /** Every model offered now, by node; the node this caller runs in first. */
  public List<NodeOffer> offers() {
    List<NodeOffer> out = new ArrayList<>();
    here.ifPresent(p -> p.capabilities().offers().forEach(o -> out.add(new NodeOffer(host.peerId(), o, Duration.ZERO))));
    nodes.forEach((peer, view) -> {
      Duration latency = Double.isNaN(view.latencyMillis) ? Duration.ofSeconds(1) : Duration.ofMillis((long) view.latencyMillis);
      view.offers.forEach(o -> out.add(new NodeOffer(peer, o, latency)));
    });
    return out;
  }

  /** Asks every known and newly found node for its capabilities; completes when all have answered or timed out. */
  public CompletableFuture<Void> refresh() {
    Set<PeerId> peers = new HashSet<>(nodes.keySet());
    for (Connection c : host.connections()) {
      host.peerStore().get(c.remotePeer())
          .filter(info -> info.protocols().contains(ComputeMessage.PROTOCOL_ID))
          .ifPresent(info -> peers.add(c.remotePeer()));
    }
    List<CompletableFuture<?>> asks = new ArrayList<>();
    peers.forEach(p -> asks.add(ask(p)));
    dht.ifPresent(d -> modelsSeen.forEach(model -> asks.add(d.findProviders(model.multihash(), MAX_PROVIDERS)
        .thenCompose(found -> CompletableFuture.allOf(found.stream().filter(p -> !peers.contains(p) && !p.equals(host.peerId()))
            .map(this::ask).toArray(CompletableFuture[]::new)))
        .exceptionally(e -> null))));
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<Void> ask(PeerId peer) {
    if (peer.equals(host.peerId())) {
      return CompletableFuture.completedFuture(null);
    }
    long started = System.nanoTime();
    return client.capabilities(peer, CAPABILITY_TIMEOUT).handle((offers, e) -> {
      NodeView view = nodes.computeIfAbsent(peer, p -> new NodeView());
      if (e != null) {
        if (++view.misses >= MAX_MISSES) {
          nodes.remove(peer, view);
        }
        LOG.log(System.Logger.Level.DEBUG, "compute node {0} did not answer: {1}", peer, e.getMessage());
        return null;
      }
      view.misses = 0;
      view.offers = List.copyOf(offers);
      sample(view, (System.nanoTime() - started) / 1e6);
      offers.forEach(o -> modelsSeen.add(o.model()));
      return null;
    });
  }

  private static void sample(NodeView view, double millis) {
    double old = view.latencyMillis;
    view.latencyMillis = Double.isNaN(old) ? millis : old + LATENCY_WEIGHT * (millis - old);
  }

  /**
   * Runs {@code request} on {@code node} (here, without a stream, if it is this node) and keeps
   * the view up to date: a {@code BUSY} answer marks the model full on that node until its next
   * refresh; the time to the first chunk feeds the node's latency.
   */
  public CompletableFuture<JobResult> submit(PeerId node, JobRequest request, Consumer<byte[]> onChunk, Duration timeout) {
    if (node.equals(host.peerId()) && here.isPresent()) {
      return here.get().runHere(request, onChunk).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    long started = System.nanoTime();
    boolean[] first = {true};
    CompletableFuture<JobResult> result = client.submit(node, request, bytes -> {
      if (first[0]) {
        first[0] = false;
        NodeView view = nodes.get(node);
        if (view != null) {
          sample(view, (System.nanoTime() - started) / 1e6);
        }
      }
      onChunk.accept(bytes);
    }, timeout);
    result.whenComplete((r, e) -> {
      NodeView view = nodes.get(node);
      if (view != null && e instanceof JobRejectedException j && j.code() == ComputeMessage.Code.BUSY) {
        view.offers = view.offers.stream()
            .map(o -> o.model().equals(request.model()) && o.task() == request.task() ? o.withFreeSlots(0) : o).toList();
      }
    });
    return result;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
