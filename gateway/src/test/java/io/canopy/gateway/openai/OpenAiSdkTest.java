package io.canopy.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.Embedding;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import io.canopy.compute.embed.OnnxEmbedder;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.Gateway.OpenAiFace;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK against a real gateway on 127.0.0.1, embedding with the real
 * all-MiniLM-L6-v2 (ONNX) through {@link LocalEmbeddingBackend}.
 */
class OpenAiSdkTest {
  private static final String KEY = "sk-canopy-test-key-0123456789";
  private static final String MODEL = LocalEmbeddingBackend.MINILM_ID;

  private static OnnxEmbedder embedder;
  private static Gateway gateway;
  private static OpenAIClient client;

  @BeforeAll
  static void start() throws Exception {
    embedder = OnnxEmbedder.allMiniLmL6V2();
    gateway = Gateway.start(null, null, null, new OpenAiFace(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        LocalEmbeddingBackend.allMiniLmL6V2(embedder),
        ApiKeys.of(Map.of(KEY, "alice"))));
    client = OpenAIOkHttpClient.builder()
        .apiKey(KEY)
        .baseUrl(gateway.urls().get("openai") + "/v1")
        .maxRetries(0)
        .build();
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (embedder != null) {
      embedder.close();
    }
  }

  @Test
  void listsTheModel() {
    List<Model> models = client.models().list().data();
    assertThat(models).singleElement().satisfies(m -> {
      assertThat(m.id()).isEqualTo(MODEL);
      assertThat(m.ownedBy()).isEqualTo(LocalEmbeddingBackend.MINILM_OWNER);
      assertThat(m.created()).isEqualTo(LocalEmbeddingBackend.MINILM_CREATED);
    });
  }

  @Test
  void retrievesTheModel() {
    Model m = client.models().retrieve(MODEL);
    assertThat(m.id()).isEqualTo(MODEL);
  }

  @Test
  void embedsOneString() {
    CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
        .model(MODEL)
        .input("The quick brown fox jumps over the lazy dog.")
        .encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT)
        .build());
    assertThat(response.model()).isEqualTo(MODEL);
    assertThat(response.data()).singleElement().satisfies(e -> {
      assertThat(e.index()).isZero();
      assertThat(e.embedding()).hasSize(embedder.dimension());
      assertThat(norm(e.embedding())).isCloseTo(1.0, within(1e-3));
    });
    assertThat(response.usage().promptTokens()).isPositive();
    assertThat(response.usage().totalTokens()).isEqualTo(response.usage().promptTokens());
  }

  @Test
  void embedsABatchInOrderAndSimilarSentencesScoreHigher() {
    List<String> texts = List.of(
        "A man is playing a guitar on stage.",
        "Someone performs music with a guitar at a concert.",
        "The stock market fell sharply after the interest rate announcement.");
    CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
        .model(MODEL)
        .inputOfArrayOfStrings(texts)
        .encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT)
        .build());
    List<Embedding> data = response.data();
    assertThat(data).extracting(Embedding::index).containsExactly(0L, 1L, 2L);
    float[][] expected = embedder.embed(texts);
    for (int i = 0; i < texts.size(); i++) {
      List<Float> got = data.get(i).embedding();
      for (int j = 0; j < expected[i].length; j++) {
        assertThat(got.get(j)).isEqualTo(expected[i][j]);
      }
    }
    double similar = cosine(data.get(0).embedding(), data.get(1).embedding());
    double unrelated = cosine(data.get(0).embedding(), data.get(2).embedding());
    assertThat(similar).isGreaterThan(unrelated + 0.2);
  }

  @Test
  void base64DecodesToTheSameFloats() {
    String text = "Canopy stores and serves content for its community.";
    List<Float> floats = client.embeddings().create(EmbeddingCreateParams.builder()
        .model(MODEL).input(text).encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT).build())
        .data().get(0).embedding();
    Embedding b64 = client.embeddings().create(EmbeddingCreateParams.builder()
        .model(MODEL).input(text).encodingFormat(EmbeddingCreateParams.EncodingFormat.BASE64).build())
        .data().get(0);

    // As sent: little-endian float32, base64.
    assertThat(b64.embeddingValue().isBase64()).isTrue();
    ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(b64.embeddingValue().asBase64()))
        .order(ByteOrder.LITTLE_ENDIAN);
    assertThat(bytes.remaining()).isEqualTo(floats.size() * Float.BYTES);
    for (Float f : floats) {
      assertThat(bytes.getFloat()).isEqualTo(f);
    }
    // And as the SDK decodes it, and whatever the SDK asks for when no format is set.
    assertThat(b64.embedding()).isEqualTo(floats);
    assertThat(client.embeddings().create(EmbeddingCreateParams.builder().model(MODEL).input(text).build())
        .data().get(0).embedding()).isEqualTo(floats);
  }

  private static double norm(List<Float> v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    return Math.sqrt(sum);
  }

  private static double cosine(List<Float> a, List<Float> b) {
    double dot = 0;
    for (int i = 0; i < a.size(); i++) {
      dot += (double) a.get(i) * b.get(i);
    }
    return dot / (norm(a) * norm(b));
  }
}
