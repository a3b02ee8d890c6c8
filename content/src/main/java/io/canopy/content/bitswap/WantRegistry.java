package io.canopy.content.bitswap;

import io.canopy.content.block.Block;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multihash;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The blocks this node is fetching, across sessions: who asked for each (sessions), whom we asked
 * (peers, for the cancels), and the recently received ones (to tell a late duplicate from a block
 * nobody asked for). Keyed by multihash, as the blockstore is, so a block sent under another CID
 * version of the same hash (1.0.0 peers only know CIDv0) still satisfies the want.
 *
 * <p>Confined to the client loop thread of {@link Bitswap}: no locking.
 */
final class WantRegistry {
  /** Received blocks remembered for duplicate detection. */
  static final int RECENT_BLOCKS = 8192;

  /** A block being fetched. */
  static final class Pending {
    final Cid cid;
    final CompletableFuture<Block> result = new CompletableFuture<>();
    final Set<BitswapSession> sessions = new LinkedHashSet<>();
    final Set<PeerId> askedPeers = new HashSet<>();
    /** A copy arrived and is being stored; further copies are duplicates. */
    boolean receiving;

    Pending(Cid cid) {
      this.cid = cid;
    }
  }

  private final Map<Multihash, Pending> pending = new HashMap<>();
  private final Map<Multihash, Boolean> recent = new LinkedHashMap<>(256, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Multihash, Boolean> eldest) {
      return size() > RECENT_BLOCKS;
    }
  };

  /** The pending fetch of {@code cid}, created if needed, with {@code session} among its askers. */
  Pending register(Cid cid, BitswapSession session) {
    Pending p = pending.computeIfAbsent(cid.multihash(), mh -> new Pending(cid));
    p.sessions.add(session);
    return p;
  }

  Pending get(Multihash mh) {
    return pending.get(mh);
  }

  /**
   * {@code session} no longer wants the block. When no session does, the fetch is dropped and
   * returned, so that the peers asked can be sent cancels; null while the fetch goes on.
   */
  Pending unregister(Multihash mh, BitswapSession session) {
    Pending p = pending.get(mh);
    if (p == null || !p.sessions.remove(session) || !p.sessions.isEmpty() || p.receiving) {
      return null;
    }
    pending.remove(mh);
    recent.put(mh, Boolean.TRUE); // the peer may have sent it before our cancel: not its fault
    return p;
  }

  /** The block arrived (or failed to store): no longer pending, remembered as recent. */
  void completed(Pending p) {
    Multihash mh = p.cid.multihash();
    pending.remove(mh, p);
    recent.put(mh, Boolean.TRUE);
  }

  boolean isRecent(Multihash mh) {
    return recent.containsKey(mh);
  }

  int size() {
    return pending.size();
  }

  List<Pending> all() {
    return new ArrayList<>(pending.values());
  }

  void clear() {
    pending.clear();
  }
}
