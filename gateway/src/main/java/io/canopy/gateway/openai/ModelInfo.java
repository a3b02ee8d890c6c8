package io.canopy.gateway.openai;

import io.canopy.protocol.compute.Task;
import java.util.Objects;
import java.util.Set;

/**
 * A model a backend serves, as {@code GET /v1/models} lists it.
 *
 * @param id the id clients pass as {@code model}
 * @param created when the model was published, Unix seconds (OpenAI's {@code created})
 * @param ownedBy OpenAI's {@code owned_by}: who publishes the model
 * @param tasks what it does: {@link Task#EMBEDDING} for {@code /v1/embeddings}, {@link Task#CHAT}
 *     for {@code /v1/chat/completions}, {@link Task#COMPLETION} for {@code /v1/completions}
 * @param embeddingDimension the length of its embedding vectors, or 0 if unknown or it does not embed
 */
public record ModelInfo(String id, long created, String ownedBy, Set<Task> tasks, int embeddingDimension) {
  public ModelInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(ownedBy, "ownedBy");
    tasks = Set.copyOf(tasks);
    if (embeddingDimension < 0) {
      throw new IllegalArgumentException("embeddingDimension " + embeddingDimension);
    }
  }

  /** An embedding model whose vectors have {@code dimension} components. */
  public static ModelInfo embedding(String id, long created, String ownedBy, int dimension) {
    return new ModelInfo(id, created, ownedBy, Set.of(Task.EMBEDDING), dimension);
  }

  public boolean does(Task task) {
    return tasks.contains(task);
  }

  public boolean embeds() {
    return does(Task.EMBEDDING);
  }
}
