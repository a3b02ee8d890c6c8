package io.canopy.p2p.kad;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The values this node holds (PUT_VALUE / GET_VALUE). Every value is validated before it is
 * stored; a value replaces the stored one only if its validator selects it, so a stale or equal
 * sequence is refused. Bounded in count and age. Thread-safe; no I/O.
 */
final class RecordStore {
  private record Stored(byte[] value, Instant received) {}

  private final RecordValidation validation;
  private final int maxRecords;
  private final Duration ttl;
  private final Clock clock;
  /** Keys as ISO-8859-1 strings: a one-to-one map of bytes to chars, usable as a map key. */
  private final Map<String, Stored> records = new LinkedHashMap<>();

  RecordStore(RecordValidation validation, int maxRecords, Duration ttl, Clock clock) {
    this.validation = validation;
    this.maxRecords = maxRecords;
    this.ttl = ttl;
    this.clock = clock;
  }

  /**
   * Stores {@code value} under {@code key} if it is valid and better than what is stored (the same
   * bytes again are accepted: re-publishing is idempotent). Throws {@link InvalidRecordException}
   * with the reason otherwise, or when the store is full.
   */
  synchronized void put(byte[] key, byte[] value) {
    validation.validate(key, value);
    String k = mapKey(key);
    Instant now = clock.instant();
    Stored existing = live(k, now);
    if (existing != null && !Arrays.equals(existing.value, value)
        && validation.select(key, List.of(existing.value, value)) == 0) {
      throw new InvalidRecordException("record " + RecordKeys.describe(key) + " is not newer than the one stored (stale sequence?)");
    }
    if (existing == null && records.size() >= maxRecords) {
      sweep(now);
      if (records.size() >= maxRecords) {
        throw new InvalidRecordException("record store is full (" + maxRecords + " records)");
      }
    }
    records.put(k, new Stored(value.clone(), now));
  }

  /** The live record under {@code key}, with its time of receipt. */
  synchronized Optional<KadRecord> get(byte[] key) {
    Stored s = live(mapKey(key), clock.instant());
    return s == null ? Optional.empty() : Optional.of(new KadRecord(key.clone(), s.value.clone(), s.received.toString()));
  }

  synchronized int size() {
    return records.size();
  }

  synchronized void sweep(Instant now) {
    records.values().removeIf(s -> expired(s, now));
  }

  private Stored live(String key, Instant now) {
    Stored s = records.get(key);
    if (s != null && expired(s, now)) {
      records.remove(key);
      return null;
    }
    return s;
  }

  private boolean expired(Stored s, Instant now) {
    return !s.received.plus(ttl).isAfter(now);
  }

  static String mapKey(byte[] key) {
    return new String(key, StandardCharsets.ISO_8859_1);
  }
}
