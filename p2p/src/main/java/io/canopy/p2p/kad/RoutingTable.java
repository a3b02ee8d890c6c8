package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Kademlia k-buckets (kad-dht §Kademlia routing table): bucket {@code L} holds up to k peers whose
 * key shares exactly {@code L} leading bits with ours, for L in [0, 255]. Within a bucket peers are
 * kept least-recently-seen first. A full bucket does not take a newcomer at once: the caller is
 * told which peer is oldest, pings it, and calls {@link #replace} only if it did not answer (the
 * paper's rule: long-lived peers are the likeliest to stay). Thread-safe; no I/O.
 */
public final class RoutingTable {
  /** What {@link #offer} did. */
  public enum Outcome { ADDED, REFRESHED, BUCKET_FULL, SELF }

  /** The result of an {@link #offer}; {@code oldest} is set for BUCKET_FULL: the peer to ping. */
  public record Admission(Outcome outcome, PeerId oldest) {}

  private final PeerId self;
  private final KadKey selfKey;
  private final int k;
  /** Bucket index = common prefix length with our key; each map is in least-recently-seen order. */
  private final List<LinkedHashMap<PeerId, KadKey>> buckets = new ArrayList<>();

  public RoutingTable(PeerId self, int k) {
    this.self = self;
    this.selfKey = KadKey.of(self);
    this.k = k;
    for (int i = 0; i < KadKey.BITS; i++) {
      buckets.add(new LinkedHashMap<>());
    }
  }

  public PeerId self() {
    return self;
  }

  public int k() {
    return k;
  }

  /** The peer was seen alive (it answered, or connected and speaks the protocol). */
  public synchronized Admission offer(PeerId peer) {
    if (peer.equals(self)) {
      return new Admission(Outcome.SELF, null);
    }
    KadKey key = KadKey.of(peer);
    LinkedHashMap<PeerId, KadKey> bucket = bucketOf(key);
    if (bucket.remove(peer) != null) {
      bucket.put(peer, key); // to the most-recently-seen end
      return new Admission(Outcome.REFRESHED, null);
    }
    if (bucket.size() < k) {
      bucket.put(peer, key);
      return new Admission(Outcome.ADDED, null);
    }
    return new Admission(Outcome.BUCKET_FULL, bucket.keySet().iterator().next());
  }

  /** The oldest peer of a full bucket did not answer: drop it and take the newcomer. */
  public synchronized boolean replace(PeerId unresponsive, PeerId newcomer) {
    KadKey key = KadKey.of(newcomer);
    LinkedHashMap<PeerId, KadKey> bucket = bucketOf(key);
    if (bucket.containsKey(newcomer)) {
      return false;
    }
    bucket.remove(unresponsive);
    if (bucket.size() >= k) {
      return false;
    }
    bucket.put(newcomer, key);
    return true;
  }

  public synchronized boolean remove(PeerId peer) {
    return !peer.equals(self) && bucketOf(KadKey.of(peer)).remove(peer) != null;
  }

  public synchronized boolean contains(PeerId peer) {
    return !peer.equals(self) && bucketOf(KadKey.of(peer)).containsKey(peer);
  }

  /** Up to {@code n} peers of the table, closest to {@code target} first. */
  public synchronized List<PeerId> closest(KadKey target, int n) {
    List<Map.Entry<PeerId, KadKey>> all = new ArrayList<>();
    for (LinkedHashMap<PeerId, KadKey> bucket : buckets) {
      all.addAll(bucket.entrySet());
    }
    all.sort(Comparator.comparing(Map.Entry::getValue, target::compareDistance));
    List<PeerId> out = new ArrayList<>(Math.min(n, all.size()));
    for (int i = 0; i < all.size() && i < n; i++) {
      out.add(all.get(i).getKey());
    }
    return out;
  }

  public synchronized int size() {
    int n = 0;
    for (LinkedHashMap<PeerId, KadKey> bucket : buckets) {
      n += bucket.size();
    }
    return n;
  }

  public synchronized List<PeerId> peers() {
    List<PeerId> out = new ArrayList<>();
    buckets.forEach(b -> out.addAll(b.keySet()));
    return out;
  }

  /** Peers in bucket {@code index} (common prefix length with us), least-recently-seen first. */
  public synchronized List<PeerId> bucket(int index) {
    return List.copyOf(buckets.get(index).keySet());
  }

  /** Indexes of the buckets that hold at least one peer. */
  public synchronized List<Integer> nonEmptyBuckets() {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < buckets.size(); i++) {
      if (!buckets.get(i).isEmpty()) {
        out.add(i);
      }
    }
    return out;
  }

  /** Deepest bucket a refresh targets: finding a key for bucket L takes about 2^(L+1) hashes (go caps it at 15 too). */
  public static final int MAX_REFRESH_BUCKET = 15;

  /**
   * A random peer ID (a sha2-256 multihash of random bytes) whose key falls into bucket {@code
   * index}, found by trying; the bucket refresh of kad-dht §Bootstrap process looks such IDs up.
   * {@code index} is capped at {@link #MAX_REFRESH_BUCKET}.
   */
  public PeerId randomPeerInBucket(int index, Random random) {
    int target = Math.min(index, MAX_REFRESH_BUCKET);
    byte[] digest = new byte[32];
    while (true) {
      random.nextBytes(digest);
      PeerId candidate = PeerId.fromMultihash(Multihash.of(Multicodec.SHA2_256.code(), digest));
      if (selfKey.commonPrefixLength(KadKey.of(candidate)) == target) {
        return candidate;
      }
    }
  }

  private LinkedHashMap<PeerId, KadKey> bucketOf(KadKey key) {
    return buckets.get(Math.min(selfKey.commonPrefixLength(key), KadKey.BITS - 1));
  }
}
