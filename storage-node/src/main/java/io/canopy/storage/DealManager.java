package io.canopy.storage;

import io.canopy.content.Futures;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.Host;
import io.canopy.protocol.storage.Deal;
import io.canopy.protocol.storage.HoldingAck;
import io.canopy.protocol.storage.StorageMessage;
import io.canopy.storage.DealStore.Replica;
import io.canopy.storage.DealStore.ReplicaState;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The owner's side of storage deals: places a deal's R replicas on distinct nodes (distinct
 * peers, and distinct IP addresses while there are enough), records where they are, checks them
 * every repair interval and replaces a replica that stopped answering for longer than the grace
 * period with a new one fetched from the remaining replicas — no human involved. Blocking calls
 * (SQLite, the network with timeouts): call it off event loops.
 */
public final class DealManager {
  private static final System.Logger LOG = System.getLogger(DealManager.class.getName());

  private final Host host;
  private final Ed25519PrivateKey key;
  private final StorageClient client;
  private final CandidateFinder finder;
  private final ContentStore local;
  private final DagFetcher fetcher;
  private final DealStore store;
  private final StorageConfig config;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final AtomicBoolean repairing = new AtomicBoolean();
  private final Set<String> maintaining = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public DealManager(Host host, Ed25519PrivateKey key, CandidateFinder finder, ContentStore local, DagFetcher fetcher, DealStore store,
                     StorageConfig config, Clock clock) {
    this.host = host;
    this.key = key;
    this.client = new StorageClient(host);
    this.finder = finder;
    this.local = local;
    this.fetcher = fetcher;
    this.store = store;
    this.config = config;
    this.clock = clock;
  }

  /**
   * Creates a deal for the DAG under {@code root} and places its replicas. The DAG must be in this
   * node's store or fetchable from the network; if it is neither, the deal is recorded as FAILED
   * with the reason and no node is asked to hold it.
   */
  public DealStatus create(Cid root, int replicas, Duration duration, long price) throws IOException {
    Optional<Long> size = dagSize(root);
    Signed signed = newDeal(root, size.orElse(0L), replicas, duration, price, "");
    try {
      if (size.isEmpty()) {
        store.setOwnedState(signed.deal.id(), DealState.FAILED,
            "the content " + root + " is not in this node's store and could not be fetched from the network");
        return status(signed.deal.id()).orElseThrow();
      }
      Placement placed = place(signed.deal, signed.signature, replicas, Set.of(), selfSources());
      record(signed.deal, placed);
      return status(signed.deal.id()).orElseThrow();
    } finally {
      maintaining.remove(signed.deal.id());
    }
  }

  /** A deal made with {@link #createDurable}: where it stands, and whether storage nodes exist at all. */
  public record Durable(DealStatus status, int holding, boolean noStorageNodes) {}

  /**
   * Creates a deal for a DAG this node holds pinned, of {@code size} bytes, and returns once
   * {@code quorum} replicas hold it — or once it is clear they cannot: {@link Durable#holding()}
   * says how many do. The remaining replicas are left to {@link #repair(String)} (call it in the
   * background) and the repair loop. A deal no node could take stays DEGRADED rather than FAILED,
   * because this node's own copy keeps the data; the repair loop places it when nodes appear.
   */
  public Durable createDurable(Cid root, long size, int replicas, int quorum, Duration duration, long price, String purpose)
      throws IOException {
    Signed signed = newDeal(root, size, replicas, duration, price, purpose);
    try {
      Placement placed = place(signed.deal, signed.signature, Math.min(quorum, replicas), Set.of(), selfSources());
      for (Replica r : placed.replicas) {
        store.putReplica(r);
      }
      int n = placed.replicas.size();
      store.setOwnedState(signed.deal.id(), n >= replicas ? DealState.ACTIVE : DealState.DEGRADED,
          n >= replicas ? "" : n + " of " + replicas + " replicas; " + (n >= quorum ? "placing the rest" : placed.problems()));
      return new Durable(status(signed.deal.id()).orElseThrow(), n, n == 0 && placed.refusals.isEmpty());
    } finally {
      maintaining.remove(signed.deal.id());
    }
  }

