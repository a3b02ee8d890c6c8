package io.canopy.compute.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufReaderTest {
  @TempDir
  Path dir;

  private Path write(byte[] bytes) throws IOException {
    Path p = Files.createTempFile(dir, "t", ".gguf");
    Files.write(p, bytes);
    return p;
  }

  private Gguf open(byte[] bytes) throws IOException {
    return Gguf.open(write(bytes));
  }

  static GgufTestWriter sample() {
    return new GgufTestWriter()
        .kv("general.architecture", GgufValueType.STRING, "llama")
        .kv("u8", GgufValueType.UINT8, 200)
        .kv("i8", GgufValueType.INT8, -5)
        .kv("u16", GgufValueType.UINT16, 60000)
        .kv("i16", GgufValueType.INT16, -300)
        .kv("u32", GgufValueType.UINT32, 0xFFFFFFF0)
        .kv("i32", GgufValueType.INT32, -70000)
        .kv("u64", GgufValueType.UINT64, 1L << 40)
        .kv("i64", GgufValueType.INT64, -(1L << 40))
        .kv("f32", GgufValueType.FLOAT32, 1.5f)
        .kv("f64", GgufValueType.FLOAT64, 2.25)
        .kv("bool", GgufValueType.BOOL, true)
        .array("strings", GgufValueType.STRING, List.of("a", "▁b", ""))
        .array("floats", GgufValueType.FLOAT32, List.of(1f, -2f))
        .array("ints", GgufValueType.INT32, List.of(3, -4))
        .f32Tensor("norm.weight", 4, 1, 1f, 2f, 3f, 4f)
        .f32Tensor("w.weight", 2, 3, 1, 2, 3, 4, 5, 6);
  }

  @Test
  void readsEveryValueTypeAndTensorInfos() throws IOException {
    try (Gguf g = open(sample().bytes())) {
      assertThat(g.version()).isEqualTo(3);
      assertThat(g.alignment()).isEqualTo(32);
      assertThat(g.dataOffset() % 32).isZero();
      assertThat(g.getString("general.architecture")).contains("llama");
      assertThat(g.getLong("u8", 0)).isEqualTo(200);
      assertThat(g.getLong("i8", 0)).isEqualTo(-5);
      assertThat(g.getLong("u16", 0)).isEqualTo(60000);
      assertThat(g.getLong("i16", 0)).isEqualTo(-300);
      assertThat(g.getLong("u32", 0)).isEqualTo(0xFFFFFFF0L);
      assertThat(g.getLong("i32", 0)).isEqualTo(-70000);
      assertThat(g.getLong("u64", 0)).isEqualTo(1L << 40);
      assertThat(g.getLong("i64", 0)).isEqualTo(-(1L << 40));
      assertThat(g.getDouble("f32", 0)).isEqualTo(1.5);
      assertThat(g.getDouble("f64", 0)).isEqualTo(2.25);
      assertThat(g.getBoolean("bool", false)).isTrue();
      assertThat((String[]) g.getArray("strings").orElseThrow().values()).containsExactly("a", "▁b", "");
      assertThat((float[]) g.getArray("floats").orElseThrow().values()).containsExactly(1f, -2f);
      assertThat((long[]) g.getArray("ints").orElseThrow().values()).containsExactly(3L, -4L);
      assertThatThrownBy(() -> g.getString("u8")).isInstanceOf(GgufFormatException.class).hasMessageContaining("u8");
      GgufTensorInfo w = g.tensor("w.weight").orElseThrow();
      assertThat(w.dims()).containsExactly(2, 3);
      assertThat(w.type()).isEqualTo(GgmlType.F32);
      assertThat(w.byteSize()).isEqualTo(24);
      assertThat(w.absoluteOffset()).isEqualTo(g.dataOffset() + 32);
      WeightMatrix m = WeightMatrix.load(g, w);
      float[] row = new float[2];
      m.dequantizeRow(2, row);
      assertThat(row).containsExactly(5f, 6f);
    }
  }

  @Test
  void readsVersion2AndCustomAlignment() throws IOException {
    GgufTestWriter w = sample().kv("general.alignment", GgufValueType.UINT32, 64);
    w.version = 2;
    w.alignment = 64;
    try (Gguf g = open(w.bytes())) {
      assertThat(g.version()).isEqualTo(2);
      assertThat(g.alignment()).isEqualTo(64);
      assertThat(g.dataOffset() % 64).isZero();
      assertThat(g.tensor("w.weight").orElseThrow().absoluteOffset()).isEqualTo(g.dataOffset() + 64);
    }
  }

  @Test
  void readsTheTestModels() throws IOException {
    try (Gguf g = Gguf.open(LlamaCppVectorsTest.resource("tiny-q8_0.gguf"))) {
      assertThat(g.getString("general.architecture")).contains("llama");
      assertThat(g.getLong("llama.context_length", 0)).isEqualTo(256);
      assertThat(((String[]) g.getArray("tokenizer.ggml.tokens").orElseThrow().values())).hasSize(32000);
      assertThat(g.tensors()).hasSize(3 + 2 * 9);
      assertThat(g.tensor("token_embd.weight").orElseThrow().type()).isEqualTo(GgmlType.Q8_0);
      assertThat(g.tensor("blk.0.ffn_down.weight").orElseThrow().type()).isEqualTo(GgmlType.F16);
      assertThat(g.tensor("blk.0.ffn_down.weight").orElseThrow().dims()).containsExactly(172, 64);
    }
  }

  @Test
  void rejectsBadMagic() {
    GgufTestWriter w = sample();
    w.magic = 0x4C4C5547; // "GULL"
    assertThatThrownBy(() -> open(w.bytes())).isInstanceOf(GgufFormatException.class).hasMessageContaining("magic");
    assertThatThrownBy(() -> open(new byte[] {'G', 'G'})).isInstanceOf(GgufFormatException.class).hasMessageContaining("too short");
  }

  @Test
  void rejectsUnsupportedVersions() {
    for (int v : new int[] {1, 4, 0x03000000}) {
      GgufTestWriter w = sample();
      w.version = v;
      assertThatThrownBy(() -> open(w.bytes())).isInstanceOf(GgufFormatException.class).hasMessageContaining("version")
          .satisfies(e -> {
            if (v == 0x03000000) {
              assertThat(e).hasMessageContaining("big-endian");
            }
          });
    }
  }

  @Test
  void everyTruncationIsAFormatError() throws IOException {
    byte[] full = sample().bytes();
    long end;
    try (Gguf g = open(full)) {
      end = g.tensors().values().stream().mapToLong(t -> t.absoluteOffset() + t.byteSize()).max().orElseThrow();
    }
    // Only the padding after the last tensor may go.
    for (int len = 0; len < end; len++) {
      byte[] cut = Arrays.copyOf(full, len);
      assertThatThrownBy(() -> open(cut).close()).as("truncated to %d bytes", len).isInstanceOf(GgufFormatException.class);
    }
  }

  @Test
  void truncatedModelFileNamesTheTensor() throws IOException {
    byte[] model = Files.readAllBytes(LlamaCppVectorsTest.resource("tiny-q8_0.gguf"));
    byte[] cut = Arrays.copyOf(model, model.length - 1000);
    assertThatThrownBy(() -> open(cut)).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("beyond the end of the file").hasMessageContaining("truncated");
  }

  @Test
  void rejectsTensorOffsetsOutOfRange() {
    assertThatThrownBy(() -> open(sample().bytes(1L << 20))).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("norm.weight").hasMessageContaining("beyond the end");
    assertThatThrownBy(() -> open(sample().bytes(-32L))).isInstanceOf(GgufFormatException.class);
    assertThatThrownBy(() -> open(sample().bytes(8L))).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("alignment");
  }

  @Test
  void rejectsUnknownTypes() {
    GgufTestWriter unknownTensor = sample().tensor("x", new long[] {32}, 99, new byte[32]);
    assertThatThrownBy(() -> open(unknownTensor.bytes())).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("unknown ggml type 99");
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    GgufTestWriter.str(raw, "weird");
    GgufTestWriter.u32(raw, 13);
    GgufTestWriter unknownValue = sample().rawKv(raw.toByteArray());
    assertThatThrownBy(() -> open(unknownValue.bytes())).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("unknown GGUF metadata value type 13");
  }

  @Test
  void rejectsAbsurdCountsAndLengthsWithoutAllocating() {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    GgufTestWriter.str(raw, "big");
    GgufTestWriter.u32(raw, GgufValueType.ARRAY.id);
    GgufTestWriter.u32(raw, GgufValueType.UINT64.id);
    GgufTestWriter.u64(raw, Long.MAX_VALUE / 4);
    assertThatThrownBy(() -> open(sample().rawKv(raw.toByteArray()).bytes())).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("cannot fit");
    ByteArrayOutputStream longKey = new ByteArrayOutputStream();
    GgufTestWriter.u64(longKey, -2L); // a key of 2^64 - 2 bytes
    assertThatThrownBy(() -> open(sample().rawKv(longKey.toByteArray()).bytes())).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("length");
  }

  @Test
  void rejectsBadTensorShapesAndAlignment() {
    assertThatThrownBy(() -> open(sample().tensor("q", new long[] {33}, GgmlType.Q8_0.id, new byte[34]).bytes()))
        .isInstanceOf(GgufFormatException.class).hasMessageContaining("block size");
    assertThatThrownBy(() -> open(sample().tensor("d", new long[] {1, 1, 1, 1, 1}, GgmlType.F32.id, new byte[4]).bytes()))
        .isInstanceOf(GgufFormatException.class).hasMessageContaining("dimensions");
    assertThatThrownBy(() -> open(sample().tensor("o", new long[] {1L << 40, 1L << 40}, GgmlType.F32.id, new byte[4]).bytes()))
        .isInstanceOf(GgufFormatException.class).hasMessageContaining("overflow");
    assertThatThrownBy(() -> open(sample().kv("general.alignment", GgufValueType.UINT32, 24).bytes()))
        .isInstanceOf(GgufFormatException.class).hasMessageContaining("power of two");
    assertThatThrownBy(() -> open(sample().kv("u8", GgufValueType.UINT8, 1).bytes()))
        .isInstanceOf(GgufFormatException.class).hasMessageContaining("duplicate");
  }

  /**
   * Arrays of arrays nested 100,000 deep (12 bytes a level): the reader recursed once per level and
   * died with a StackOverflowError instead of refusing the file (seen reading the reader for ComputeDecodersFuzzTest).
   */
  @Test
  void refusesArraysNestedDeeperThanTheLimit() {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    GgufTestWriter.str(raw, "nested");
    GgufTestWriter.u32(raw, GgufValueType.ARRAY.id);
    for (int level = 0; level < 100_000; level++) {
      GgufTestWriter.u32(raw, GgufValueType.ARRAY.id);
      GgufTestWriter.u64(raw, 1);
    }
    GgufTestWriter.u32(raw, GgufValueType.UINT8.id);
    GgufTestWriter.u64(raw, 0);
    assertThatThrownBy(() -> open(sample().rawKv(raw.toByteArray()).bytes())).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("nested");
  }

  /**
   * A sparse file of 52 GB whose header claims 2^31 + 5 tensors, which fits the file at 24 bytes
   * each: the reader allocated an array by that count (a negative int) before reading any.
   */
  @Test
  void refusesATensorCountBeyondAnIntWithoutAllocatingByIt() throws IOException {
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    GgufTestWriter.u32(h, Gguf.MAGIC);
    GgufTestWriter.u32(h, 3);
    GgufTestWriter.u64(h, (1L << 31) + 5);
    GgufTestWriter.u64(h, 0);
    Path p = dir.resolve("many-tensors.gguf");
    try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.CREATE_NEW,
        java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SPARSE)) {
      ch.write(java.nio.ByteBuffer.wrap(h.toByteArray()), 0);
      ch.write(java.nio.ByteBuffer.wrap(new byte[1]), 24L * ((1L << 31) + 5) + 64);
    }
    assertThatThrownBy(() -> Gguf.open(p)).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("tensor");
  }

  /** Random corruption of header bytes: the reader may accept the file, or fail cleanly, never otherwise. */
  @Test
  void corruptedBytesNeverEscapeAsOtherExceptions() throws IOException {
    byte[] full = sample().bytes();
    Xoshiro256StarStar rnd = new Xoshiro256StarStar(7);
    int failures = 0;
    for (int trial = 0; trial < 400; trial++) {
      byte[] b = full.clone();
      for (int k = 0; k < 3; k++) {
        int at = (int) Long.remainderUnsigned(rnd.nextLong(), full.length);
        b[at] = (byte) rnd.nextLong();
      }
      try (Gguf g = open(b)) {
        g.metadata();
      } catch (GgufFormatException e) {
        failures++;
      }
    }
    assertThat(failures).isPositive();
  }

  /**
   * A sparse file of 2.9 GB: one F32 tensor of 2.87 GB (mapped as three row-aligned chunks) and a
   * small tensor behind it, past the 2 GiB limit of a single mapping.
   */
  @Test
  void mapsFilesLargerThan2GiB() throws IOException {
    long rows = 700_000;
    int cols = 1024;
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    GgufTestWriter.u32(h, Gguf.MAGIC);
    GgufTestWriter.u32(h, 3);
    GgufTestWriter.u64(h, 2);
    GgufTestWriter.u64(h, 0);
    GgufTestWriter.str(h, "big");
    GgufTestWriter.u32(h, 2);
    GgufTestWriter.u64(h, cols);
    GgufTestWriter.u64(h, rows);
    GgufTestWriter.u32(h, GgmlType.F32.id);
    GgufTestWriter.u64(h, 0);
    long bigBytes = rows * cols * 4;
    GgufTestWriter.str(h, "tail");
    GgufTestWriter.u32(h, 1);
    GgufTestWriter.u64(h, 32);
    GgufTestWriter.u32(h, GgmlType.F32.id);
    GgufTestWriter.u64(h, bigBytes);
    while (h.size() % 32 != 0) {
      h.write(0);
    }
    long data = h.size();
    Path p = dir.resolve("big.gguf");
    try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.CREATE_NEW,
        java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SPARSE)) {
      ch.write(java.nio.ByteBuffer.wrap(h.toByteArray()), 0);
      java.nio.ByteBuffer row = java.nio.ByteBuffer.allocate(cols * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < cols; i++) {
        row.putFloat(i + 0.5f);
      }
      row.flip();
      ch.write(row, data + 600_000L * cols * 4);
      java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate(128).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < 32; i++) {
        tail.putFloat(-i);
      }
      tail.flip();
      ch.write(tail, data + bigBytes);
    }
    try (Gguf g = Gguf.open(p)) {
      assertThat(g.fileSize()).isGreaterThan(1L << 31);
      WeightMatrix big = WeightMatrix.load(g, g.tensor("big").orElseThrow());
      assertThat(big.chunks).hasSize(3);
      float[] r = new float[cols];
      big.dequantizeRow(600_000, r);
      assertThat(r[0]).isEqualTo(0.5f);
      assertThat(r[cols - 1]).isEqualTo(cols - 0.5f);
      big.dequantizeRow((int) rows - 1, r);
      assertThat(r).containsOnly(0f);
      WeightMatrix tailM = WeightMatrix.load(g, g.tensor("tail").orElseThrow());
      float[] t = new float[32];
      tailM.dequantizeRow(0, t);
      assertThat(t[31]).isEqualTo(-31f);
    }
  }

  @Test
  void modelLoadingReportsMissingAndUnsupportedParts() throws IOException {
    assertThatThrownBy(() -> LlamaModel.load(write(sample().bytes()), 1)).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("tokenizer");
    byte[] model = Files.readAllBytes(LlamaCppVectorsTest.resource("tiny-q8_0.gguf"));

    // blk.0.attn_q.weight: Q8_0 -> Q4_1 (smaller, so the file stays consistent)
    byte[] q41 = model.clone();
    int at = indexOf(q41, "blk.0.attn_q.weight".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    int typeField = at + "blk.0.attn_q.weight".length() + 4 + 2 * 8;
    assertThat(q41[typeField]).isEqualTo((byte) GgmlType.Q8_0.id);
    q41[typeField] = (byte) GgmlType.Q4_1.id;
    assertThatThrownBy(() -> LlamaModel.load(write(q41), 1)).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("blk.0.attn_q.weight").hasMessageContaining("Q4_1").hasMessageContaining("supports");

    byte[] arch = model.clone();
    int v = indexOf(arch, "general.architecture".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    int value = v + "general.architecture".length() + 4 + 8; // type, then the string's length
    assertThat(new String(arch, value, 5, java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("llama");
    arch[value + 4] = 'x';
    assertThatThrownBy(() -> LlamaModel.load(write(arch), 1)).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("architecture 'llamx' is not supported");
  }

  /**
   * A model whose llama.block_count says 2^31 - 1 layers: loading allocated the layer array by that
   * count and died with an OutOfMemoryError before finding the tensors missing (found by
   * ComputeDecodersFuzzTest, input crash-huge-block-count).
   */
  @Test
  void refusesABlockCountTheTensorsCannotHoldWithoutAllocatingByIt() throws IOException {
    byte[] model = Files.readAllBytes(LlamaCppVectorsTest.resource("tiny-q8_0.gguf"));
    int k = indexOf(model, "llama.block_count".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    int type = k + "llama.block_count".length();
    assertThat(model[type]).isEqualTo((byte) GgufValueType.UINT32.id);
    byte[] huge = model.clone();
    huge[type + 4] = (byte) 0xFF;
    huge[type + 5] = (byte) 0xFF;
    huge[type + 6] = (byte) 0xFF;
    huge[type + 7] = (byte) 0x7F;
    assertThatThrownBy(() -> LlamaModel.load(write(huge), 1)).isInstanceOf(GgufFormatException.class)
        .hasMessageContaining("block_count 2147483647");
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int k = 0; k < needle.length; k++) {
        if (hay[i + k] != needle[k]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
