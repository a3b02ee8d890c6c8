package io.canopy.content.bitswap;

import io.canopy.content.block.Block;
import io.canopy.content.bitswap.BitswapMessage.Entry;
import io.canopy.content.bitswap.BitswapMessage.PresenceType;
import io.canopy.content.dag.DagLinks;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multihash;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * Fetches related blocks from the peers that turned out to have them (boxo's sessions): the first
 * want is broadcast as want-have to every connected peer; peers answering HAVE, or sending blocks,
 * join the session; later wants go as want-block (with send-dont-have) straight to the session's
 * best peer, the one with the fewest timeouts and then the fewest blocks outstanding. A peer that
 * says DONT_HAVE, or lets {@code blockTimeout} pass without delivering any block of ours (a peer
 * still working through our queue is not slow), is passed over for that block; when no peer is
 * left the want is broadcast again, and the {@link ProviderFinder} is asked.
 *
 * <p>At most {@code wantsInFlightPerSession} blocks are asked for at once; further gets wait in
 * order. All state is confined to the client loop of {@link Bitswap}.
 */
public final class BitswapSession implements AutoCloseable {
  private static final int PRIORITY = 1;

  private final Bitswap bitswap;
  private final Map<PeerId, SessionPeer> peers = new LinkedHashMap<>();
  private final Map<Multihash, SessionWant> wants = new HashMap<>();
  private final ArrayDeque<Queued> waiting = new ArrayDeque<>();
  private boolean closed;

  /** A get waiting for room among the session's wants. */
  private record Queued(Cid cid, CompletableFuture<Block> result) {}

  private static final class SessionPeer {
    int blocksAsked;
    int timeouts;
    /** When it last delivered a block: a peer working through a long queue of ours is not slow. */
    long lastDelivery;
  }

  private static final class SessionWant {
    final Cid cid;
    WantRegistry.Pending pending;
    PeerId blockPeer;
    long blockSince;
    long lastBroadcast;
    long lastSearch;
    boolean searched;
    boolean searching;
    final Set<PeerId> haves = new LinkedHashSet<>();
    final Set<PeerId> dontHaves = new HashSet<>();
    final Set<PeerId> slow = new HashSet<>();
    final Set<PeerId> haveAsked = new HashSet<>();
    /** The futures handed out for this block; the want is withdrawn once all of them gave up. */
    final List<CompletableFuture<Block>> callers = new ArrayList<>(1);

    SessionWant(Cid cid) {
      this.cid = cid;
    }
  }

  BitswapSession(Bitswap bitswap) {
    this.bitswap = bitswap;
  }

  /**
   * The block {@code cid} names: from the local store if there, else from the network (verified
   * against the CID and stored). Cancelling the future withdraws the want.
   */
  public CompletableFuture<Block> get(Cid cid) {
    if (DagLinks.isInline(cid)) {
      return CompletableFuture.completedFuture(new Block(cid, cid.multihash().digest()));
    }
    CompletableFuture<Block> result = new CompletableFuture<>();
    CompletableFuture.supplyAsync(() -> bitswap.readLocal(cid), bitswap.pool()).whenComplete((data, err) -> {
      if (err != null) {
        result.completeExceptionally(err);
      } else if (data != null) {
        result.complete(new Block(cid, data));
      } else {
        bitswap.clientLoop().execute(() -> want(cid, result));
      }
    });
    result.whenComplete((b, e) -> {
      if (e != null) {
        bitswap.clientLoop().execute(() -> abandon(cid.multihash()));
      }
    });
    return result;
  }

  /** Adds a peer to ask (for example one known to hold the content); pending wants go to it too. */
  public void addPeer(PeerId peer) {
    bitswap.clientLoop().execute(() -> {
      if (closed || peers.containsKey(peer) || peer.equals(bitswap.self())) {
        return;
      }
      peers.put(peer, new SessionPeer());
      for (SessionWant w : new ArrayList<>(wants.values())) {
        route(w, System.nanoTime());
      }
    });
  }

  /** Withdraws every pending want of this session; their futures fail with a cancellation. */
  @Override
  public void close() {
    bitswap.clientLoop().execute(() -> {
      closed = true;
      for (SessionWant w : new ArrayList<>(wants.values())) {
        // Only this session's futures: the registry's pending fetch may serve other sessions too.
        w.callers.forEach(f -> f.completeExceptionally(new CancellationException("session closed")));
        abandon(w.cid.multihash());
      }
      for (Queued q : waiting) {
        q.result().completeExceptionally(new CancellationException("session closed"));
      }
      waiting.clear();
    });
  }

  // ---- on the client loop --------------------------------------------------------------------

  private void want(Cid cid, CompletableFuture<Block> result) {
    if (closed) {
      result.completeExceptionally(new CancellationException("session closed"));
      return;
    }
    if (result.isDone()) {
      return; // cancelled by the caller meanwhile
    }
    if (wants.size() >= bitswap.config().wantsInFlightPerSession() && !wants.containsKey(cid.multihash())) {
      waiting.add(new Queued(cid, result));
      return;
    }
    WantRegistry.Pending p = bitswap.register(cid, this);
    p.result.whenComplete((b, e) -> {
      if (e != null) {
        result.completeExceptionally(e);
      } else {
        result.complete(b.cid().equals(cid) ? b : new Block(cid, b.data()));
      }
    });
    SessionWant existing = wants.get(cid.multihash());
    if (existing != null) {
      existing.callers.add(result); // this session already asks for it
      return;
    }
    SessionWant w = new SessionWant(cid);
    w.pending = p;
    w.callers.add(result);
    wants.put(cid.multihash(), w);
    bitswap.sessionActive(this);
    route(w, System.nanoTime());
  }

  /** Asks the best peer for the block, else everyone whether they have it, else the providers. */
  private void route(SessionWant w, long now) {
    if (w.blockPeer != null) {
      return;
    }
    PeerId best = pickPeer(w);
    if (best != null) {
      askBlock(w, best, now);
      return;
    }
    if (w.lastBroadcast == 0 || now - w.lastBroadcast >= bitswap.config().rebroadcastInterval().toNanos()) {
      broadcast(w, now);
    } else if (w.haveAsked.stream().allMatch(w.dontHaves::contains)) {
      findProviders(w, now); // everyone asked said no: nobody connected has it
    }
  }

  private PeerId pickPeer(SessionWant w) {
    PeerId best = null;
    SessionPeer bestState = null;
    boolean bestHas = false;
    for (Map.Entry<PeerId, SessionPeer> e : peers.entrySet()) {
      PeerId p = e.getKey();
      if (w.dontHaves.contains(p) || w.slow.contains(p) || bitswap.isBlocked(p)) {
        continue;
      }
      SessionPeer s = e.getValue();
      boolean has = w.haves.contains(p);
      if (best == null || better(has, s, bestHas, bestState)) {
        best = p;
        bestState = s;
        bestHas = has;
      }
    }
    return best;
  }

  private static boolean better(boolean has, SessionPeer s, boolean bestHas, SessionPeer best) {
    if (has != bestHas) {
      return has;
    }
    if (s.timeouts != best.timeouts) {
      return s.timeouts < best.timeouts;
    }
    return s.blocksAsked < best.blocksAsked;
  }

  private void askBlock(SessionWant w, PeerId peer, long now) {
    w.blockPeer = peer;
    w.blockSince = now;
    peers.get(peer).blocksAsked++;
    bitswap.sendWant(peer, w.pending, Entry.wantBlock(w.cid, PRIORITY, true));
  }

  private void releaseBlockPeer(SessionWant w) {
    SessionPeer s = peers.get(w.blockPeer);
    if (s != null) {
      s.blocksAsked--;
    }
    w.blockPeer = null;
  }

  private void broadcast(SessionWant w, long now) {
    w.lastBroadcast = now;
    Set<PeerId> targets = new LinkedHashSet<>(bitswap.connectedPeers());
    targets.addAll(peers.keySet());
    targets.removeAll(w.dontHaves);
    targets.removeIf(bitswap::isBlocked);
    for (PeerId p : targets) {
      w.haveAsked.add(p);
      bitswap.sendWant(p, w.pending, Entry.wantHave(w.cid, PRIORITY, true));
    }
    if (targets.isEmpty() || w.searched) {
      findProviders(w, now);
    }
  }

  private void findProviders(SessionWant w, long now) {
    ProviderFinder finder = bitswap.providerFinder();
    if (finder == null || w.searching
        || (w.searched && now - w.lastSearch < bitswap.config().rebroadcastInterval().toNanos())) {
      return;
    }
    w.searching = true;
    CompletableFuture<List<PeerId>> found;
    try {
      found = finder.findProviders(w.cid, bitswap.config().maxProviders());
    } catch (RuntimeException e) {
      found = CompletableFuture.failedFuture(e);
    }
    found.whenComplete((providers, err) -> bitswap.clientLoop().execute(() -> {
      w.searching = false;
      w.searched = true;
      w.lastSearch = System.nanoTime();
      if (providers == null || closed) {
        return;
      }
      for (PeerId p : providers) {
        if (!p.equals(bitswap.self()) && !bitswap.isBlocked(p)) {
          bitswap.host().connect(p).whenComplete((c, e) -> {
            if (e == null) {
              addPeer(p);
            }
          });
        }
      }
    }));
  }

  void presence(PeerId peer, Multihash mh, PresenceType type) {
    SessionWant w = wants.get(mh);
    if (w == null) {
      return;
    }
    long now = System.nanoTime();
    if (type == PresenceType.HAVE) {
      w.haves.add(peer);
      w.dontHaves.remove(peer);
      peers.computeIfAbsent(peer, p -> new SessionPeer());
      if (w.blockPeer == null) {
        askBlock(w, peer, now);
      }
      return;
    }
    w.dontHaves.add(peer);
    w.haves.remove(peer);
    if (peer.equals(w.blockPeer)) {
      releaseBlockPeer(w);
    }
    route(w, now);
  }

  /** The registry got the block (from {@code peer}), stored it and completed its future. */
  void blockReceived(PeerId peer, Multihash mh) {
    SessionWant w = wants.remove(mh);
    if (w != null && w.blockPeer != null) {
      releaseBlockPeer(w);
    }
    SessionPeer s = peers.computeIfAbsent(peer, p -> new SessionPeer());
    s.timeouts = 0; // it delivers: it is good again
    s.lastDelivery = System.nanoTime();
    startWaiting();
  }

  private void abandon(Multihash mh) {
    SessionWant w = wants.get(mh);
    if (w == null || w.callers.stream().anyMatch(f -> !f.isDone())) {
      waiting.removeIf(q -> q.result().isDone());
      return;
    }
    wants.remove(mh);
    if (w.blockPeer != null) {
      releaseBlockPeer(w);
    }
    bitswap.unregister(mh, this);
    startWaiting();
  }

  private void startWaiting() {
    while (!closed && wants.size() < bitswap.config().wantsInFlightPerSession() && !waiting.isEmpty()) {
      Queued next = waiting.poll();
      want(next.cid(), next.result());
    }
  }

  /**
   * A peer connected (or identified as speaking Bitswap): asked at once, with want-have, about
   * every want it has not been asked about yet. Its HAVEs make it a session peer, as a broadcast's do.
   */
  void peerAvailable(PeerId peer) {
    if (closed || peer.equals(bitswap.self())) {
      return;
    }
    for (SessionWant w : wants.values()) {
      if (!w.pending.result.isDone() && !w.dontHaves.contains(peer) && w.haveAsked.add(peer)) {
        bitswap.sendWant(peer, w.pending, Entry.wantHave(w.cid, PRIORITY, true));
      }
    }
  }

  /** A peer disconnected or cannot be reached: blocks asked of it are asked of others. */
  void peerGone(PeerId peer) {
    peers.remove(peer);
    long now = System.nanoTime();
    for (SessionWant w : new ArrayList<>(wants.values())) {
      // Its copy of our wantlist, and what it told us, went with the connection: ask it afresh if it returns.
      w.haveAsked.remove(peer);
      w.haves.remove(peer);
      w.dontHaves.remove(peer);
      if (peer.equals(w.blockPeer)) {
        w.blockPeer = null;
        route(w, now);
      }
    }
  }

  /**
   * Timers: a block asked for and not received within {@code blockTimeout} is asked of another
   * peer; a want nobody serves is broadcast again every {@code rebroadcastInterval}. Returns
   * whether the session still has wants.
   */
  boolean tick(long now) {
    long timeout = bitswap.config().blockTimeout().toNanos();
    long rebroadcast = bitswap.config().rebroadcastInterval().toNanos();
    for (SessionWant w : new ArrayList<>(wants.values())) {
      if (w.pending.result.isDone()) {
        continue;
      }
      SessionPeer asked = w.blockPeer == null ? null : peers.get(w.blockPeer);
      long since = asked == null ? w.blockSince : Math.max(w.blockSince, asked.lastDelivery);
      if (w.blockPeer != null && now - since > timeout) {
        PeerId slow = w.blockPeer;
        SessionPeer s = asked;
        if (s != null) {
          s.timeouts++;
        }
        w.slow.add(slow);
        releaseBlockPeer(w);
        route(w, now);
      } else if (w.blockPeer == null && now - w.lastBroadcast >= rebroadcast) {
        w.slow.clear(); // a new round: slow peers may have recovered
        broadcast(w, now);
        findProviders(w, now);
      }
    }
    return !wants.isEmpty() || !waiting.isEmpty();
  }
}
