package io.canopy.compute.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Block layouts of F16, Q8_0 and Q4_0, activation rounding, and the quantised dot products. */
class GgufDequantizationTest {
  @TempDir
  Path dir;

  @Test
  void float16RoundTripsEveryValueAndRoundsHalfToEven() {
    for (int h = 0; h < 65536; h++) {
      int exp = (h >>> 10) & 0x1F;
      if (exp == 0x1F && (h & 0x3FF) != 0) {
        continue; // NaN payloads
      }
      assertThat(Float16.fromFloat(Float16.toFloat((short) h)) & 0xFFFF).as("half 0x%04x", h).isEqualTo(h);
    }
    for (int h = 0; h < 0x7BFF; h++) {
      float lo = Float16.toFloat((short) h);
      float hi = Float16.toFloat((short) (h + 1));
      float mid = (lo + hi) / 2; // exact: halves have 11 significant bits
      int even = (h & 1) == 0 ? h : h + 1;
      assertThat(Float16.fromFloat(mid) & 0xFFFF).as("midpoint above 0x%04x", h).isEqualTo(even);
      assertThat(Float16.fromFloat(Math.nextDown(mid)) & 0xFFFF).isEqualTo(h);
      assertThat(Float16.fromFloat(Math.nextUp(mid)) & 0xFFFF).isEqualTo(h + 1);
    }
    assertThat(Float16.toFloat((short) 0x3C00)).isEqualTo(1f);
    assertThat(Float16.toFloat((short) 0xC000)).isEqualTo(-2f);
    assertThat(Float16.toFloat((short) 0x0001)).isEqualTo(0x1p-24f);
    assertThat(Float16.fromFloat(65519f) & 0xFFFF).isEqualTo(0x7BFF); // 65504
    assertThat(Float16.fromFloat(65520f) & 0xFFFF).isEqualTo(0x7C00); // tie to even: infinity
    assertThat(Float16.fromFloat(0x1p-25f) & 0xFFFF).isZero(); // tie to even: zero
    assertThat(Float16.fromFloat(Math.nextUp(0x1p-25f)) & 0xFFFF).isEqualTo(1);
  }

  @Test
  void activationQuantisesToQ8_0WithTiesToEven() {
    Activation a = new Activation(32);
    a.values[0] = 127f; // amax: scale 1, multiplier 1
    a.values[1] = 0.5f;
    a.values[2] = 1.5f;
    a.values[3] = 2.5f;
    a.values[4] = -0.5f;
    a.values[5] = -3.5f;
    a.values[6] = -127f;
    a.changed();
    a.prepareQ8();
    assertThat(a.q8Scale()).containsExactly(1f);
    assertThat(new byte[] {a.q8()[0], a.q8()[1], a.q8()[2], a.q8()[3], a.q8()[4], a.q8()[5], a.q8()[6]})
        .containsExactly(127, 0, 2, 2, 0, -4, -127);
    // the scale is stored as F16: amax/127 rounded
    a.values[0] = 100f;
    a.values[6] = 0f;
    a.changed();
    a.prepareQ8();
    assertThat(a.q8Scale()[0]).isEqualTo(Float16.round(100f / 127f));
    assertThat(a.q8()[0]).isEqualTo((byte) 127);
    Activation zero = new Activation(32);
    zero.prepareQ8();
    assertThat(zero.q8Scale()).containsExactly(0f);
    assertThat(zero.q8()).containsOnly(0);
  }

