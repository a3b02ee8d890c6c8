package io.canopy.compute.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The bundled quantised all-MiniLM-L6-v2 run by ONNX Runtime. */
class OnnxEmbedderTest {
  private static final String FOOD = "A man is eating food.";
  private static final String BREAD = "A man is eating a piece of bread.";
  private static final String MOVIE = "The new movie is awesome.";
  private static final List<String> MIXED_LENGTHS =
      List.of(FOOD, "", MOVIE, "Héllo, wörld! 你好 🍕", "The quick brown fox jumps over the lazy dog. ".repeat(6), BREAD);

  private static OnnxEmbedder embedder;

  @BeforeAll
  static void open() {
    embedder = OnnxEmbedder.allMiniLmL6V2();
  }

  @AfterAll
  static void close() {
    embedder.close();
  }

  @Test
  void vectorsHave384DimensionsAndUnitNorm() {
    float[][] vectors = embedder.embed(MIXED_LENGTHS);

    assertThat(embedder.dimension()).isEqualTo(384);
    assertThat(embedder.maxTokens()).isEqualTo(256);
    assertThat(vectors).hasNumberOfRows(MIXED_LENGTHS.size());
    for (float[] v : vectors) {
      assertThat(v).hasSize(384);
      assertThat(norm(v)).isCloseTo(1.0, within(1e-5));
    }
  }

  @Test
  void similarSentencesScoreClearlyHigherThanUnrelatedOnes() {
    float[][] v = embedder.embed(List.of(FOOD, BREAD, MOVIE));

    double related = cosine(v[0], v[1]);
    assertThat(related).isGreaterThan(0.6);
    assertThat(related).isGreaterThan(cosine(v[0], v[2]) + 0.4);
    assertThat(related).isGreaterThan(cosine(v[1], v[2]) + 0.4);
  }

  @Test
  void aBatchEqualsOneByOne() {
    float[][] batch = embedder.embed(MIXED_LENGTHS);

    for (int i = 0; i < MIXED_LENGTHS.size(); i++) {
      float[] alone = embedder.embed(List.of(MIXED_LENGTHS.get(i)))[0];
      assertThat(batch[i]).as("input %d", i).containsExactly(alone, within(1e-5f));
    }
  }

  @Test
  void theBundledModelRunsOneInputPerRunBecauseItQuantisesActivationsPerTensor() {
    assertThat(embedder.batchSize()).isEqualTo(1);
    assertThat(OnnxEmbedder.contains("xxDynamicQuantizeLinearxx".getBytes(StandardCharsets.US_ASCII),
            "DynamicQuantizeLinear".getBytes(StandardCharsets.US_ASCII)))
        .isTrue();
    assertThat(OnnxEmbedder.contains("DynamicQuantizeLinea".getBytes(StandardCharsets.US_ASCII),
            "DynamicQuantizeLinear".getBytes(StandardCharsets.US_ASCII)))
        .isFalse();
  }

  @Test
  void paddedBatchesMaskPaddingAndKeepInputOrder() {
    float[][] alone = embedder.embed(MIXED_LENGTHS);
    float[][] padded;
    try (OnnxEmbedder byTwo = OnnxEmbedder.allMiniLmL6V2(OnnxEmbedder.Config.defaults()
        .withMaxTokens(256).withMaxBatchSize(2).withBatchMode(OnnxEmbedder.BatchMode.PADDED))) {
      assertThat(byTwo.batchSize()).isEqualTo(2);
      padded = byTwo.embed(MIXED_LENGTHS);
    }
    // The per-tensor activation scale moves a batched vector a little (cosine 0.97 for the empty
    // input); padding pooled in, or a vector handed to the wrong input, moves it much further.
    for (int i = 0; i < alone.length; i++) {
      assertThat(cosine(padded[i], alone[i])).as("input %d", i).isGreaterThan(0.95);
      for (int j = 0; j < alone.length; j++) {
        if (j != i) {
          assertThat(cosine(padded[i], alone[i])).isGreaterThan(cosine(padded[i], alone[j]));
        }
      }
    }
  }

