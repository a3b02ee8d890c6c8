package io.canopy.protocol.epoch;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Reproducible random choices from a beacon (spec/epochs.md §4.3): a {@link #seed} names one use
 * of one beacon, and {@link #uniform} and {@link #chance} draw from it without modulo bias, so
 * that anyone can recompute every challenge and every sample.
 */
public final class Draw {
  private static final long PPM = 1_000_000L;

  private Draw() {}

  /** {@code SHA-256(domain ‖ beacon ‖ len(part) ‖ part ‖ …)}, lengths as 4 bytes big-endian. */
  public static byte[] seed(String domain, Beacon beacon, byte[]... parts) {
    MessageDigest d = Beacon.sha256();
    d.update(domain.getBytes(StandardCharsets.US_ASCII));
    d.update(beacon.bytes());
    for (byte[] part : parts) {
      d.update(ByteBuffer.allocate(4).putInt(part.length).array());
      d.update(part);
    }
    return d.digest();
  }

  /** The first 8 bytes, as an unsigned big-endian number, of {@code SHA-256(seed ‖ u32(j) ‖ u32(attempt))}. */
  public static long word(byte[] seed, int j, int attempt) {
    MessageDigest d = Beacon.sha256();
    d.update(seed);
    d.update(ByteBuffer.allocate(8).putInt(j).putInt(attempt).array());
    return ByteBuffer.wrap(d.digest()).getLong();
  }

  /** Draw {@code j}: uniform in {@code [0, n)} for {@code 0 < n < 2^63}, by rejecting the words that would bias the modulo. */
  public static long uniform(byte[] seed, int j, long n) {
    if (n <= 0) {
      throw new IllegalArgumentException("n must be positive: " + n);
    }
    // Words at or above 2^64 - (2^64 mod n) are rejected: what remains is a whole number of n-cycles.
    long limit = -Long.remainderUnsigned(-1L, n) - 1; // 2^64 - (2^64 mod n), as an unsigned number (0 means 2^64)
    long rem = Long.remainderUnsigned(-1L, n) + 1; // (2^64 - 1) mod n + 1 = 2^64 mod n, or n when n divides 2^64
    for (int attempt = 0; ; attempt++) {
      long w = word(seed, j, attempt);
      if (rem == n || Long.compareUnsigned(w, limit) < 0) {
        return Long.remainderUnsigned(w, n);
      }
    }
  }

  /** Draw {@code j} is a hit with probability {@code ppm} / 1 000 000. */
  public static boolean chance(byte[] seed, int j, long ppm) {
    if (ppm < 0 || ppm > PPM) {
      throw new IllegalArgumentException("ppm must be 0..1000000: " + ppm);
    }
    return uniform(seed, j, PPM) < ppm;
  }
}
