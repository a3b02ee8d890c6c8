package io.canopy.interop;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one {@link LoadGenerator} run measured: per operation type the attempts, errors by kind,
 * successful operations per second and the latency of successful operations (p50, p99, max), the
 * totals, and how the gateway process's memory moved during the run ({@link Memory}).
 *
 * @param seconds wall time from the first request to the last virtual user's end
 * @param concurrency virtual users (closed loop: each sends its next request when the last ended)
 * @param ops one line per operation type, in the order they are printed
 * @param total every operation of the run together (its latencies are the overall percentiles)
 * @param memory the gateway's memory samples summarised, or {@code null} if it was not sampled
 * @param memoryNote why memory was not sampled, or what was sampled (pid, method)
 */
record LoadReport(double seconds, int concurrency, List<Op> ops, Op total, Memory memory, String memoryNote) {

  /**
   * One operation type.
   *
   * @param count attempts (successes and errors)
   * @param errors errors by kind ({@code data: …} kinds are wrong answers, the others failures)
   * @param bytes object bytes moved by the successful operations (0 for those that move none)
   * @param p50Ms median latency of the successful operations (NaN if none)
   */
  record Op(String name, long count, Map<String, Long> errors, long bytes, double p50Ms, double p99Ms, double maxMs) {
    long errorCount() {
      return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Wrong answers: bytes that do not hash to what was put, a listing without an acknowledged key, … */
    long dataErrors() {
      return errors.entrySet().stream().filter(e -> e.getKey().startsWith(LoadGenerator.DATA_ERROR))
          .mapToLong(Map.Entry::getValue).sum();
    }

    long ok() {
      return count - errorCount();
    }
  }

  /**
   * The gateway process's memory, sampled every second: heap used after the last GC (from the
   * gateway JVM's own GC notifications, read over JMX) and RSS (VmRSS). The first and last thirds
   * are the samples of the first and last third of the run's time.
   *
   * @param samples how many samples (each with a heap figure: samples before the first GC are left out)
   * @param heapSlopeMibPerMin least-squares slope of heap-after-GC over the run
   * @param marginMib how far the last third's heap median may lie above the first third's and still count as bounded
   */
  record Memory(long pid, int samples, double heapFirstMib, double heapLastMib, double rssFirstMib, double rssLastMib,
                double heapSlopeMibPerMin, double rssSlopeMibPerMin, double heapMaxMib, double marginMib) {
    /** Bounded: the last third's heap-after-GC median is not above the first third's by more than the margin. */
    boolean bounded() {
      return heapLastMib <= heapFirstMib + marginMib;
    }
  }

  long count() {
    return total.count();
  }

  long errorCount() {
    return total.errorCount();
  }

  long dataErrors() {
    return total.dataErrors();
  }

  /** Errors that are not wrong answers (timeouts, 5xx, refused connections, …). */
  long otherErrors() {
    return errorCount() - dataErrors();
  }

  /** All errors over all attempts (0 when nothing ran). */
  double errorRate() {
    return count() == 0 ? 0 : errorCount() / (double) count();
  }

  Op op(String name) {
    return ops.stream().filter(o -> o.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no operation " + name + " in the report"));
  }

  /** The table, the totals, the errors by kind and the memory figures. */
  void print(PrintStream out) {
    out.printf(Locale.ROOT, "load: %d virtual users, %.1f s%n", concurrency, seconds);
    out.printf(Locale.ROOT, "%-14s %8s %8s %8s %9s %9s %9s %8s%n", "op", "count", "ok/s", "MiB/s", "p50 ms", "p99 ms", "max ms",
        "errors");
    for (Op o : java.util.stream.Stream.concat(ops.stream(), java.util.stream.Stream.of(total)).toList()) {
      out.printf(Locale.ROOT, "%-14s %8d %8.1f %8.2f %9.1f %9.1f %9.1f %8d%n", o.name(), o.count(), o.ok() / seconds,
          o.bytes() / seconds / (1 << 20), o.p50Ms(), o.p99Ms(), o.maxMs(), o.errorCount());
    }
    out.printf(Locale.ROOT, "error rate %.3f %% (%d data errors, %d other)%n", 100 * errorRate(), dataErrors(), otherErrors());
    for (Op o : ops) {
      new java.util.TreeMap<>(o.errors()).forEach((kind, n) -> out.printf(Locale.ROOT, "  %s: %d × %s%n", o.name(), n, kind));
    }
    out.println("gateway memory: " + memoryNote);
    if (memory != null) {
      out.printf(Locale.ROOT, "  heap after GC  first third %.1f MiB, last third %.1f MiB (medians), max %.1f MiB, slope %+.2f MiB/min%n",
          memory.heapFirstMib(), memory.heapLastMib(), memory.heapMaxMib(), memory.heapSlopeMibPerMin());
      out.printf(Locale.ROOT, "  RSS            first third %.1f MiB, last third %.1f MiB (medians), slope %+.2f MiB/min%n",
          memory.rssFirstMib(), memory.rssLastMib(), memory.rssSlopeMibPerMin());
      out.printf(Locale.ROOT, "  %d samples with a heap figure; bounded (last third heap <= first third + %.0f MiB): %s%n", memory.samples(),
          memory.marginMib(), memory.bounded());
    }
  }

  void print() {
    print(System.out);
  }
}
