package io.canopy.compute.llm;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.function.IntConsumer;

/**
 * Runs matrix-vector products over several threads by splitting the <em>output rows</em> only:
 * every dot product is computed whole by one thread, in the same order as single-threaded, so
 * the result does not depend on the thread count or scheduling. Reductions are never split.
 */
final class RowParallel implements AutoCloseable {
  /** Below this many multiply-adds a product runs on the calling thread (forking costs more). */
  static final long MIN_PARALLEL_WORK = 1 << 16;

  private final int threads;
  private final ForkJoinPool pool;

  RowParallel(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1: " + threads);
    }
    this.threads = threads;
    this.pool = threads == 1 ? null : new ForkJoinPool(threads);
  }

  int threads() {
    return threads;
  }

  void matVec(WeightMatrix w, Activation x, float[] out) {
    if (x.length() != w.cols) {
      throw new IllegalArgumentException(w.name + ": " + w.cols + " columns, vector of " + x.length());
    }
    w.prepare(x);
    if (pool == null || (long) w.rows * w.cols < MIN_PARALLEL_WORK) {
      rows(w, x, out, 0, w.rows);
      return;
    }
    int grain = Math.max(16, w.rows / (threads * 4));
    pool.invoke(new Rows(w, x, out, 0, w.rows, grain));
  }

  /**
   * Runs {@code task.accept(i)} for {@code i} in {@code [0, n)}, each index wholly on one thread;
   * in parallel only when {@code work} (multiply-adds in total) makes it worthwhile.
   */
  void forEach(int n, long work, IntConsumer task) {
    if (pool == null || work < MIN_PARALLEL_WORK || n == 1) {
      for (int i = 0; i < n; i++) {
        task.accept(i);
      }
      return;
    }
    pool.invoke(new Indices(task, 0, n));
  }

  private static final class Indices extends RecursiveAction {
    private final IntConsumer task;
    private final int from;
    private final int to;

    Indices(IntConsumer task, int from, int to) {
      this.task = task;
      this.from = from;
      this.to = to;
    }

    @Override
    protected void compute() {
      if (to - from == 1) {
        task.accept(from);
        return;
      }
      int mid = (from + to) >>> 1;
      invokeAll(new Indices(task, from, mid), new Indices(task, mid, to));
    }
  }

  /** Row buffers per thread, kept across products (a tile is allocated once, not per product). */
  private static final ThreadLocal<RowScratch> SCRATCH = ThreadLocal.withInitial(RowScratch::new);

  private static void rows(WeightMatrix w, Activation x, float[] out, int from, int to) {
    w.dotRows(from, to, x, out, SCRATCH.get());
  }

  private static final class Rows extends RecursiveAction {
    private final WeightMatrix w;
    private final Activation x;
    private final float[] out;
    private final int from;
    private final int to;
    private final int grain;

    Rows(WeightMatrix w, Activation x, float[] out, int from, int to, int grain) {
      this.w = w;
      this.x = x;
      this.out = out;
      this.from = from;
      this.to = to;
      this.grain = grain;
    }

    @Override
    protected void compute() {
      if (to - from <= grain) {
        rows(w, x, out, from, to);
        return;
      }
      int mid = ((from + to) >>> 1) & ~3; // a multiple of 4: the kernels compute rows in fours
      invokeAll(new Rows(w, x, out, from, mid, grain), new Rows(w, x, out, mid, to, grain));
    }
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdown();
    }
  }
}
