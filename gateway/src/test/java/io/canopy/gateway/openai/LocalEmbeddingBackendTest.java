package io.canopy.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.compute.embed.EmbeddingResult;
import io.canopy.compute.embed.TextEmbedder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The backend's own rules, with a text embedder that does what the test says when it says. */
class LocalEmbeddingBackendTest {

  /** Embeds every text as [1, 2]; each call waits until {@link #release} opens. */
  private static final class GatedEmbedder implements TextEmbedder {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean closed;

    @Override
    public int dimension() {
      return 2;
    }

    @Override
    public int maxTokens() {
      return 8;
    }

    @Override
    public EmbeddingResult embedWithUsage(List<String> texts) {
      if (closed) {
        throw new IllegalStateException("embedder closed");
      }
      entered.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      int n = texts.size();
      float[][] v = new float[n][];
      int[] tokens = new int[n];
      for (int i = 0; i < n; i++) {
        v[i] = new float[] {1, 2};
        tokens[i] = 3;
      }
      return new EmbeddingResult(v, tokens, new boolean[n]);
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void describesItsModel() {
    LocalEmbeddingBackend backend = new LocalEmbeddingBackend(new GatedEmbedder(), "m", 7, "me", 1);
    assertThat(backend.models()).containsExactly(ModelInfo.embedding("m", 7, "me", 2));
  }

  @Test
  void sumsTokensOverInputs() {
    GatedEmbedder embedder = new GatedEmbedder();
    embedder.release.countDown();
    Embeddings e = new LocalEmbeddingBackend(embedder, "m", 7, "me", 1).embed("alice", "m", List.of("a", "b"));
    assertThat(e.vectors()).hasDimensions(2, 2);
    assertThat(e.promptTokens()).isEqualTo(6);
  }

  @Test
  void unknownModel() {
    LocalEmbeddingBackend backend = new LocalEmbeddingBackend(new GatedEmbedder(), "m", 7, "me", 1);
    assertThatThrownBy(() -> backend.embed("alice", "other", List.of("a"))).isInstanceOf(InferenceException.UnknownModel.class);
  }

  @Test
  void refusesOneRequestOverCapacityRatherThanQueueing() throws Exception {
    GatedEmbedder embedder = new GatedEmbedder();
    LocalEmbeddingBackend backend = new LocalEmbeddingBackend(embedder, "m", 7, "me", 1);
    CompletableFuture<Embeddings> first = CompletableFuture.supplyAsync(() -> backend.embed("alice", "m", List.of("a")));
    embedder.entered.await();
    assertThatThrownBy(() -> backend.embed("alice", "m", List.of("b"))).isInstanceOf(InferenceException.Busy.class);
    embedder.release.countDown();
    assertThat(first.get().vectors()).hasDimensions(1, 2);
    // The slot is free again.
    assertThat(backend.embed("alice", "m", List.of("c")).vectors()).hasDimensions(1, 2);
  }

  @Test
  void aClosedEmbedderIsUnavailable() {
    GatedEmbedder embedder = new GatedEmbedder();
    embedder.close();
    LocalEmbeddingBackend backend = new LocalEmbeddingBackend(embedder, "m", 7, "me", 1);
    assertThatThrownBy(() -> backend.embed("alice", "m", List.of("a"))).isInstanceOf(InferenceException.Unavailable.class);
  }
}
