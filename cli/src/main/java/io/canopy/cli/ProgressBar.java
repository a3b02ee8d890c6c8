package io.canopy.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar on stderr, redrawn in place with '\r' at most every {@value
 * #REDRAW_MILLIS} ms: {@code 12.0 MiB / 48.0 MiB [=========>                    ]  25%}. Used
 * only when a person is watching stderr and the input is large enough to wait for.
 */
final class ProgressBar implements LongConsumer {
  /** Below this, the work is over before a bar would be read. */
  static final long THRESHOLD_BYTES = 16L * 1024 * 1024;

  static final int REDRAW_MILLIS = 100;
  private static final int WIDTH = 30;

  private final PrintStream err;
  private final long total;
  private final LongSupplier nanoClock;
  private final AtomicLong done = new AtomicLong();
  private long lastDraw = Long.MIN_VALUE;
  private boolean drawn;

  ProgressBar(PrintStream err, long total, LongSupplier nanoClock) {
    this.err = err;
    this.total = total;
    this.nanoClock = nanoClock;
  }

  /** A bar for {@code total} bytes if {@code env} is interactive and the total is large, else a no-op. */
  static ProgressBar forBytes(ProcessEnvironment env, long total) {
    boolean show = env.interactive() && total >= THRESHOLD_BYTES;
    return new ProgressBar(env.stderr(), show ? total : -1, System::nanoTime);
  }

  boolean visible() {
    return total > 0;
  }

  /** Called by the importer, possibly from several threads, with the bytes just read. */
  @Override
  public void accept(long bytes) {
    long now = done.addAndGet(bytes);
    if (!visible()) {
      return;
    }
    synchronized (this) {
      long t = nanoClock.getAsLong();
      if (lastDraw != Long.MIN_VALUE && t - lastDraw < REDRAW_MILLIS * 1_000_000L) {
        return;
      }
      lastDraw = t;
      draw(now);
    }
  }

  /** Draws the final state and ends the line, so that what follows starts on a fresh one. */
  synchronized void finish() {
    if (visible() && drawn) {
      draw(done.get());
      err.print('\n');
      err.flush();
    }
  }

  private void draw(long bytes) {
    err.print('\r');
    err.print(line(bytes, total));
    err.flush();
    drawn = true;
  }

  static String line(long bytes, long total) {
    long shown = Math.min(bytes, total);
    int filled = (int) (WIDTH * shown / total);
    StringBuilder bar = new StringBuilder(WIDTH);
    for (int i = 0; i < WIDTH; i++) {
      bar.append(i < filled ? '=' : i == filled ? '>' : ' ');
    }
    return String.format(Locale.ROOT, "%s / %s [%s] %3d%%", humanBytes(shown), humanBytes(total), bar, 100 * shown / total);
  }

  static String humanBytes(long n) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
