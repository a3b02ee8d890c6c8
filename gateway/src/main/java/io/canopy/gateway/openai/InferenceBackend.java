package io.canopy.gateway.openai;

import io.canopy.protocol.compute.Params;
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
   * One vector per input, in order. {@code account} (in this and {@link #generate}) is who asked:
   * the account the work is billed to.
   *
   * @throws InferenceException.UnknownModel if no model {@code model} exists or it does not embed
   * @throws InferenceException.Busy if the backend is at capacity
   * @throws InferenceException.Unavailable if nothing serves the model now
   */
  Embeddings embed(String account, String model, List<String> inputs);

  /**
   * Generates text for {@code prompt} with {@code params} ({@code params.maxTokens() == 0}: the
   * model's default), handing each piece to {@code sink} as it comes, and returns once done.
   *
   * @throws InferenceException.UnknownModel if no model {@code model} exists or it does not do that task
   * @throws InferenceException.Busy if every node serving the model is at capacity
   * @throws InferenceException.Unavailable if nothing serves the model now, or it failed before any text
   * @throws InferenceException.Rejected if the model refuses the request itself (e.g. the prompt is longer than its context)
   * @throws java.util.concurrent.CancellationException if {@code sink} threw it (the client went away)
   */
  Generated generate(String account, String model, Prompt prompt, Params params, TextSink sink);
}
