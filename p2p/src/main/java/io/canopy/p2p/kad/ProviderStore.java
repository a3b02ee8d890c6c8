package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import io.canopy.multiformats.Multihash;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Provider records (ADD_PROVIDER / GET_PROVIDERS): for each multihash, the peers that said they
 * provide it, each until its record expires (kad-dht §Content provider advertisement: 48 h in
 * IPFS). A re-announcement renews the record. Bounded in total and per key: when full, newcomers
 * are refused (existing records are not evicted, so a flood cannot push out honest providers
 * before they expire). Thread-safe; no I/O.
 */
final class ProviderStore {
  private final int maxRecords;
  private final int maxPerKey;
  private final Duration ttl;
  private final Clock clock;
  private final Map<String, LinkedHashMap<PeerId, Instant>> byKey = new HashMap<>();
  private int total;

  ProviderStore(int maxRecords, int maxPerKey, Duration ttl, Clock clock) {
    this.maxRecords = maxRecords;
    this.maxPerKey = maxPerKey;
    this.ttl = ttl;
    this.clock = clock;
  }

  /** Records (or renews) {@code provider} for {@code key}; false if a limit refused it. */
  synchronized boolean add(Multihash key, PeerId provider) {
    Instant now = clock.instant();
    String k = RecordStore.mapKey(key.toBytes());
    LinkedHashMap<PeerId, Instant> providers = byKey.get(k);
    if (providers != null && providers.containsKey(provider)) {
      providers.put(provider, now.plus(ttl));
      return true;
    }
    if (total >= maxRecords) {
      sweep();
    }
    if (total >= maxRecords) {
      return false;
    }
    if (providers == null) {
      providers = new LinkedHashMap<>();
      byKey.put(k, providers);
    } else {
      dropExpired(providers, now);
    }
    if (providers.size() >= maxPerKey) {
      return false;
    }
    providers.put(provider, now.plus(ttl));
    total++;
    return true;
  }

  /** The providers of {@code key} whose records have not expired, in the order they were first added. */
  synchronized List<PeerId> get(Multihash key) {
    String k = RecordStore.mapKey(key.toBytes());
    LinkedHashMap<PeerId, Instant> providers = byKey.get(k);
    if (providers == null) {
      return List.of();
    }
    dropExpired(providers, clock.instant());
    if (providers.isEmpty()) {
      byKey.remove(k);
      return List.of();
    }
    return new ArrayList<>(providers.keySet());
  }

  /** Number of provider records held, expired ones not yet swept included. */
  synchronized int size() {
    return total;
  }

  /** Drops every expired record. */
  synchronized void sweep() {
    Instant now = clock.instant();
    for (Iterator<LinkedHashMap<PeerId, Instant>> it = byKey.values().iterator(); it.hasNext(); ) {
      LinkedHashMap<PeerId, Instant> providers = it.next();
      dropExpired(providers, now);
      if (providers.isEmpty()) {
        it.remove();
      }
    }
  }

  private void dropExpired(LinkedHashMap<PeerId, Instant> providers, Instant now) {
    for (Iterator<Instant> it = providers.values().iterator(); it.hasNext(); ) {
      if (!it.next().isAfter(now)) {
        it.remove();
        total--;
      }
    }
  }
}
