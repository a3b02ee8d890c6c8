package io.canopy.compute.llm;

import java.util.Arrays;

/**
 * Picks the next token from logits, deterministically for a given seed. The procedure is part of
 * the spec (docs/llm-engine.md):
 *
 * <ol>
 *   <li>temperature 0: the arg-max, the lowest id on ties;</li>
 *   <li>otherwise candidates are ordered by logit descending, id ascending; the first
 *       {@code topK} are kept (0: all);</li>
 *   <li>weights {@code w_i = exp((l_i - l_max) / T)} in double with {@link StrictMath#exp}, summed
 *       in candidate order; with {@code topP < 1} the shortest prefix whose weight reaches
 *       {@code topP} of the total is kept;</li>
 *   <li>{@code u = nextDouble() * kept_total}; the first candidate whose running weight exceeds
 *       {@code u} is chosen.</li>
 * </ol>
 *
 * <p>Candidates are ordered by a unique key per id (logit descending, then id), so "the first
 * {@code topK}" is one exact set whatever algorithm finds it: with {@code topK} set, a selection
 * finds them and only those are sorted, instead of sorting the whole vocabulary per token.
 */
public final class Sampler {
  private final double temperature;
  private final double topP;
  private final int topK;
  private final Xoshiro256StarStar random;
  // buffers reused from token to token
  private long[] order = new long[0];
  private double[] weights = new double[0];

  public Sampler(GenerationParams params) {
    this.temperature = params.temperature();
    this.topP = params.topP();
    this.topK = params.topK();
    this.random = new Xoshiro256StarStar(params.seed());
  }

  public int sample(float[] logits) {
    return sample(logits, logits.length);
  }

  int sample(float[] logits, int n) {
    if (temperature == 0) {
      return argmax(logits, n);
    }
    if (order.length < n) {
      order = new long[n];
    }
    long[] order = this.order;
    for (int i = 0; i < n; i++) {
      order[i] = ((long) descendingKey(logits[i]) << 32) | i;
    }
    int k = topK > 0 ? Math.min(topK, n) : n;
    if (k < n) {
      selectSmallest(order, n, k);
    }
    Arrays.sort(order, 0, k);
    double max = logits[(int) order[0]];
    if (weights.length < k) {
      weights = new double[k];
    }
    double[] w = weights;
    double total = 0;
    for (int i = 0; i < k; i++) {
      w[i] = StrictMath.exp((logits[(int) order[i]] - max) / temperature);
      total += w[i];
    }
    if (topP < 1) {
      double target = topP * total;
      double run = 0;
      int keep = k;
      for (int i = 0; i < k; i++) {
        run += w[i];
        if (run >= target) {
          keep = i + 1;
          break;
        }
      }
      k = keep;
      total = run;
    }
    double u = random.nextDouble() * total;
    double run = 0;
    for (int i = 0; i < k; i++) {
      run += w[i];
      if (run > u) {
        return (int) order[i];
      }
    }
    return (int) order[k - 1];
  }

  /** Index of the largest logit, the lowest index on ties (as llama.cpp's greedy sampler). */
  public static int argmax(float[] logits, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }

  /**
   * Moves the {@code k} smallest of {@code a[0..n)} (distinct values) into {@code a[0..k)}, in
   * some order: quickselect with a median-of-three pivot, falling back to a full sort of the
   * remaining range on unlucky inputs so the worst case stays {@code O(n log n)}.
   */
  static void selectSmallest(long[] a, int n, int k) {
    int lo = 0;
    int hi = n - 1;
    int budget = 2 * (32 - Integer.numberOfLeadingZeros(n));
    while (lo < hi) {
      if (budget-- == 0) {
        Arrays.sort(a, lo, hi + 1);
        return;
      }
      int mid = (lo + hi) >>> 1;
      long x = a[lo], y = a[mid], z = a[hi];
      long pivot = x < y ? (y < z ? y : Math.max(x, z)) : (x < z ? x : Math.max(y, z));
      int i = lo;
      int j = hi;
      while (i <= j) { // Hoare partition: a[lo..j] <= pivot <= a[i..hi]
        while (a[i] < pivot) {
          i++;
        }
        while (a[j] > pivot) {
          j--;
        }
        if (i <= j) {
          long t = a[i];
          a[i] = a[j];
          a[j] = t;
          i++;
          j--;
        }
      }
      if (k - 1 <= j) {
        hi = j;
      } else if (k - 1 >= i) {
        lo = i;
      } else {
        return; // a[j+1..i-1] equal the pivot, and k - 1 lies there
      }
    }
  }

  /** An int that sorts ascending as the float sorts descending (NaN last). */
  private static int descendingKey(float f) {
    if (Float.isNaN(f)) {
      return Integer.MAX_VALUE;
    }
    int bits = Float.floatToIntBits(f == 0f ? 0f : f);
    int ascending = bits >= 0 ? bits : bits ^ 0x7FFFFFFF; // monotone in f as a signed int
    return ~ascending;
  }
}
