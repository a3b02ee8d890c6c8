package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A point of the DHT's keyspace: SHA-256 of a key's bytes (kad-dht §Distance: the distance of two
 * keys is XOR(sha256(key1), sha256(key2))). Peers are placed by SHA-256 of their binary peer ID,
 * provider records by SHA-256 of the multihash, values by SHA-256 of the record key.
 */
public final class KadKey {
  public static final int BITS = 256;
  private final byte[] hash;

  private KadKey(byte[] hash) {
    this.hash = hash;
  }

  /** The keyspace point of arbitrary key bytes. */
  public static KadKey of(byte[] key) {
    try {
      return new KadKey(MessageDigest.getInstance("SHA-256").digest(key));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  public static KadKey of(PeerId peer) {
    return of(peer.toBytes());
  }

  byte[] hash() {
    return hash.clone();
  }

  /** Number of leading bits this key shares with {@code other}: 256 for the same key. */
  public int commonPrefixLength(KadKey other) {
    for (int i = 0; i < hash.length; i++) {
      int x = (hash[i] ^ other.hash[i]) & 0xFF;
      if (x != 0) {
        return i * 8 + Integer.numberOfLeadingZeros(x) - 24;
      }
    }
    return BITS;
  }

  /**
   * Compares the XOR distances of {@code a} and {@code b} to this key: negative if {@code a} is
   * closer. Unsigned, byte by byte from the most significant.
   */
  public int compareDistance(KadKey a, KadKey b) {
    for (int i = 0; i < hash.length; i++) {
      int da = (a.hash[i] ^ hash[i]) & 0xFF;
      int db = (b.hash[i] ^ hash[i]) & 0xFF;
      if (da != db) {
        return Integer.compare(da, db);
      }
    }
    return 0;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KadKey k && Arrays.equals(hash, k.hash);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(hash);
  }

  @Override
  public String toString() {
    return HexFormat.of().formatHex(hash, 0, 8) + "…";
  }
}
