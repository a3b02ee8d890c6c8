package io.canopy.p2p.kad;

import java.util.Arrays;

/**
 * {@code Record} of kad-dht §RPC messages: a key, its value and, set by the receiver, the time it
 * was received (RFC 3339 text, or null).
 */
public record KadRecord(byte[] key, byte[] value, String timeReceived) {
  public KadRecord(byte[] key, byte[] value) {
    this(key, value, null);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KadRecord r && Arrays.equals(key, r.key) && Arrays.equals(value, r.value);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(key) + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "KadRecord[" + RecordKeys.describe(key) + ", " + value.length + " bytes]";
  }
}
