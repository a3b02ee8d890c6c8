package io.canopy.compute.embed;

import java.util.List;

/**
 * Turns texts into fixed-length vectors for similarity search: the role behind the OpenAI-style
 * {@code /v1/embeddings} operation. Implementations are named by the runtime that does the work
 * ({@link OnnxEmbedder}) and are safe for concurrent use.
 */
public interface TextEmbedder extends AutoCloseable {

  /** The length of every vector returned. */
  int dimension();

  /** The most tokens of one input the model sees, special tokens included; the rest is dropped. */
  int maxTokens();

  /** One vector per text, in order. */
  default float[][] embed(List<String> texts) {
    return embedWithUsage(texts).vectors();
  }

  /** One vector per text, in order, with the tokens each input cost (for usage accounting). */
  EmbeddingResult embedWithUsage(List<String> texts);

  /** Releases the model; idempotent. Calls after it fail with {@link IllegalStateException}. */
  @Override
  void close();
}
