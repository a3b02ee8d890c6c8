package io.canopy.protocol.epoch;

/**
 * A network's epochs (spec/epochs.md §4.1): epoch {@code e} is {@code [genesis + e·length,
 * genesis + (e+1)·length)} in Unix milliseconds.
 */
public record EpochClock(long genesisMillis, long lengthMillis) {
  /** One hour: the default epoch length. */
  public static final long DEFAULT_LENGTH_MILLIS = 3_600_000L;

  public EpochClock {
    if (genesisMillis < 0 || lengthMillis <= 0) {
      throw new IllegalArgumentException("genesis must be >= 0 and the epoch length > 0");
    }
  }

  /** The epoch {@code millis} falls in, or -1 before genesis. */
  public long epochAt(long millis) {
    return millis < genesisMillis ? -1 : (millis - genesisMillis) / lengthMillis;
  }

  public long startMillis(long epoch) {
    check(epoch);
    return Math.addExact(genesisMillis, Math.multiplyExact(epoch, lengthMillis));
  }

  /** The first millisecond after the epoch. */
  public long endMillis(long epoch) {
    return startMillis(Math.addExact(epoch, 1));
  }

  /** Whether the epoch's end has passed at {@code nowMillis}. */
  public boolean isClosed(long epoch, long nowMillis) {
    return nowMillis >= endMillis(epoch);
  }

  private static void check(long epoch) {
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch " + epoch);
    }
  }
}
