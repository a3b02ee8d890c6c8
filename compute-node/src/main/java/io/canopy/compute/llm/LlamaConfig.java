package io.canopy.compute.llm;

/**
 * Hyper-parameters of a llama-architecture model, from the {@code llama.*} GGUF metadata.
 *
 * @param ropeDimensions how many leading elements of each head RoPE rotates
 *                       ({@code rope.dimension_count}, default the head size)
 */
public record LlamaConfig(
    int contextLength,
    int embeddingLength,
    int blockCount,
    int feedForwardLength,
    int headCount,
    int headCountKv,
    int headSize,
    int ropeDimensions,
    float ropeFreqBase,
    float rmsNormEps,
    int vocabularySize) {

  public static final String ARCHITECTURE = "llama";

  static LlamaConfig fromGguf(Gguf g, int vocabularySize) throws GgufFormatException {
    String arch = g.getString("general.architecture").orElseThrow(
        () -> new GgufFormatException("missing general.architecture"));
    if (!arch.equals(ARCHITECTURE)) {
      throw new GgufFormatException("architecture '" + arch + "' is not supported; only '" + ARCHITECTURE + "' is");
    }
    String p = arch + ".";
    int embd = required(g, p + "embedding_length");
    int heads = required(g, p + "attention.head_count");
    int headsKv = g.getInt(p + "attention.head_count_kv", heads);
    if (heads == 0 || embd % heads != 0 || headsKv == 0 || heads % headsKv != 0) {
      throw new GgufFormatException("inconsistent heads: embedding " + embd + ", head_count " + heads
          + ", head_count_kv " + headsKv);
    }
    int headSize = g.getInt(p + "attention.key_length", embd / heads);
    int rope = g.getInt(p + "rope.dimension_count", headSize);
    if (rope > headSize || rope % 2 != 0) {
      throw new GgufFormatException("rope.dimension_count " + rope + " does not fit head size " + headSize);
    }
    return new LlamaConfig(
        required(g, p + "context_length"),
        embd,
        required(g, p + "block_count"),
        required(g, p + "feed_forward_length"),
        heads,
        headsKv,
        headSize,
        rope,
        (float) g.getDouble(p + "rope.freq_base", 10000.0),
        (float) g.getDouble(p + "attention.layer_norm_rms_epsilon", 1e-5),
        vocabularySize);
  }

  private static int required(Gguf g, String key) throws GgufFormatException {
    if (!g.metadata().containsKey(key)) {
      throw new GgufFormatException("metadata '" + key + "' is missing");
    }
    int v = g.getInt(key, 0);
    if (v <= 0) {
      throw new GgufFormatException("metadata '" + key + "' must be positive");
    }
    return v;
  }

  int kvDim() {
    return headCountKv * headSize;
  }

  int qDim() {
    return headCount * headSize;
  }
}
