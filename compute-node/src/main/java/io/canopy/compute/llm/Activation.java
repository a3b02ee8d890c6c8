package io.canopy.compute.llm;

/**
 * An input vector to matrix-vector products, with the rounded forms ggml's CPU backend makes of
 * it before a mat-mul: for Q8_0 and Q4_0 weights the vector is quantised to Q8_0 blocks
 * ({@code quantize_row_q8_0}), for F16 weights it is rounded to F16. Doing the same is what lets
 * this engine match llama.cpp on quantised models (see docs/llm-engine.md). The forms are
 * computed once per vector, before any worker thread reads them.
 */
final class Activation {
  static final int Q8_BLOCK = 32;

  final float[] values;
  private final int length;

  private boolean q8Ready;
  private byte[] q8;
  private float[] q8Scale;
  private int[] q8Sum;

  private boolean f16Ready;
  private float[] f16;

  Activation(int length) {
    this.length = length;
    this.values = new float[length];
  }

  int length() {
    return length;
  }

  /** Call after writing {@link #values}. */
  void changed() {
    q8Ready = false;
    f16Ready = false;
  }

  void set(float[] src) {
    System.arraycopy(src, 0, values, 0, length);
    changed();
  }

  /**
   * Q8_0 form, as ggml's x86 {@code quantize_row_q8_0}: per block of 32, {@code amax = max|x|},
   * scale {@code d = amax / 127} stored as F16, {@code q = round(x * (127 / amax))} with
   * round-half-to-even (AVX {@code _MM_ROUND_NEAREST}), saturated to int8.
   */
  void prepareQ8() {
    if (q8Ready) {
      return;
    }
    if (length % Q8_BLOCK != 0) {
      throw new IllegalStateException("vector length " + length + " is not a multiple of " + Q8_BLOCK);
    }
    if (q8 == null) {
      q8 = new byte[length];
      q8Scale = new float[length / Q8_BLOCK];
      q8Sum = new int[length / Q8_BLOCK];
    }
    for (int b = 0; b < length / Q8_BLOCK; b++) {
      int base = b * Q8_BLOCK;
      float amax = 0f;
      for (int j = 0; j < Q8_BLOCK; j++) {
        amax = Math.max(amax, Math.abs(values[base + j]));
      }
      float d = amax / 127f;
      float id = amax != 0f ? 127f / amax : 0f;
      q8Scale[b] = Float16.round(d);
      int sum = 0;
      for (int j = 0; j < Q8_BLOCK; j++) {
        double r = Math.rint(values[base + j] * id);
        byte q = (byte) Math.max(-128, Math.min(127, (int) r));
        q8[base + j] = q;
        sum += q;
      }
      q8Sum[b] = sum;
    }
    q8Ready = true;
  }

  byte[] q8() {
    return q8;
  }

  float[] q8Scale() {
    return q8Scale;
  }

  /** Per Q8_0 block, the exact sum of its 32 quantised values (Q4_0 takes its -8 offset out with it). */
  int[] q8Sum() {
    return q8Sum;
  }

  /** F16-rounded form (ggml converts activations to the weights' F16 type before the dot products). */
  void prepareF16() {
    if (f16Ready) {
      return;
    }
    if (f16 == null) {
      f16 = new float[length];
    }
    for (int i = 0; i < length; i++) {
      f16[i] = Float16.round(values[i]);
    }
    f16Ready = true;
  }

  float[] f16() {
    return f16;
  }
}
