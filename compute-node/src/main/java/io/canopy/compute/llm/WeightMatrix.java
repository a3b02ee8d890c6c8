package io.canopy.compute.llm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * A 2-D weight tensor read straight from the memory-mapped GGUF file: {@code rows} rows of
 * {@code cols} elements (ggml {@code ne[1]} x {@code ne[0]}). Dot products run on the stored
 * encoding; each one is computed by one thread in a fixed order (four interleaved float
 * accumulators for float types, exact int32 sums per 32-block for quantised types), so results
 * are bit-identical on every JVM and CPU.
 *
 * <p>Block layouts (ggml-common.h): Q8_0 = {@code f16 d; int8 qs[32]}, value {@code d * qs[j]};
 * Q4_0 = {@code f16 d; uint8 qs[16]}, element {@code j} is {@code d * ((qs[j] & 0xF) - 8)} and
 * element {@code j + 16} is {@code d * ((qs[j] >> 4) - 8)}.
 */
abstract sealed class WeightMatrix permits WeightMatrix.F32, WeightMatrix.F16, WeightMatrix.Q8_0, WeightMatrix.Q4_0 {
  final String name;
  final int rows;
  final int cols;
  final ByteBuffer[] chunks;
  final int rowsPerChunk;
  final int rowBytes;

  private WeightMatrix(String name, int rows, int cols, Gguf.TensorData data) {
    this.name = name;
    this.rows = rows;
    this.cols = cols;
    this.chunks = data.chunks();
    this.rowsPerChunk = data.rowsPerChunk();
    this.rowBytes = data.rowBytes();
  }

  static WeightMatrix load(Gguf gguf, GgufTensorInfo t) throws IOException {
    if (t.dims().length > 2 && (t.dims()[2] != 1 || (t.dims().length > 3 && t.dims()[3] != 1))) {
      throw new GgufFormatException("tensor '" + t.name() + "' is not 2-D");
    }
    if (!t.type().computable()) {
      throw new GgufFormatException("tensor '" + t.name() + "' has type " + t.type()
          + "; this engine supports F32, F16, Q8_0 and Q4_0 weights");
    }
    if (t.rows() > Integer.MAX_VALUE || t.columns() > Integer.MAX_VALUE) {
      throw new GgufFormatException("tensor '" + t.name() + "' is too large");
    }
    int rows = (int) t.rows();
    int cols = (int) t.columns();
    Gguf.TensorData data = gguf.map(t);
    return switch (t.type()) {
      case F32 -> new F32(t.name(), rows, cols, data);
      case F16 -> new F16(t.name(), rows, cols, data);
      case Q8_0 -> new Q8_0(t.name(), rows, cols, data);
      case Q4_0 -> new Q4_0(t.name(), rows, cols, data);
      default -> throw new AssertionError(t.type());
    };
  }

  abstract GgmlType type();

  /** Brings {@code x} into the form this type multiplies with; call once before the dot products. */
  abstract void prepare(Activation x);

  /** Row {@code row} dotted with the prepared {@code x}. */
  final float dot(int row, Activation x) {
    return dot(row, x, new RowScratch());
  }

  /**
   * Row {@code row} dotted with the prepared {@code x}; the row is first copied in bulk from the
   * mapping into {@code scratch} (owned by the calling thread), then multiplied from plain arrays.
   */
  abstract float dot(int row, Activation x, RowScratch scratch);

  /** Row {@code row} as floats, exactly as ggml dequantises it. */
  abstract void dequantizeRow(int row, float[] dst);

