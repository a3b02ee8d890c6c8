package io.canopy.gateway.openai;

import java.util.Objects;

/**
 * What {@link InferenceBackend#embed} returns.
 *
 * @param vectors one per input, in input order
 * @param promptTokens the tokens all inputs cost together (OpenAI's {@code usage.prompt_tokens})
 */
public record Embeddings(float[][] vectors, long promptTokens) {
  public Embeddings {
    Objects.requireNonNull(vectors, "vectors");
  }
}