  private record Signed(Deal deal, byte[] signature) {}

  private Signed newDeal(Cid root, long size, int replicas, Duration duration, long price, String purpose) throws IOException {
    long now = clock.millis();
    byte[] nonce = new byte[8];
    random.nextBytes(nonce);
    String id = HexFormat.of().formatHex(nonce) + Long.toHexString(now);
    Deal deal = new Deal(id, key.peerId(), root, size, replicas, now, now + duration.toMillis(), price);
    byte[] signature = deal.sign(key);
    maintaining.add(id); // placed by the caller, who releases it: the repair loop keeps off until then
    store.addOwned(deal, signature, now, purpose);
    return new Signed(deal, signature);
  }

  /**
   * Ends a deal before its time: its replicas are released. Nothing happens to a deal already over.
   * Waits for a repair pass on the deal to finish first, so that the pass cannot mark the deal's
   * replicas live again (or re-place them) after they were released.
   */
  public void release(String dealId) throws IOException {
    while (!maintaining.add(dealId)) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while deal " + dealId + " was being repaired");
      }
    }
    try {
      Optional<DealStore.OwnedDeal> owned = store.owned(dealId);
      if (owned.isPresent() && owned.get().state() != DealState.ENDED) {
        end(owned.get().deal());
      }
    } finally {
      maintaining.remove(dealId);
    }
  }

  /** One repair pass over one deal (see {@link #repairOnce}): tops up a deal just created. */
  public void repair(String dealId) throws IOException {
    Optional<DealStore.OwnedDeal> owned = store.owned(dealId);
    if (owned.isPresent()) {
      maintain(owned.get());
    }
  }

  public List<DealStatus> list() throws IOException {
    List<DealStatus> out = new ArrayList<>();
    for (DealStore.OwnedDeal d : store.ownedDeals()) {
      out.add(new DealStatus(d, store.replicas(d.deal().id())));
    }
    return out;
  }

  public Optional<DealStatus> status(String dealId) throws IOException {
    Optional<DealStore.OwnedDeal> d = store.owned(dealId);
    return d.isEmpty() ? Optional.empty() : Optional.of(new DealStatus(d.get(), store.replicas(dealId)));
  }

  /**
   * One pass of the repair loop: checks every replica of every live deal, marks those silent for
   * longer than the grace period as lost, places new ones where replicas are missing, and
   * releases deals whose time is over. Returns without doing anything if a pass is already running.
   */
  public void repairOnce() {
    if (!repairing.compareAndSet(false, true)) {
      return;
    }
    try {
      for (DealStore.OwnedDeal owned : store.ownedDeals()) {
        try {
          maintain(owned);
        } catch (IOException | RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "deal " + owned.deal().id() + ": repair pass failed", e);
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "repair pass cannot read the deal store", e);
    } finally {
      repairing.set(false);
    }
  }

  private void maintain(DealStore.OwnedDeal owned) throws IOException {
    // The repair loop and a top-up right after creation must not place the same replicas twice.
    if (!maintaining.add(owned.deal().id())) {
      return;
    }
    try {
      maintainAlone(store.owned(owned.deal().id()).orElse(owned));
    } finally {
      maintaining.remove(owned.deal().id());
    }
  }

  private void maintainAlone(DealStore.OwnedDeal owned) throws IOException {
    Deal deal = owned.deal();
    // PLACING here means the process placing it died (a deal being created is in `maintaining`, so
    // maintain() skipped it): its replicas are placed now like a degraded deal's.
    if (owned.state() == DealState.ENDED || owned.state() == DealState.FAILED && store.replicas(deal.id()).isEmpty()) {
      return; // over, or never placed
    }
    long now = clock.millis();
    if (deal.isExpired(now)) {
      end(deal);
      return;
    }
    List<Replica> replicas = store.replicas(deal.id());
    List<CompletableFuture<Replica>> checks = new ArrayList<>();
    for (Replica r : replicas) {
      if (r.state() == ReplicaState.ACTIVE) {
        checks.add(check(deal, r));
      }
    }
    for (CompletableFuture<Replica> c : checks) {
      store.putReplica(c.join());
    }
    replicas = store.replicas(deal.id());
    long active = replicas.stream().filter(r -> r.state() == ReplicaState.ACTIVE).count();
    if (active >= deal.replicas()) {
      if (owned.state() != DealState.ACTIVE) {
        store.setOwnedState(deal.id(), DealState.ACTIVE, "");
      }
      return;
    }
    Set<PeerId> exclude = new HashSet<>();
    List<Multiaddr> sources = new ArrayList<>();
    for (Replica r : replicas) {
      // Only nodes holding a live replica are excluded: a node lost earlier (down, cut off, full)
      // may take the deal again once it is back, and with few nodes it may be the only one left.
      if (r.state() == ReplicaState.ACTIVE) {
        exclude.add(r.node());
        r.addrs().forEach(a -> sources.add(a.withPeerId(r.node())));
      }
    }
    if (local.blocks().has(deal.root())) {
      sources.addAll(selfSources());
    }
    LOG.log(System.Logger.Level.INFO, "deal {0}: {1} of {2} replicas live, placing {3} more", deal.id(), active, deal.replicas(),
        deal.replicas() - active);
    Placement placed = place(deal, owned.ownerSignature(), (int) (deal.replicas() - active), exclude,
        sources.subList(0, Math.min(sources.size(), StorageMessage.MAX_SOURCES)));
    for (Replica r : placed.replicas) {
      store.putReplica(r);
    }
    long nowActive = active + placed.replicas.size();
    store.setOwnedState(deal.id(), nowActive >= deal.replicas() ? DealState.ACTIVE : DealState.DEGRADED,
        nowActive >= deal.replicas() ? "" : nowActive + " of " + deal.replicas() + " replicas; " + placed.problems());
  }

  /** Asks a replica whether it still holds the deal; a replica silent past the grace period is lost. */
  private CompletableFuture<Replica> check(Deal deal, Replica r) {
    // The addresses the replica was placed at: after a restart this node's peer store is empty, and
    // without them a live replica would look silent and be replaced.
    host.peerStore().addAddrs(r.node(), r.addrs());
    return client.request(r.node(), new StorageMessage.Check(deal.id()), config.requestTimeout())
        .handle((reply, e) -> {
          long now = clock.millis();
          if (e == null && reply instanceof StorageMessage.Holding h && valid(h.ack(), deal, r.node())) {
            return new Replica(deal.id(), r.node(), r.addrs(), ReplicaState.ACTIVE, r.placedMillis(), now, 0, h.ack());
          }
          String why = e != null ? Futures.cause(e).getMessage() : String.valueOf(reply);
          boolean lost = now - r.lastSeenMillis() >= config.replicaGrace().toMillis();
          LOG.log(System.Logger.Level.INFO, "deal {0}: replica {1} failed its check ({2}){3}", deal.id(), r.node(), why,
              lost ? "; silent past the grace period, replacing it" : "");
          return new Replica(deal.id(), r.node(), r.addrs(), lost ? ReplicaState.LOST : ReplicaState.ACTIVE, r.placedMillis(),
              r.lastSeenMillis(), r.failedChecks() + 1, r.lastAck());
        });
  }

  private void end(Deal deal) throws IOException {
    StorageMessage.Release release = StorageMessage.Release.sign(key, deal.id());
    for (Replica r : store.replicas(deal.id())) {
      if (r.state() != ReplicaState.ACTIVE) {
        continue;
      }
      StorageMessage reply = client.request(r.node(), release, config.requestTimeout()).exceptionally(e -> null).join();
      // A replica that does not answer lets go by itself when its own copy of the deal expires.
      store.putReplica(new Replica(deal.id(), r.node(), r.addrs(), ReplicaState.RELEASED, r.placedMillis(), r.lastSeenMillis(),
          r.failedChecks(), r.lastAck()));
      LOG.log(System.Logger.Level.INFO, "deal {0}: released {1}: {2}", deal.id(), r.node(), reply);
    }
    store.setOwnedState(deal.id(), DealState.ENDED, "");
  }

  // --- placement ----------------------------------------------------------------------------

  record Candidate(PeerId peer, long free, String ip) {}

  /** Replicas placed, and why other candidates did not take the deal. */
  private record Placement(List<Replica> replicas, Map<PeerId, String> refusals) {
    String problems() {
      if (refusals.isEmpty()) {
        return "no other storage node with room was found";
      }
      List<String> parts = new ArrayList<>();
      refusals.forEach((peer, why) -> parts.add(shortId(peer) + ": " + why));
      return String.join("; ", parts);
    }
  }

  private Placement place(Deal deal, byte[] signature, int needed, Set<PeerId> exclude, List<Multiaddr> sources) {
    Map<PeerId, String> refusals = new LinkedHashMap<>();
    List<Candidate> ranked = rank(candidates(deal, exclude, refusals));
    List<Replica> placed = new ArrayList<>();
    StorageMessage.Propose propose = new StorageMessage.Propose(deal, signature, sources);
    Duration timeout = config.fetchTimeout(deal.size()).plus(config.requestTimeout());
    int next = 0;
    while (placed.size() < needed && next < ranked.size()) {
      // Ask as many as are still needed at once; the fetches run in parallel on the nodes.
      List<Candidate> batch = ranked.subList(next, Math.min(ranked.size(), next + needed - placed.size()));
      next += batch.size();
      List<CompletableFuture<StorageMessage>> replies = new ArrayList<>();
      for (Candidate c : batch) {
        replies.add(client.request(c.peer(), propose, timeout));
      }
      for (int i = 0; i < batch.size(); i++) {
        Candidate c = batch.get(i);
        try {
          StorageMessage reply = replies.get(i).join();
          if (reply instanceof StorageMessage.Holding h && valid(h.ack(), deal, c.peer())) {
            long now = clock.millis();
            placed.add(new Replica(deal.id(), c.peer(), addrsOf(c.peer()), ReplicaState.ACTIVE, now, now, 0, h.ack()));
          } else if (reply instanceof StorageMessage.Rejected r) {
            refusals.put(c.peer(), r.code() + " " + r.reason());
          } else {
            refusals.put(c.peer(), "unexpected reply " + reply);
          }
        } catch (CompletionException e) {
          refusals.put(c.peer(), String.valueOf(Futures.cause(e).getMessage()));
        }
      }
    }
    return new Placement(placed, refusals);
  }

  /** Storage nodes with room for the deal, by asking each for its capacity. */
  private List<Candidate> candidates(Deal deal, Set<PeerId> exclude, Map<PeerId, String> refusals) {
    Set<PeerId> peers;
    try {
      peers = new HashSet<>(finder.candidates().join());
    } catch (CompletionException e) {
      LOG.log(System.Logger.Level.WARNING, "finding storage nodes failed: {0}", Futures.cause(e).getMessage());
      peers = new HashSet<>();
    }
    peers.remove(key.peerId());
    peers.removeAll(exclude);
    Map<PeerId, CompletableFuture<StorageMessage>> asked = new LinkedHashMap<>();
    for (PeerId p : peers) {
      asked.put(p, client.request(p, new StorageMessage.CapacityRequest(), config.requestTimeout()));
    }
    List<Candidate> out = new ArrayList<>();
    asked.forEach((peer, reply) -> {
      try {
        StorageMessage m = reply.join();
        if (m instanceof StorageMessage.Capacity c) {
          if (c.freeBytes() >= deal.size()) {
            out.add(new Candidate(peer, c.freeBytes(), ipOf(peer)));
          } else {
            refusals.put(peer, "only " + c.freeBytes() + " bytes free");
          }
        } else {
          refusals.put(peer, "not a storage node (" + m + ")");
        }
      } catch (CompletionException e) {
        refusals.put(peer, String.valueOf(Futures.cause(e).getMessage()));
      }
    });
    return out;
  }

  /**
   * Most free room first, but a node on an IP address not yet chosen goes before one on an
   * address already used: replicas on one machine (or behind one NAT) fail together.
   */
  static List<Candidate> rank(List<Candidate> candidates) {
    List<Candidate> byRoom = new ArrayList<>(candidates);
    byRoom.sort(Comparator.comparingLong(Candidate::free).reversed().thenComparing(c -> c.peer().toString()));
    List<Candidate> diverse = new ArrayList<>();
    List<Candidate> rest = new ArrayList<>();
    Set<String> ips = new HashSet<>();
    for (Candidate c : byRoom) {
      (ips.add(c.ip()) ? diverse : rest).add(c);
    }
    diverse.addAll(rest);
    return diverse;
  }

  private boolean valid(HoldingAck ack, Deal deal, PeerId node) {
    return ack.node().equals(node) && ack.dealId().equals(deal.id()) && ack.root().equals(deal.root()) && ack.verify();
  }

  private void record(Deal deal, Placement placed) throws IOException {
    for (Replica r : placed.replicas) {
      store.putReplica(r);
    }
    int n = placed.replicas.size();
    if (n >= deal.replicas()) {
      store.setOwnedState(deal.id(), DealState.ACTIVE, "");
    } else if (n > 0) {
      store.setOwnedState(deal.id(), DealState.DEGRADED, n + " of " + deal.replicas() + " replicas; " + placed.problems());
    } else {
      store.setOwnedState(deal.id(), DealState.FAILED, "no node took the deal: " + placed.problems());
    }
  }

  /** The DAG's size in bytes if it is here or can be fetched; empty if not. */
  private Optional<Long> dagSize(Cid root) throws IOException {
    try {
      return Optional.of(DagSize.of(local.blocks(), root, false));
    } catch (BlockNotFoundException missing) {
      try {
        fetcher.fetch(root, List.of(), config.fetchTimeout(0)).join();
        return Optional.of(DagSize.of(local.blocks(), root, false));
      } catch (CompletionException | BlockNotFoundException e) {
        return Optional.empty();
      }
    }
  }


  private List<Multiaddr> selfSources() {
    return host.listenAddrs().stream().limit(StorageMessage.MAX_SOURCES / 2).map(a -> a.withPeerId(host.peerId())).toList();
  }

  private List<Multiaddr> addrsOf(PeerId peer) {
    List<Multiaddr> addrs = new ArrayList<>();
    for (Connection c : host.connections(peer)) {
      if (!c.isInbound()) {
        addrs.add(c.remoteAddr().withoutPeerId());
      }
    }
    host.peerStore().get(peer).ifPresent(info -> info.addrs().stream().filter(a -> !addrs.contains(a)).forEach(addrs::add));
    return addrs.subList(0, Math.min(addrs.size(), 8));
  }

  private String ipOf(PeerId peer) {
    for (Connection c : host.connections(peer)) {
      Multiaddr a = c.remoteAddr();
      Optional<String> ip = a.components().isEmpty() ? Optional.empty() : Optional.of(a.components().get(0).toString());
      if (ip.isPresent()) {
        return ip.get();
      }
    }
    return "?" + peer; // unknown: counts as its own address
  }

  static String shortId(PeerId peer) {
    String s = peer.toString();
    return s.length() > 10 ? "…" + s.substring(s.length() - 6) : s;
  }
}
