package io.canopy.content.bitswap;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.block.CorruptBlockException;
import io.canopy.content.bitswap.BitswapMessage.BlockPresence;
import io.canopy.content.bitswap.BitswapMessage.Entry;
import io.canopy.content.bitswap.BitswapMessage.Payload;
import io.canopy.content.bitswap.BitswapMessage.PresenceType;
import io.canopy.content.bitswap.BitswapMessage.WantType;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multihash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * The serving side of Bitswap and the per-peer ledgers, without any networking: what each peer
 * wants from us, what to send it next, and how much of it is queued. Plain calls, so it is tested
 * without Netty.
 *
 * <p>Memory per peer is bounded by construction: a wantlist holds at most {@code
 * maxWantlistEntries} CIDs; block bytes are read from the store only when {@link #nextResponse}
 * builds a message, and only while the peer's queued (read, not yet handed to its connection)
 * blocks and bytes are under {@code maxQueuedBlocksPerPeer} / {@code maxQueuedBytesPerPeer}. A peer
 * that does not read its stream therefore holds at most that much, whatever it asks for.
 *
 * <p>Threads: any; each peer's state is guarded by its {@link PeerLedger}. Methods read the
 * blockstore, so they must not run on an event loop.
 */
final class BitswapEngine {
  private final Blockstore store;
  private final BitswapConfig config;
  private final BitswapStats.Counters stats;
  private final LongSupplier nanoTime;
  private final Map<PeerId, PeerLedger> ledgers = new ConcurrentHashMap<>();

  BitswapEngine(Blockstore store, BitswapConfig config, BitswapStats.Counters stats, LongSupplier nanoTime) {
    this.store = store;
    this.config = config;
    this.stats = stats;
    this.nanoTime = nanoTime;
  }

  /** One response message and the budget it holds until {@link #responseDone}. */
  record Response(PeerLedger ledger, BitswapMessage message, int blocks, long bytes) {}

  /** A want of a peer's, as this node keeps it. */
  private static final class Want {
    final Cid cid;
    final long seq;
    WantType type;
    int priority;
    boolean sendDontHave;
    /** We have the block: the want is in the task queue. */
    boolean ready;

    Want(Entry e, long seq) {
      this.cid = e.cid();
      this.seq = seq;
      this.type = e.wantType();
      this.priority = e.priority();
      this.sendDontHave = e.sendDontHave();
    }
  }

  /** Higher priority first (the spec: "respect the relative priority"), then first come. */
  private static final Comparator<Want> TASK_ORDER =
      Comparator.<Want>comparingInt(w -> w.priority).reversed().thenComparingLong(w -> w.seq);

  /** One peer's state. Guarded by itself. */
  static final class PeerLedger {
    final PeerId peer;
    private final LinkedHashMap<Multihash, Want> wantlist = new LinkedHashMap<>();
    private final TreeSet<Want> tasks = new TreeSet<>(TASK_ORDER);
    private final ArrayDeque<BlockPresence> presences = new ArrayDeque<>();
    private long nextSeq;
    private long bytesSent;
    private long bytesReceived;
    private long blocksSent;
    private long blocksReceived;
    private int strikes;
    private long blockedUntil;
    private boolean blocked;
    private int queuedBlocks;
    private long queuedBytes;
    private boolean connected = true;
    /** When the last connection closed, for forgetting the oldest remembered ledgers first. */
    private long disconnectedAt;
    /** Set while a thread is building this peer's responses, so only one does. */
    final AtomicBoolean pumping = new AtomicBoolean();

    PeerLedger(PeerId peer) {
      this.peer = peer;
    }
  }

  PeerLedger ledger(PeerId peer) {
    return ledgers.computeIfAbsent(peer, PeerLedger::new);
  }

  // ---- wants from a peer ---------------------------------------------------------------------

  /**
   * Applies a peer's wantlist update (bitswap-protocol.md, 1.2.0 interaction pattern step 2).
   * Entries past the wantlist limit are refused: a DONT_HAVE when the peer asked for one, else
   * nothing, as for a block we lack. Returns whether the peer now has something to be sent.
   *
   * @param supportsHave whether the peer speaks 1.2.0 (only then DONT_HAVE can be sent)
   */
  boolean wantlistReceived(PeerId peer, List<Entry> entries, boolean full, boolean supportsHave) {
    PeerLedger l = ledger(peer);
    synchronized (l) {
      l.connected = true;
      if (full) {
        l.wantlist.clear();
        l.tasks.clear();
      }
      for (Entry e : entries) {
        Multihash mh = e.cid().multihash();
        Want existing = l.wantlist.get(mh);
        if (e.cancel()) {
          if (existing != null) {
            l.wantlist.remove(mh);
            l.tasks.remove(existing);
          }
          continue;
        }
        if (existing != null) {
          update(l, existing, e, supportsHave);
          continue;
        }
        if (l.wantlist.size() >= config.maxWantlistEntries()) {
          stats.wantsRefused.increment();
          if (e.sendDontHave() && supportsHave) {
            addPresence(l, new BlockPresence(e.cid(), PresenceType.DONT_HAVE));
          }
          continue;
        }
        Want w = new Want(e, l.nextSeq++);
        l.wantlist.put(mh, w);
        if (has(w.cid)) {
          w.ready = true;
          l.tasks.add(w);
        } else if (w.sendDontHave && supportsHave) {
          addPresence(l, new BlockPresence(w.cid, PresenceType.DONT_HAVE));
        }
      }
      return hasWork(l);
    }
  }

  /** A want repeated: a want-block upgrades a want-have; the new priority applies. */
  private void update(PeerLedger l, Want w, Entry e, boolean supportsHave) {
    l.tasks.remove(w); // re-inserted below: its priority, part of the order, may change
    w.priority = e.priority();
    if (e.wantType() == WantType.BLOCK) {
      w.type = WantType.BLOCK;
    }
    w.sendDontHave |= e.sendDontHave();
    if (w.ready) {
      l.tasks.add(w);
    } else if (e.sendDontHave() && supportsHave) {
      addPresence(l, new BlockPresence(w.cid, PresenceType.DONT_HAVE));
    }
  }

  /** Presences are small, but a flood of refused wants must not grow them without bound either. */
  private void addPresence(PeerLedger l, BlockPresence p) {
    if (l.presences.size() < config.maxWantlistEntries()) {
      l.presences.add(p);
    }
  }

  private boolean has(Cid cid) {
    try {
      return store.has(cid);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- what to send next ---------------------------------------------------------------------

  /**
   * The next message for {@code peer}: pending presences, then blocks and HAVEs in priority order,
   * blocks up to {@code targetMessageSize}, within the peer's queue budget. Null if there is
   * nothing to send or the budget is used up; {@link #responseDone} gives the budget back.
   */
  Response nextResponse(PeerId peer) {
    PeerLedger l = ledgers.get(peer);
    if (l == null) {
      return null;
    }
    synchronized (l) {
      if (!l.connected || !budgetLeft(l)) {
        return null;
      }
      List<BlockPresence> presences = new ArrayList<>(l.presences);
      l.presences.clear();
      List<Payload> blocks = new ArrayList<>();
      long bytes = 0;
      while (!l.tasks.isEmpty() && bytes < config.targetMessageSize()
          && l.queuedBlocks + blocks.size() < config.maxQueuedBlocksPerPeer()
          && l.queuedBytes + bytes < config.maxQueuedBytesPerPeer()) {
        Want w = l.tasks.first();
        if (w.type == WantType.BLOCK && !fits(l, w.cid, bytes, blocks.isEmpty())) {
          break; // stays queued until the peer's connection takes what was sent
        }
        l.tasks.pollFirst();
        l.wantlist.remove(w.cid.multihash()); // answered: boxo's engine forgets a want once served
        if (w.type == WantType.HAVE) {
          presences.add(new BlockPresence(w.cid, PresenceType.HAVE));
          continue;
        }
        byte[] data = read(w.cid);
        if (data == null) {
          if (w.sendDontHave) { // deleted, or rotten on disk, since we said we had it
            presences.add(new BlockPresence(w.cid, PresenceType.DONT_HAVE));
          }
          continue;
        }
        blocks.add(Payload.of(new Block(w.cid, data)));
        bytes += data.length;
      }
      if (presences.isEmpty() && blocks.isEmpty()) {
        return null;
      }
      l.queuedBlocks += blocks.size();
      l.queuedBytes += bytes;
      return new Response(l, new BitswapMessage(List.of(), false, blocks, presences, 0), blocks.size(), bytes);
    }
  }

  /**
   * Whether the block fits the peer's byte budget. Only near the limit is its size looked up (a
   * stat, not a read); a block larger than the whole budget still goes out alone when nothing else
   * is queued, or it could never be served.
   */
  private boolean fits(PeerLedger l, Cid cid, long bytesInMessage, boolean messageEmpty) {
    long room = config.maxQueuedBytesPerPeer() - l.queuedBytes - bytesInMessage;
    if (room >= io.canopy.content.block.Block.MAX_SIZE) {
      return true;
    }
    long size;
    try {
      size = store.size(cid);
    } catch (IOException e) {
      return true; // gone or unreadable: the read below answers DONT_HAVE
    }
    return size <= room || (messageEmpty && l.queuedBytes == 0);
  }

  /** Blocks served are checked against their CID: never hand a peer a rotten block. */
  private byte[] read(Cid cid) {
    try {
      return store.getVerified(cid);
    } catch (BlockNotFoundException | CorruptBlockException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The response was handed to the connection ({@code written}) or dropped: its budget is free again. */
  void responseDone(Response r, boolean written) {
    PeerLedger l = r.ledger();
    synchronized (l) {
      l.queuedBlocks -= r.blocks();
      l.queuedBytes -= r.bytes();
      if (written) {
        l.blocksSent += r.blocks();
        l.bytesSent += r.bytes();
      }
    }
    if (written) {
      stats.blocksSent.add(r.blocks());
      stats.bytesSent.add(r.bytes());
    }
  }

  /** Whether {@link #nextResponse} would return a message now. */
  boolean hasWork(PeerId peer) {
    PeerLedger l = ledgers.get(peer);
    if (l == null) {
      return false;
    }
    synchronized (l) {
      return hasWork(l);
    }
  }

  private boolean hasWork(PeerLedger l) {
    if (!l.connected || !budgetLeft(l)) {
      return false;
    }
    if (!l.presences.isEmpty()) {
      return true;
    }
    // The same test nextResponse makes, or a peer whose next block does not fit would be pumped in a loop.
    return !l.tasks.isEmpty() && (l.tasks.first().type == WantType.HAVE || fits(l, l.tasks.first().cid, 0, true));
  }

  private boolean budgetLeft(PeerLedger l) {
    return l.queuedBlocks < config.maxQueuedBlocksPerPeer() && l.queuedBytes < config.maxQueuedBytesPerPeer();
  }

  /** Bytes of blocks read for {@code peer} and not yet handed to its connection. */
  long queuedBytes(PeerId peer) {
    PeerLedger l = ledgers.get(peer);
    if (l == null) {
      return 0;
    }
    synchronized (l) {
      return l.queuedBytes;
    }
  }

  /**
   * We now have {@code cid} (fetched it): peers that wanted it while we lacked it get it. Returns
   * those peers, to be pumped.
   */
  List<PeerId> blockAdded(Cid cid) {
    List<PeerId> ready = new ArrayList<>();
    Multihash mh = cid.multihash();
    for (PeerLedger l : ledgers.values()) {
      synchronized (l) {
        Want w = l.wantlist.get(mh);
        if (w != null && !w.ready) {
          w.ready = true;
          l.tasks.add(w);
          ready.add(l.peer);
        }
      }
    }
    return ready;
  }

  // ---- ledgers, strikes ----------------------------------------------------------------------

  void blockReceived(PeerId peer, long bytes) {
    PeerLedger l = ledger(peer);
    synchronized (l) {
      l.blocksReceived++;
      l.bytesReceived += bytes;
    }
  }

  /**
   * Counts a protocol violation against {@code peer}. Returns true when this strike uses up its
   * allowance: the peer is then blocked for {@code blockDuration} and should be disconnected.
   */
  boolean strike(PeerId peer) {
    PeerLedger l = ledger(peer);
    synchronized (l) {
      expireBlock(l);
      if (l.blocked) {
        return false;
      }
      l.strikes++;
      if (l.strikes >= config.maxStrikes()) {
        l.blocked = true;
        l.blockedUntil = nanoTime.getAsLong() + config.blockDuration().toNanos();
        l.wantlist.clear();
        l.tasks.clear();
        l.presences.clear();
        return true;
      }
      return false;
    }
  }

  boolean isBlocked(PeerId peer) {
    PeerLedger l = ledgers.get(peer);
    if (l == null) {
      return false;
    }
    synchronized (l) {
      expireBlock(l);
      return l.blocked;
    }
  }

  /** A block served its time: the peer starts again with a clean slate. */
  private void expireBlock(PeerLedger l) {
    if (l.blocked && nanoTime.getAsLong() - l.blockedUntil >= 0) {
      l.blocked = false;
      l.strikes = 0;
    }
  }

  /**
   * The peer's last connection closed: its wants go (it re-sends them on reconnecting). The ledger
   * itself is forgotten unless it records strikes, which must survive a reconnect; at most
   * {@code maxRememberedPeers} such ledgers are kept.
   */
  void peerDisconnected(PeerId peer) {
    PeerLedger l = ledgers.get(peer);
    if (l == null) {
      return;
    }
    boolean remembered;
    synchronized (l) {
      l.connected = false;
      l.disconnectedAt = nanoTime.getAsLong();
      l.wantlist.clear();
      l.tasks.clear();
      l.presences.clear();
      remembered = !forgetIfClean(l);
    }
    if (remembered) {
      forgetExcessRemembered();
    }
  }

  /** Forgets a disconnected ledger with nothing worth remembering (no strikes, no block in force). Holds l. */
  private boolean forgetIfClean(PeerLedger l) {
    expireBlock(l);
    if (l.strikes == 0 && !l.blocked) {
      ledgers.remove(l.peer, l);
      return true;
    }
    return false;
  }

  /** A remembered ledger as it was when the table was scanned. */
  private record Remembered(PeerLedger ledger, boolean blocked, long blockedUntil, long disconnectedAt) {}

  /** Unblocked peers go first, oldest disconnect first; then blocked ones, the soonest to be released first. */
  private static final Comparator<Remembered> FORGET_ORDER = Comparator.comparing(Remembered::blocked)
      .thenComparing((a, b) -> a.blocked()
          ? Long.compare(a.blockedUntil() - b.blockedUntil(), 0) // nanoTime: compare by difference
          : Long.compare(a.disconnectedAt() - b.disconnectedAt(), 0));

  /**
   * Keeps the ledgers of disconnected peers within {@code maxRememberedPeers}: expired blocks are
   * dropped first, then ledgers in {@link #FORGET_ORDER}. A scan per remembered disconnect, over at
   * most the connected peers plus the cap.
   */
  private void forgetExcessRemembered() {
    List<Remembered> remembered = new ArrayList<>();
    for (PeerLedger l : ledgers.values()) {
      synchronized (l) {
        if (!l.connected && !forgetIfClean(l)) {
          remembered.add(new Remembered(l, l.blocked, l.blockedUntil, l.disconnectedAt));
        }
      }
    }
    int excess = remembered.size() - config.maxRememberedPeers();
    if (excess <= 0) {
      return;
    }
    remembered.sort(FORGET_ORDER);
    for (Remembered r : remembered.subList(0, excess)) {
      PeerLedger l = r.ledger();
      synchronized (l) {
        if (!l.connected) { // not if it came back meanwhile
          ledgers.remove(l.peer, l);
        }
      }
    }
  }

  /** The peer connected (again): it may be served. */
  void peerConnected(PeerId peer) {
    PeerLedger l = ledger(peer);
    synchronized (l) {
      l.connected = true;
    }
  }

  int wantlistSize(PeerId peer) {
    PeerLedger l = ledgers.get(peer);
    if (l == null) {
      return 0;
    }
    synchronized (l) {
      return l.wantlist.size();
    }
  }

  Map<PeerId, Ledger> ledgers() {
    Map<PeerId, Ledger> out = new HashMap<>();
    for (PeerLedger l : ledgers.values()) {
      synchronized (l) {
        expireBlock(l);
        out.put(l.peer, new Ledger(l.bytesSent, l.bytesReceived, l.blocksSent, l.blocksReceived, l.wantlist.size(),
            l.strikes, l.blocked));
      }
    }
    return out;
  }
}
