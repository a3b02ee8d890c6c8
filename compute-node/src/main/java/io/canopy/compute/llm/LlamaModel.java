package io.canopy.compute.llm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A llama-architecture model loaded from a GGUF file: weights stay memory-mapped (F32, F16, Q8_0
 * or Q4_0), norms are read into memory. Thread-safe to share; each {@link Session} is not.
 * Close it to stop its worker threads.
 */
public final class LlamaModel implements AutoCloseable {
  final LlamaConfig config;
  final WeightMatrix tokenEmbedding;
  final float[] outputNorm;
  /** {@code output.weight}, or the token embedding when the file ties them (no output tensor). */
  final WeightMatrix output;
  final Layer[] layers;
  /** Optional per-pair RoPE frequency divisors ({@code rope_freqs.weight}), or null. */
  final float[] ropeFreqFactors;
  final RowParallel compute;

  private final Gguf gguf;
  private final SpmTokenizer tokenizer;
  private final ChatTemplate chatTemplate;

  /** Tensors of one transformer layer ({@link Layer}'s nine fields). */
  private static final int LAYER_TENSORS = 9;

  record Layer(float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
        float[] ffnNorm, WeightMatrix gate, WeightMatrix up, WeightMatrix down) {}

  private LlamaModel(Gguf gguf, int threads) throws IOException {
    this.gguf = gguf;
    this.tokenizer = SpmTokenizer.fromGguf(gguf);
    this.config = LlamaConfig.fromGguf(gguf, tokenizer.vocabularySize());
    this.chatTemplate = ChatTemplate.detect(gguf.getString("tokenizer.chat_template").orElse(null));
    int d = config.embeddingLength();
    this.tokenEmbedding = matrix("token_embd.weight", config.vocabularySize(), d);
    this.outputNorm = vector("output_norm.weight", d);
    this.output = gguf.tensor("output.weight").isPresent()
        ? matrix("output.weight", config.vocabularySize(), d)
        : tokenEmbedding;
    // Every layer is nine tensors: a count the file cannot hold is refused before it sizes an array.
    if (config.blockCount() > gguf.tensors().size() / LAYER_TENSORS) {
      throw new GgufFormatException("llama.block_count " + config.blockCount() + " needs " + LAYER_TENSORS
          + " tensors a layer, but the file holds " + gguf.tensors().size() + " tensors in all");
    }
    this.layers = new Layer[config.blockCount()];
    int ff = config.feedForwardLength();
    for (int i = 0; i < layers.length; i++) {
      String b = "blk." + i + ".";
      layers[i] = new Layer(
          vector(b + "attn_norm.weight", d),
          matrix(b + "attn_q.weight", config.qDim(), d),
          matrix(b + "attn_k.weight", config.kvDim(), d),
          matrix(b + "attn_v.weight", config.kvDim(), d),
          matrix(b + "attn_output.weight", d, config.qDim()),
          vector(b + "ffn_norm.weight", d),
          matrix(b + "ffn_gate.weight", ff, d),
          matrix(b + "ffn_up.weight", ff, d),
          matrix(b + "ffn_down.weight", d, ff));
    }
    this.ropeFreqFactors = gguf.tensor("rope_freqs.weight").isPresent()
        ? vector("rope_freqs.weight", config.ropeDimensions() / 2)
        : null;
    this.compute = new RowParallel(threads);
  }

  /** Loads with one worker thread per available processor. */
  public static LlamaModel load(Path path) throws IOException {
    return load(path, Runtime.getRuntime().availableProcessors());
  }

  /** Loads a model; {@code threads} only changes speed, never results. */
  public static LlamaModel load(Path path, int threads) throws IOException {
    Gguf g = Gguf.open(path);
    try {
      return new LlamaModel(g, threads);
    } catch (IOException | RuntimeException e) {
      g.close();
      throw e;
    }
  }

  private WeightMatrix matrix(String name, int rows, int cols) throws IOException {
    GgufTensorInfo t = gguf.tensor(name).orElseThrow(() -> new GgufFormatException("missing tensor '" + name + "'"));
    if (t.rows() != rows || t.columns() != cols) {
      throw new GgufFormatException("tensor '" + name + "' is " + t.columns() + " x " + t.rows()
          + " (ne0 x ne1), expected " + cols + " x " + rows);
    }
    return WeightMatrix.load(gguf, t);
  }

  private float[] vector(String name, int length) throws IOException {
    GgufTensorInfo t = gguf.tensor(name).orElseThrow(() -> new GgufFormatException("missing tensor '" + name + "'"));
    if (t.elementCount() != length || t.rows() != 1) {
      throw new GgufFormatException("tensor '" + name + "' has " + t.elementCount() + " elements, expected " + length);
    }
    float[] v = new float[length];
    WeightMatrix.load(gguf, t).dequantizeRow(0, v);
    return v;
  }

  public LlamaConfig config() {
    return config;
  }

  public SpmTokenizer tokenizer() {
    return tokenizer;
  }

  /** The chat format recognised from {@code tokenizer.chat_template} (ChatML when none is). */
  public ChatTemplate chatTemplate() {
    return chatTemplate;
  }

  public Optional<String> name() {
    try {
      return gguf.getString("general.name");
    } catch (GgufFormatException e) {
      return Optional.empty();
    }
  }

  public Gguf gguf() {
    return gguf;
  }

  /** The worker threads matrix products are split over. */
  public int threads() {
    return compute.threads();
  }

  /** A session over the model's whole context length. */
  public Session newSession() {
    return new Session(this, config.contextLength());
  }

  /** A session limited to {@code contextLength} tokens (at most the model's). */
  public Session newSession(int contextLength) {
    if (contextLength < 1 || contextLength > config.contextLength()) {
      throw new IllegalArgumentException("context length " + contextLength + " not in [1, " + config.contextLength() + "]");
    }
    return new Session(this, contextLength);
  }

  @Override
  public void close() throws IOException {
    compute.close();
    gguf.close();
  }
}