  @Test
  void repeatedCallsAreIdentical() {
    assertThat(embedder.embed(MIXED_LENGTHS)).isDeepEqualTo(embedder.embed(MIXED_LENGTHS));
  }

  @Test
  void matchesVectorsFromAnIndependentPipeline() throws IOException {
    JsonNode root;
    try (InputStream in = getClass().getResourceAsStream("minilm-reference-vectors.json")) {
      root = new ObjectMapper().readTree(in);
    }
    List<String> texts = new ArrayList<>();
    List<float[]> expected = new ArrayList<>();
    List<Integer> tokens = new ArrayList<>();
    for (JsonNode c : root.path("cases")) {
      texts.add(c.path("text").asText());
      tokens.add(c.path("tokens").asInt());
      float[] v = new float[c.path("vector").size()];
      for (int d = 0; d < v.length; d++) {
        v[d] = (float) c.path("vector").get(d).asDouble();
      }
      expected.add(v);
    }
    assertThat(texts).hasSizeGreaterThanOrEqualTo(4);

    EmbeddingResult result = embedder.embedWithUsage(texts);

    for (int i = 0; i < texts.size(); i++) {
      assertThat(result.tokenCounts()[i]).as("tokens of input %d", i).isEqualTo(tokens.get(i));
      // Another ONNX Runtime build sums in another order, which can flip the rounding of a
      // dynamically quantised activation: up to 2e-3 per component seen, far below what
      // separates two different sentences.
      assertThat(result.vectors()[i]).as("input %d", i).containsExactly(expected.get(i), within(5e-3f));
      assertThat(cosine(result.vectors()[i], expected.get(i))).isGreaterThan(0.9995);
    }
  }

  @Test
  void reportsTokensAndTruncation() {
    EmbeddingResult result = embedder.embedWithUsage(List.of(FOOD, "", "word ".repeat(300)));

    assertThat(result.tokenCounts()).containsExactly(8, 2, 256);
    assertThat(result.truncated()).containsExactly(false, false, true);
    assertThat(result.totalTokens()).isEqualTo(266);
    assertThat(embedder.embedWithUsage(List.of()).vectors()).isEmpty();
  }

  @Test
  void concurrentCallersGetTheSameVectors() throws Exception {
    float[][] expected = embedder.embed(MIXED_LENGTHS);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<float[][]>> results = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        results.add(pool.submit(() -> embedder.embed(MIXED_LENGTHS)));
      }
      for (Future<float[][]> f : results) {
        float[][] got = f.get();
        for (int i = 0; i < expected.length; i++) {
          assertThat(got[i]).containsExactly(expected[i], within(1e-5f));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void closedEmbedderRefusesWorkAndClosesOnce() {
    OnnxEmbedder e = OnnxEmbedder.allMiniLmL6V2();
    assertThat(e.embed(List.of(FOOD))).hasNumberOfRows(1);
    e.close();
    e.close();
    assertThatThrownBy(() -> e.embed(List.of(FOOD))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void refusesAModelOrTokenizerItCannotRun() throws IOException {
    byte[] tokenizer;
    try (InputStream in = getClass().getResourceAsStream(OnnxEmbedder.MINILM_TOKENIZER_RESOURCE)) {
      tokenizer = in.readAllBytes();
    }
    assertThatThrownBy(() -> OnnxEmbedder.load(
            "not an onnx model".getBytes(StandardCharsets.UTF_8), tokenizer, OnnxEmbedder.Config.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ONNX Runtime cannot load");
    assertThatThrownBy(() -> OnnxEmbedder.load(new byte[0], "{}".getBytes(StandardCharsets.UTF_8),
            OnnxEmbedder.Config.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tokenizer.json");
  }

  private static double norm(float[] v) {
    return Math.sqrt(cosine(v, v));
  }

  private static double cosine(float[] a, float[] b) {
    double dot = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
    }
    return dot; // the vectors are unit length (checked above), so the dot product is the cosine
  }
}