  /**
   * The float dot product of the float types, in a fixed order: four accumulators take elements
   * {@code i mod 4}; elements past the last multiple of 4 go into the first; the result is
   * {@code (s0 + s1) + (s2 + s3)}.
   */
  static float dot4(float[] w, float[] v, int n) {
    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += w[i] * v[i];
      s1 += w[i + 1] * v[i + 1];
      s2 += w[i + 2] * v[i + 2];
      s3 += w[i + 3] * v[i + 3];
    }
    for (; i < n; i++) {
      s0 += w[i] * v[i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  final ByteBuffer chunk(int row) {
    return chunks[row / rowsPerChunk];
  }

  final int offset(int row) {
    return (row % rowsPerChunk) * rowBytes;
  }

  static final class F32 extends WeightMatrix {
    private final FloatBuffer[] floats;

    F32(String name, int rows, int cols, Gguf.TensorData data) {
      super(name, rows, cols, data);
      floats = new FloatBuffer[chunks.length];
      for (int i = 0; i < chunks.length; i++) {
        floats[i] = chunks[i].asFloatBuffer();
      }
    }

    @Override
    GgmlType type() {
      return GgmlType.F32;
    }

    @Override
    void prepare(Activation x) {}

    @Override
    float dot(int row, Activation x, RowScratch scratch) {
      float[] w = scratch.floats(cols);
      floats[row / rowsPerChunk].get((row % rowsPerChunk) * cols, w, 0, cols);
      return dot4(w, x.values, cols);
    }

    @Override
    void dequantizeRow(int row, float[] dst) {
      floats[row / rowsPerChunk].get((row % rowsPerChunk) * cols, dst, 0, cols);
    }
  }

  static final class F16 extends WeightMatrix {
    private final ShortBuffer[] halves;

    F16(String name, int rows, int cols, Gguf.TensorData data) {
      super(name, rows, cols, data);
      halves = new ShortBuffer[chunks.length];
      for (int i = 0; i < chunks.length; i++) {
        halves[i] = chunks[i].asShortBuffer();
      }
    }

    @Override
    GgmlType type() {
      return GgmlType.F16;
    }

    @Override
    void prepare(Activation x) {
      x.prepareF16();
    }

    @Override
    float dot(int row, Activation x, RowScratch scratch) {
      short[] h = scratch.halves(cols);
      halves[row / rowsPerChunk].get((row % rowsPerChunk) * cols, h, 0, cols);
      float[] w = scratch.floats(cols);
      for (int i = 0; i < cols; i++) {
        w[i] = Float16.toFloat(h[i]);
      }
      return dot4(w, x.f16(), cols);
    }

    @Override
    void dequantizeRow(int row, float[] dst) {
      ShortBuffer w = halves[row / rowsPerChunk];
      int off = (row % rowsPerChunk) * cols;
      for (int i = 0; i < cols; i++) {
        dst[i] = Float16.toFloat(w.get(off + i));
      }
    }
  }

  static final class Q8_0 extends WeightMatrix {
    static final int BLOCK_BYTES = 34;

    Q8_0(String name, int rows, int cols, Gguf.TensorData data) {
      super(name, rows, cols, data);
    }

    @Override
    GgmlType type() {
      return GgmlType.Q8_0;
    }

    @Override
    void prepare(Activation x) {
      x.prepareQ8();
    }

    /** ggml {@code vec_dot_q8_0_q8_0}: per block, exact int sum of products times {@code d_w * d_x}. */
    @Override
    float dot(int row, Activation x, RowScratch scratch) {
      byte[] b = scratch.bytes(rowBytes);
      chunk(row).get(offset(row), b, 0, rowBytes);
      byte[] a = x.q8();
      float[] as = x.q8Scale();
      int nb = cols / 32;
      float sum = 0f;
      for (int blk = 0, off = 0; blk < nb; blk++, off += BLOCK_BYTES) {
        float d = Float16.toFloat((short) ((b[off] & 0xFF) | (b[off + 1] << 8))) * as[blk];
        int p = off + 2;
        int ai = blk * 32;
        int isum = 0;
        for (int j = 0; j < 32; j++) {
          isum += b[p + j] * a[ai + j];
        }
        sum += d * isum;
      }
      return sum;
    }

    @Override
    void dequantizeRow(int row, float[] dst) {
      ByteBuffer b = chunk(row);
      int off = offset(row);
      for (int blk = 0; blk < cols / 32; blk++, off += BLOCK_BYTES) {
        float d = Float16.toFloat(b.getShort(off));
        for (int j = 0; j < 32; j++) {
          dst[blk * 32 + j] = b.get(off + 2 + j) * d;
        }
      }
    }
  }

  static final class Q4_0 extends WeightMatrix {
    static final int BLOCK_BYTES = 18;

    Q4_0(String name, int rows, int cols, Gguf.TensorData data) {
      super(name, rows, cols, data);
    }

    @Override
    GgmlType type() {
      return GgmlType.Q4_0;
    }

    @Override
    void prepare(Activation x) {
      x.prepareQ8();
    }

    /** ggml {@code vec_dot_q4_0_q8_0}: low nibbles pair with x[0..15], high nibbles with x[16..31]. */
    @Override
    float dot(int row, Activation x, RowScratch scratch) {
      byte[] b = scratch.bytes(rowBytes);
      chunk(row).get(offset(row), b, 0, rowBytes);
      byte[] a = x.q8();
      float[] as = x.q8Scale();
      int nb = cols / 32;
      float sum = 0f;
      for (int blk = 0, off = 0; blk < nb; blk++, off += BLOCK_BYTES) {
        float d = Float16.toFloat((short) ((b[off] & 0xFF) | (b[off + 1] << 8))) * as[blk];
        int p = off + 2;
        int ai = blk * 32;
        int isum = 0;
        for (int j = 0; j < 16; j++) {
          int q = b[p + j] & 0xFF;
          isum += ((q & 0xF) - 8) * a[ai + j] + ((q >>> 4) - 8) * a[ai + j + 16];
        }
        sum += d * isum;
      }
      return sum;
    }

    @Override
    void dequantizeRow(int row, float[] dst) {
      ByteBuffer b = chunk(row);
      int off = offset(row);
      for (int blk = 0; blk < cols / 32; blk++, off += BLOCK_BYTES) {
        float d = Float16.toFloat(b.getShort(off));
        for (int j = 0; j < 16; j++) {
          int q = b.get(off + 2 + j) & 0xFF;
          dst[blk * 32 + j] = ((q & 0xF) - 8) * d;
          dst[blk * 32 + j + 16] = ((q >>> 4) - 8) * d;
        }
      }
    }
  }
}