  @Test
  void q8_0AndQ4_0BlocksDequantiseAsGgmlDefines() throws IOException {
    ByteBuffer q8 = ByteBuffer.allocate(34).order(ByteOrder.LITTLE_ENDIAN);
    q8.putShort(Float16.fromFloat(0.5f));
    for (int j = 0; j < 32; j++) {
      q8.put((byte) (j * 8 - 128));
    }
    ByteBuffer q4 = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN);
    q4.putShort(Float16.fromFloat(-2f));
    for (int j = 0; j < 16; j++) {
      q4.put((byte) ((15 - j) << 4 | j)); // low nibble j, high nibble 15 - j
    }
    try (Gguf g = Gguf.open(write(new GgufTestWriter()
        .tensor("q8", new long[] {32, 1}, GgmlType.Q8_0.id, q8.array())
        .tensor("q4", new long[] {32, 1}, GgmlType.Q4_0.id, q4.array())
        .bytes()))) {
      float[] row = new float[32];
      WeightMatrix.load(g, g.tensor("q8").orElseThrow()).dequantizeRow(0, row);
      for (int j = 0; j < 32; j++) {
        assertThat(row[j]).isEqualTo((j * 8 - 128) * 0.5f);
      }
      WeightMatrix.load(g, g.tensor("q4").orElseThrow()).dequantizeRow(0, row);
      for (int j = 0; j < 16; j++) {
        assertThat(row[j]).as("element %d", j).isEqualTo((j - 8) * -2f);
        assertThat(row[j + 16]).as("element %d", j + 16).isEqualTo((15 - j - 8) * -2f);
      }
    }
  }

  /**
   * Each quantised dot product equals the float dot product of the dequantised row with the
   * dequantised (Q8_0- or F16-rounded) activation, up to float rounding.
   */
  @Test
  void dotProductsMatchDequantisedArithmetic() throws IOException {
    int rows = 7;
    int cols = 96;
    Xoshiro256StarStar rnd = new Xoshiro256StarStar(3);
    GgufTestWriter w = new GgufTestWriter();
    for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0}) {
      ByteBuffer b = ByteBuffer.allocate(rows * cols / t.blockSize * t.typeSize).order(ByteOrder.LITTLE_ENDIAN);
      while (b.hasRemaining()) {
        switch (t) {
          case F32 -> b.putFloat((float) (rnd.nextDouble() * 2 - 1));
          case F16 -> b.putShort(Float16.fromFloat((float) (rnd.nextDouble() * 2 - 1)));
          default -> {
            b.putShort(Float16.fromFloat((float) (rnd.nextDouble() * 0.1)));
            for (int k = 0; k < t.typeSize - 2; k++) {
              b.put((byte) rnd.nextLong());
            }
          }
        }
      }
      w.tensor(t.name(), new long[] {cols, rows}, t.id, b.array());
    }
    Activation x = new Activation(cols);
    for (int i = 0; i < cols; i++) {
      x.values[i] = (float) (rnd.nextDouble() * 4 - 2);
    }
    x.changed();
    try (Gguf g = Gguf.open(write(w.bytes()))) {
      for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0}) {
        WeightMatrix m = WeightMatrix.load(g, g.tensor(t.name()).orElseThrow());
        m.prepare(x);
        float[] xin = new float[cols];
        for (int i = 0; i < cols; i++) {
          xin[i] = switch (t) {
            case F32 -> x.values[i];
            case F16 -> Float16.round(x.values[i]);
            default -> x.q8()[i] * x.q8Scale()[i / 32];
          };
        }
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
          m.dequantizeRow(r, row);
          double ref = 0;
          double mag = 0;
          for (int i = 0; i < cols; i++) {
            ref += (double) row[i] * xin[i];
            mag += Math.abs((double) row[i] * xin[i]);
          }
          assertThat((double) m.dot(r, x)).as("%s row %d", t, r).isCloseTo(ref, within(1e-6 * mag + 1e-7));
        }
      }
    }
  }

  /**
   * The multi-row kernels (tiles of rows, four rows per pass, leftover rows one by one) give
   * every row bit for bit what the one-row dot product gives, over tile boundaries and for ranges
   * that start or end mid-group.
   */
  @Test
  void multiRowKernelsMatchTheOneRowDotExactly() throws IOException {
    int rows = 701; // more than one 16 KB tile for both types
    int cols = 96;
    Xoshiro256StarStar rnd = new Xoshiro256StarStar(11);
    GgufTestWriter w = new GgufTestWriter();
    GgmlType[] types = {GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0};
    for (GgmlType t : types) {
      byte[] data = new byte[rows * cols / t.blockSize * t.typeSize];
      ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < data.length; i++) {
        data[i] = (byte) rnd.nextLong();
      }
      for (int blk = 0; blk < data.length / t.typeSize; blk++) { // finite values: sane F16 scales, F32/F16 weights
        int off = blk * t.typeSize;
        switch (t) {
          case F32 -> b.putFloat(off, (float) (rnd.nextDouble() * 2 - 1));
          case F16 -> b.putShort(off, Float16.fromFloat((float) (rnd.nextDouble() * 2 - 1)));
          default -> b.putShort(off, Float16.fromFloat((float) (rnd.nextDouble() * 0.1)));
        }
      }
      w.tensor(t.name(), new long[] {cols, rows}, t.id, data);
    }
    Activation x = new Activation(cols);
    for (int i = 0; i < cols; i++) {
      x.values[i] = (float) (rnd.nextDouble() * 4 - 2);
    }
    x.changed();
    try (Gguf g = Gguf.open(write(w.bytes()))) {
      for (GgmlType t : types) {
        WeightMatrix m = WeightMatrix.load(g, g.tensor(t.name()).orElseThrow());
        m.prepare(x);
        for (int[] range : new int[][] {{0, rows}, {1, rows - 2}, {5, 6}, {3, 10}, {0, 0}}) {
          float[] out = new float[rows];
          m.dotRows(range[0], range[1], x, out, new RowScratch());
          for (int r = range[0]; r < range[1]; r++) {
            assertThat(Float.floatToRawIntBits(out[r])).as("%s row %d of [%d, %d)", t, r, range[0], range[1])
                .isEqualTo(Float.floatToRawIntBits(m.dot(r, x)));
          }
        }
      }
    }
  }

  private Path write(byte[] bytes) throws IOException {
    Path p = Files.createTempFile(dir, "q", ".gguf");
    Files.write(p, bytes);
    return p;
  }
}
