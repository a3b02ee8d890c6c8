package io.canopy.gateway.openai;

import java.util.Objects;

/**
 * A model a backend serves, as {@code GET /v1/models} lists it.
 *
 * @param id the id clients pass as {@code model}
 * @param created when the model was published, Unix seconds (OpenAI's {@code created})
 * @param ownedBy OpenAI's {@code owned_by}: who publishes the model
 * @param embeddingDimension the length of its embedding vectors, or 0 if it does not embed
 */
public record ModelInfo(String id, long created, String ownedBy, int embeddingDimension) {
  public ModelInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownedBy, "ownedBy");
    if (embeddingDimension < 0) {
      throw new IllegalArgumentException("embeddingDimension " + embeddingDimension);
    }
  }

  public boolean embeds() {
    return embeddingDimension > 0;
  }
}
