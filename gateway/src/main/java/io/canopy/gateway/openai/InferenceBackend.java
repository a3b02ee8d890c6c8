package io.canopy.gateway.openai;

import java.util.List;

/**
 * What the OpenAI face asks of the compute side: which models exist, and the work itself. Calls
 * may block (they run on worker threads) and must be safe for concurrent use. Implementations
 * are named by where the work runs ({@link LocalEmbeddingBackend}).
 */
public interface InferenceBackend {

  /** Every model served, in a stable order. */
  List<ModelInfo> models();

  /**
   * One vector per input, in order.
   *
   * @throws InferenceException.UnknownModel if no model {@code model} exists or it does not embed
   * @throws InferenceException.Busy if the backend is at capacity
   * @throws InferenceException.Unavailable if nothing serves the model now
   */
  Embeddings embed(String model, List<String> inputs);
}
