package io.canopy.p2p;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

/**
 * What the abuse tests measure: the latency of an honest operation repeated before and during an
 * attack, and the p50/p99 comparison they print (figures, never asserted on: the machine is shared).
 */
public final class HonestLatency {
  private HonestLatency() {}

  /**
   * Runs {@code op} at least {@code min} times, then until {@code done} or {@code deadlineNanos};
   * returns each run's nanoseconds. An {@code op} that throws fails the caller.
   */
  public static long[] measure(Callable<?> op, int min, BooleanSupplier done, long deadlineNanos) throws Exception {
    List<Long> nanos = new ArrayList<>();
    while (nanos.size() < min || (!done.getAsBoolean() && System.nanoTime() < deadlineNanos)) {
      long t0 = System.nanoTime();
      op.call();
      nanos.add(System.nanoTime() - t0);
    }
    return nanos.stream().mapToLong(Long::longValue).toArray();
  }

  /** {@code p50 X ms / p99 Y ms before (n), p50 … during (n), ratio p50 Rx p99 Rx}. */
  public static String compare(long[] before, long[] during) {
    return String.format(Locale.ROOT, "p50 %.2f ms / p99 %.2f ms before (%d), p50 %.2f ms / p99 %.2f ms during (%d), "
            + "ratio p50 %.1fx p99 %.1fx", ms(percentile(before, 50)), ms(percentile(before, 99)), before.length,
        ms(percentile(during, 50)), ms(percentile(during, 99)), during.length,
        (double) percentile(during, 50) / percentile(before, 50), (double) percentile(during, 99) / percentile(before, 99));
  }

  /** The nearest-rank percentile {@code p} of {@code values}. */
  public static long percentile(long[] values, int p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }
}
