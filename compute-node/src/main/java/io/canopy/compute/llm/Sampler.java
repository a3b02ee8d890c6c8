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
 */
public final class Sampler {
  private final double temperature;
  private final double topP;
  private final int topK;
  private final Xoshiro256StarStar random;

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
    long[] order = new long[n];
    for (int i = 0; i < n; i++) {
      order[i] = ((long) descendingKey(logits[i]) << 32) | i;
    }
    Arrays.sort(order);
    int k = topK > 0 ? Math.min(topK, n) : n;
    double max = logits[(int) order[0]];
    double[] w = new double[k];
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
