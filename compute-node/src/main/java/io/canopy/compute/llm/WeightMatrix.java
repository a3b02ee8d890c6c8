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
 * <p>Quantised kernels ({@link #dotRows}) copy a tile of consecutive rows from the mapping in one
 * bulk read and compute four rows per pass, so each activation byte loaded serves four rows.
 * Only the exact int32 block sums are reorganised (unrolled, interleaved across rows); each row's
 * float sum still takes its blocks one at a time in block order, {@code sum += (d_w * d_x) * isum},
 * exactly as the one-row {@link #dot}, so a row's result does not depend on which path or tile
 * computed it.
 *
 * <p>Block layouts (ggml-common.h): Q8_0 = {@code f16 d; int8 qs[32]}, value {@code d * qs[j]};
 * Q4_0 = {@code f16 d; uint8 qs[16]}, element {@code j} is {@code d * ((qs[j] & 0xF) - 8)} and
 * element {@code j + 16} is {@code d * ((qs[j] >> 4) - 8)}.
 */
abstract sealed class WeightMatrix permits WeightMatrix.F32, WeightMatrix.F16, WeightMatrix.Quantized {
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

  /**
   * {@code out[r] = dot(r, x)} for every row {@code r} in {@code [from, to)}, bit-identical to
   * calling {@link #dot} per row; the quantised types override it with multi-row kernels.
   */
  void dotRows(int from, int to, Activation x, float[] out, RowScratch scratch) {
    for (int r = from; r < to; r++) {
      out[r] = dot(r, x, scratch);
    }
  }

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

  /**
   * The block-quantised types, multiplied with the Q8_0 form of the activation. {@link #dotRows}
   * copies a tile of consecutive rows from the mapping in one bulk read (one bounds-checked copy
   * per tile instead of per row) and hands the rows to the type's kernel four at a time.
   */
  abstract static sealed class Quantized extends WeightMatrix permits Q8_0, Q4_0 {
    /** Bytes of rows copied per bulk read: a tile that stays in L1 cache. */
    static final int TILE_BYTES = 16 << 10;

    private Quantized(String name, int rows, int cols, Gguf.TensorData data) {
      super(name, rows, cols, data);
    }

    @Override
    final void prepare(Activation x) {
      x.prepareQ8();
    }

    @Override
    final float dot(int row, Activation x, RowScratch scratch) {
      byte[] b = scratch.bytes(rowBytes);
      chunk(row).get(offset(row), b, 0, rowBytes);
      return dot1(b, 0, x);
    }

    @Override
    final void dotRows(int from, int to, Activation x, float[] out, RowScratch scratch) {
      for (int r = from; r < to; ) {
        int n = tileRows(r, to);
        byte[] b = scratch.bytes(n * rowBytes);
        chunk(r).get(offset(r), b, 0, n * rowBytes);
        int i = 0;
        for (; i + 4 <= n; i += 4) {
          dot4Rows(b, i * rowBytes, x, out, r + i);
        }
        for (; i < n; i++) {
          out[r + i] = dot1(b, i * rowBytes, x);
        }
        r += n;
      }
    }

    /**
     * How many rows from {@code row} (below {@code to}) the next tile takes: a multiple of 4 (the
     * kernels' row group) when that many are left, never crossing a mapping chunk.
     */
    private int tileRows(int row, int to) {
      long chunkEnd = ((long) row / rowsPerChunk + 1) * rowsPerChunk;
      int left = (int) Math.min(to, chunkEnd) - row;
      return Math.min(left, Math.max(4, (TILE_BYTES / rowBytes) & ~3));
    }

    /** The row at {@code b[off]} dotted with the prepared {@code x}. */
    abstract float dot1(byte[] b, int off, Activation x);

    /**
     * The four rows at {@code b[off]}, {@code b[off + rowBytes]}, ... into {@code out[o..o+3]},
     * each bit for bit what {@link #dot1} gives: each activation byte is loaded once for the four
     * rows, and as the int sums are exact, how they are interleaved does not matter; each row's
     * float sum is {@link #dot1}'s, block by block.
     */
    abstract void dot4Rows(byte[] b, int off, Activation x, float[] out, int o);

    /** The F16 block scale at {@code b[off]} (little-endian), widened. */
    static float blockScale(byte[] b, int off) {
      return Float16.toFloat((short) ((b[off] & 0xFF) | (b[off + 1] << 8)));
    }
  }

  static final class Q8_0 extends Quantized {
    static final int BLOCK_BYTES = 34;

    Q8_0(String name, int rows, int cols, Gguf.TensorData data) {
      super(name, rows, cols, data);
    }

    @Override
    GgmlType type() {
      return GgmlType.Q8_0;
    }

    /** ggml {@code vec_dot_q8_0_q8_0}: per block, exact int sum of products times {@code d_w * d_x}. */
    @Override
    float dot1(byte[] b, int off, Activation x) {
      byte[] a = x.q8();
      float[] as = x.q8Scale();
      int nb = cols / 32;
      float sum = 0f;
      for (int blk = 0, p = off; blk < nb; blk++, p += BLOCK_BYTES) {
        float d = blockScale(b, p) * as[blk];
        int q = p + 2;
        int ai = blk * 32;
        int isum = 0;
        for (int j = 0; j < 32; j++) {
          isum += b[q + j] * a[ai + j];
        }
        sum += d * isum;
      }
      return sum;
    }

    @Override
    void dot4Rows(byte[] b, int off, Activation x, float[] out, int o) {
      byte[] a = x.q8();
      float[] as = x.q8Scale();
      int nb = cols / 32;
      int rb = rowBytes;
      float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
      for (int blk = 0, p0 = off; blk < nb; blk++, p0 += BLOCK_BYTES) {
        int p1 = p0 + rb, p2 = p1 + rb, p3 = p2 + rb;
        int ai = blk * 32;
        int i0 = 0, i1 = 0, i2 = 0, i3 = 0;
        for (int j = 0; j < 32; j++) {
          int av = a[ai + j];
          i0 += b[p0 + 2 + j] * av;
          i1 += b[p1 + 2 + j] * av;
          i2 += b[p2 + 2 + j] * av;
          i3 += b[p3 + 2 + j] * av;
        }
        float ax = as[blk];
        s0 += (blockScale(b, p0) * ax) * i0;
        s1 += (blockScale(b, p1) * ax) * i1;
        s2 += (blockScale(b, p2) * ax) * i2;
        s3 += (blockScale(b, p3) * ax) * i3;
      }
      out[o] = s0;
      out[o + 1] = s1;
      out[o + 2] = s2;
      out[o + 3] = s3;
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

  static final class Q4_0 extends Quantized {
    static final int BLOCK_BYTES = 18;

    Q4_0(String name, int rows, int cols, Gguf.TensorData data) {
      super(name, rows, cols, data);
    }

    @Override
    GgmlType type() {
      return GgmlType.Q4_0;
    }

    /**
     * ggml {@code vec_dot_q4_0_q8_0}: low nibbles pair with x[0..15], high nibbles with x[16..31].
     * The block's int sum {@code sum_j (nibble_j - 8) * a_j} is computed exactly as
     * {@code sum_j nibble_j * a_j - 8 * sum_j a_j} (integers: any order gives the same).
     */
    @Override
    float dot1(byte[] b, int off, Activation x) {
      byte[] a = x.q8();
      float[] as = x.q8Scale();
      int[] asum = x.q8Sum();
      int nb = cols / 32;
      float sum = 0f;
      for (int blk = 0, p = off; blk < nb; blk++, p += BLOCK_BYTES) {
        float d = blockScale(b, p) * as[blk];
        int q = p + 2;
        int ai = blk * 32;
        int isum = 0;
        for (int j = 0; j < 16; j++) {
          int v = b[q + j];
          isum += (v & 0xF) * a[ai + j] + ((v >> 4) & 0xF) * a[ai + j + 16];
        }
        sum += d * (isum - 8 * asum[blk]);
      }
      return sum;
    }

    @Override
    void dot4Rows(byte[] b, int off, Activation x, float[] out, int o) {
      byte[] a = x.q8();
      float[] as = x.q8Scale();
      int[] asum = x.q8Sum();
      int nb = cols / 32;
      int rb = rowBytes;
      float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
      for (int blk = 0, p0 = off; blk < nb; blk++, p0 += BLOCK_BYTES) {
        int p1 = p0 + rb, p2 = p1 + rb, p3 = p2 + rb;
        int ai = blk * 32;
        int i0 = 0, i1 = 0, i2 = 0, i3 = 0;
        for (int j = 0; j < 16; j++) {
          int lo = a[ai + j];
          int hi = a[ai + j + 16];
          int v0 = b[p0 + 2 + j], v1 = b[p1 + 2 + j], v2 = b[p2 + 2 + j], v3 = b[p3 + 2 + j];
          i0 += (v0 & 0xF) * lo + ((v0 >> 4) & 0xF) * hi;
          i1 += (v1 & 0xF) * lo + ((v1 >> 4) & 0xF) * hi;
          i2 += (v2 & 0xF) * lo + ((v2 >> 4) & 0xF) * hi;
          i3 += (v3 & 0xF) * lo + ((v3 >> 4) & 0xF) * hi;
        }
        int bias = 8 * asum[blk];
        float ax = as[blk];
        s0 += (blockScale(b, p0) * ax) * (i0 - bias);
        s1 += (blockScale(b, p1) * ax) * (i1 - bias);
        s2 += (blockScale(b, p2) * ax) * (i2 - bias);
        s3 += (blockScale(b, p3) * ax) * (i3 - bias);
      }
      out[o] = s0;
      out[o + 1] = s1;
      out[o + 2] = s2;
      out[o + 3] = s3;
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
