package io.canopy.compute.llm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a llama GGUF of a chosen size with random weights, streaming, reusing the tokenizer
 * metadata of an existing GGUF. For benchmarks at realistic sizes; the text it produces is noise.
 */
final class SyntheticLlamaGguf {
  private SyntheticLlamaGguf() {}

  static void write(Path out, Path vocabularySource, GgmlType type, int dim, int layers, int ff, int heads, int headsKv,
           long seed) throws IOException {
    write(out, vocabularySource, type, dim, layers, ff, heads, headsKv, seed, false);
  }

  /** With {@code tied}, no {@code output.weight} is written: the output reuses {@code token_embd}. */
  static void write(Path out, Path vocabularySource, GgmlType type, int dim, int layers, int ff, int heads, int headsKv,
           long seed, boolean tied) throws IOException {
    write(out, vocabularySource, type, dim, layers, ff, heads, headsKv, seed, tied, 2048);
  }

  /** As above, declaring {@code contextLength} tokens of context. */
  static void write(Path out, Path vocabularySource, GgmlType type, int dim, int layers, int ff, int heads, int headsKv,
           long seed, boolean tied, long contextLength) throws IOException {
    Map<String, Object> md = new LinkedHashMap<>();
    int vocab;
    try (Gguf src = Gguf.open(vocabularySource)) {
      for (var e : src.metadata().entrySet()) {
        if (e.getKey().startsWith("tokenizer.")) {
          md.put(e.getKey(), e.getValue());
        }
      }
      vocab = ((String[]) src.getArray("tokenizer.ggml.tokens").orElseThrow().values()).length;
    }
    md.put("general.architecture", "llama");
    md.put("general.name", "synthetic-" + type + "-" + dim + "x" + layers);
    md.put("llama.context_length", contextLength);
    md.put("llama.embedding_length", (long) dim);
    md.put("llama.block_count", (long) layers);
    md.put("llama.feed_forward_length", (long) ff);
    md.put("llama.attention.head_count", (long) heads);
    md.put("llama.attention.head_count_kv", (long) headsKv);
    md.put("llama.rope.freq_base", 10000f);
    md.put("llama.attention.layer_norm_rms_epsilon", 1e-5f);

    record T(String name, long cols, long rows, GgmlType type) {}
    List<T> tensors = new ArrayList<>();
    int kvDim = dim / heads * headsKv;
    tensors.add(new T("token_embd.weight", dim, vocab, type));
    tensors.add(new T("output_norm.weight", dim, 1, GgmlType.F32));
    if (!tied) {
      tensors.add(new T("output.weight", dim, vocab, type));
    }
    for (int l = 0; l < layers; l++) {
      String b = "blk." + l + ".";
      tensors.add(new T(b + "attn_norm.weight", dim, 1, GgmlType.F32));
      tensors.add(new T(b + "attn_q.weight", dim, dim, type));
      tensors.add(new T(b + "attn_k.weight", dim, kvDim, type));
      tensors.add(new T(b + "attn_v.weight", dim, kvDim, type));
      tensors.add(new T(b + "attn_output.weight", dim, dim, type));
      tensors.add(new T(b + "ffn_norm.weight", dim, 1, GgmlType.F32));
      tensors.add(new T(b + "ffn_gate.weight", dim, ff, type));
      tensors.add(new T(b + "ffn_up.weight", dim, ff, type));
      tensors.add(new T(b + "ffn_down.weight", ff, dim, type));
    }

    ByteArrayOutputStream h = new ByteArrayOutputStream();
    GgufTestWriter.u32(h, Gguf.MAGIC);
    GgufTestWriter.u32(h, 3);
    GgufTestWriter.u64(h, tensors.size());
    GgufTestWriter.u64(h, md.size());
    for (var e : md.entrySet()) {
      GgufTestWriter.str(h, e.getKey());
      writeValue(h, e.getValue());
    }
    long offset = 0;
    List<Long> offsets = new ArrayList<>();
    for (T t : tensors) {
      GgufTestWriter.str(h, t.name);
      boolean vector = t.rows == 1;
      GgufTestWriter.u32(h, vector ? 1 : 2);
      GgufTestWriter.u64(h, t.cols);
      if (!vector) {
        GgufTestWriter.u64(h, t.rows);
      }
      GgufTestWriter.u32(h, t.type.id);
      GgufTestWriter.u64(h, offset);
      offsets.add(offset);
      offset += align(t.cols / t.type.blockSize * t.type.typeSize * t.rows);
    }
    while (h.size() % Gguf.DEFAULT_ALIGNMENT != 0) {
      h.write(0);
    }
    Xoshiro256StarStar rnd = new Xoshiro256StarStar(seed);
    try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(h.toByteArray()));
      long dataStart = h.size();
      for (int i = 0; i < tensors.size(); i++) {
        T t = tensors.get(i);
        long rowBytes = t.cols / t.type.blockSize * t.type.typeSize;
        ByteBuffer row = ByteBuffer.allocate((int) rowBytes).order(ByteOrder.LITTLE_ENDIAN);
        long pos = dataStart + offsets.get(i);
        float scale = (float) (1 / Math.sqrt(t.cols));
        for (long r = 0; r < t.rows; r++) {
          row.clear();
          fillRow(row, t.type, t.cols, t.rows == 1, scale, rnd);
          row.flip();
          while (row.hasRemaining()) {
            pos += ch.write(row, pos);
          }
        }
      }
    }
  }

  private static void fillRow(ByteBuffer row, GgmlType type, long cols, boolean norm, float scale, Xoshiro256StarStar rnd) {
    switch (type) {
      case F32 -> {
        for (long i = 0; i < cols; i++) {
          row.putFloat(norm ? (float) (0.7 + 0.6 * rnd.nextDouble()) : (float) ((rnd.nextDouble() * 2 - 1) * 1.7 * scale));
        }
      }
      case F16 -> {
        for (long i = 0; i < cols; i++) {
          row.putShort(Float16.fromFloat((float) ((rnd.nextDouble() * 2 - 1) * 1.7 * scale)));
        }
      }
      case Q8_0 -> {
        for (long b = 0; b < cols / 32; b++) {
          row.putShort(Float16.fromFloat(scale / 73f));
          for (int j = 0; j < 32; j += 8) {
            row.putLong(rnd.nextLong());
          }
        }
      }
      case Q4_0 -> {
        for (long b = 0; b < cols / 32; b++) {
          row.putShort(Float16.fromFloat(scale / 4.6f));
          row.putLong(rnd.nextLong());
          row.putLong(rnd.nextLong());
        }
      }
      default -> throw new IllegalArgumentException(type.toString());
    }
  }

  private static long align(long n) {
    return (n + Gguf.DEFAULT_ALIGNMENT - 1) / Gguf.DEFAULT_ALIGNMENT * Gguf.DEFAULT_ALIGNMENT;
  }

  private static void writeValue(ByteArrayOutputStream h, Object v) {
    if (v instanceof String s) {
      GgufTestWriter.u32(h, GgufValueType.STRING.id);
      GgufTestWriter.str(h, s);
    } else if (v instanceof Long l) {
      GgufTestWriter.u32(h, GgufValueType.UINT32.id);
      GgufTestWriter.u32(h, (int) (long) l);
    } else if (v instanceof Float f) {
      GgufTestWriter.u32(h, GgufValueType.FLOAT32.id);
      GgufTestWriter.u32(h, Float.floatToRawIntBits(f));
    } else if (v instanceof Boolean b) {
      GgufTestWriter.u32(h, GgufValueType.BOOL.id);
      h.write(b ? 1 : 0);
    } else if (v instanceof GgufArray a) {
      GgufTestWriter.u32(h, GgufValueType.ARRAY.id);
      GgufTestWriter.u32(h, a.elementType().id);
      GgufTestWriter.u64(h, a.length());
      for (int i = 0; i < a.length(); i++) {
        GgufTestWriter.value(h, a.elementType(), java.lang.reflect.Array.get(a.values(), i));
      }
    } else {
      throw new IllegalArgumentException(v.getClass().toString());
    }
  }
}
