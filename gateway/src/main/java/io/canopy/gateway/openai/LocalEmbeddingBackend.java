package io.canopy.gateway.openai;

import io.canopy.compute.embed.EmbeddingResult;
import io.canopy.compute.embed.OnnxEmbedder;
import io.canopy.compute.embed.TextEmbedder;
import io.canopy.protocol.compute.Params;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Semaphore;

/**
 * One embedding model run in this process by a {@link TextEmbedder}. At most {@code maxConcurrent}
 * requests run at once; one more is refused as {@link InferenceException.Busy} rather than queued,
 * so a flood of requests turns into 429s instead of piling up on the worker pool.
 *
 * <p>The caller keeps ownership of the embedder (and closes it after the gateway).
 */
public final class LocalEmbeddingBackend implements InferenceBackend {
  /** The id all-MiniLM-L6-v2 is served under (sentence-transformers' name for it). */
  public static final String MINILM_ID = "all-MiniLM-L6-v2";
  /** sentence-transformers/all-MiniLM-L6-v2 on Hugging Face: first published 2021-08-30. */
  public static final long MINILM_CREATED = 1630281600L;
  public static final String MINILM_OWNER = "sentence-transformers";
  public static final int DEFAULT_MAX_CONCURRENT = 4;

  private final TextEmbedder embedder;
  private final ModelInfo model;
  private final Semaphore slots;

  public LocalEmbeddingBackend(TextEmbedder embedder, String id, long created, String ownedBy, int maxConcurrent) {
    this.embedder = Objects.requireNonNull(embedder, "embedder");
    if (maxConcurrent < 1) {
      throw new IllegalArgumentException("maxConcurrent " + maxConcurrent);
    }
    this.model = ModelInfo.embedding(id, created, ownedBy, embedder.dimension());
    this.slots = new Semaphore(maxConcurrent);
  }

  /** all-MiniLM-L6-v2 (quantised, bundled) as {@value #MINILM_ID}. */
  public static LocalEmbeddingBackend allMiniLmL6V2(OnnxEmbedder embedder) {
    return new LocalEmbeddingBackend(embedder, MINILM_ID, MINILM_CREATED, MINILM_OWNER, DEFAULT_MAX_CONCURRENT);
  }

  @Override
  public List<ModelInfo> models() {
    return List.of(model);
  }

  @Override
  public Embeddings embed(String account, String model, List<String> inputs) {
    if (!this.model.id().equals(model)) {
      throw new InferenceException.UnknownModel(model);
    }
    if (!slots.tryAcquire()) {
      throw new InferenceException.Busy("Model " + model + " is busy; retry the request later.");
    }
    try {
      EmbeddingResult result;
      try {
        result = embedder.embedWithUsage(inputs);
      } catch (IllegalStateException e) {
        // The embedder was closed under us: the node is shutting down.
        throw new InferenceException.Unavailable("Model " + model + " is not being served right now.");
      }
      return new Embeddings(result.vectors(), result.totalTokens());
    } finally {
      slots.release();
    }
  }

  /** This backend only embeds. */
  @Override
  public Generated generate(String account, String model, Prompt prompt, Params params, TextSink sink) {
    throw new InferenceException.UnknownModel(model);
  }
}
