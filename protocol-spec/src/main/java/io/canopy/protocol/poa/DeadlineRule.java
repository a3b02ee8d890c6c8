package io.canopy.protocol.poa;

/**
 * The answer deadline of a storage challenge (spec/proofs.md §5.5): {@code T0 + P / B_min}, where
 * {@code P} is the size of the encoded correct proof. {@code T0} covers one round trip to the
 * validator and local disk reads; {@code B_min} is the upload rate every storage node must reach.
 */
public record DeadlineRule(long baseMillis, long minBytesPerSecond) {
  /** T0 = 2 s. */
  public static final long DEFAULT_BASE_MILLIS = 2_000;
  /** B_min = 4 MiB/s. */
  public static final long DEFAULT_MIN_BYTES_PER_SECOND = 4L * 1024 * 1024;
  public static final DeadlineRule DEFAULT = new DeadlineRule(DEFAULT_BASE_MILLIS, DEFAULT_MIN_BYTES_PER_SECOND);

  public DeadlineRule {
    if (baseMillis < 0 || minBytesPerSecond <= 0) {
      throw new IllegalArgumentException("T0 must be >= 0 and B_min > 0");
    }
  }

  /** {@code T0 + ceil(1000 · bytes / B_min)} milliseconds. */
  public long allowanceMillis(long proofBytes) {
    if (proofBytes < 0) {
      throw new IllegalArgumentException("bytes must not be negative: " + proofBytes);
    }
    long scaled = Math.multiplyExact(proofBytes, 1000L);
    return baseMillis + (scaled + minBytesPerSecond - 1) / minBytesPerSecond;
  }

  /** Whether an answer of {@code proofBytes} that arrived {@code elapsedMillis} after issue is in time. */
  public boolean inTime(long elapsedMillis, long proofBytes) {
    return elapsedMillis <= allowanceMillis(proofBytes);
  }
}
