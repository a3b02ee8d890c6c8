package io.canopy.compute.job;

import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.ModelOffer;
import io.canopy.protocol.compute.Usage;

/**
 * Runs jobs for one model: the role behind {@code /canopy/compute/1.0.0} (spec/compute.md).
 * Implementations are named by the engine that does the work ({@link EmbeddingRuntime}) and must
 * be safe for as many concurrent {@link #run} calls as the node's per-model concurrency allows.
 */
public interface InferenceRuntime {

  /** The model served, its task, context length and price; {@code freeSlots} is ignored (the node fills it in). */
  ModelOffer offer();

  /**
   * Runs {@code request}, writing the output to {@code out} in order, and returns what it cost.
   * A {@link #bitExact} runtime's output bytes must depend only on the model, input and params
   * (seed included), so that a validator's re-run hashes the same. Refuses a job it cannot run with a {@link
   * JobRejectedException} (e.g. {@code TOO_LONG}, {@code BAD_REQUEST}); should stop soon after
   * {@code cancel} fires ({@link ChunkSink#write} then throws {@link
   * java.util.concurrent.CancellationException}).
   */
  Usage run(JobRequest request, ChunkSink out, CancellationSignal cancel) throws Exception;

  /**
   * Whether this runtime is bit-exact and deterministic: a validator re-running a job with the same
   * model, input and params gets the same output bytes. The node signs this into each receipt's
   * {@code exact} field (spec/compute.md §3.3). The built-in engines are; a runtime that forwards
   * jobs to another inference server ({@link OpenAiServerRuntime}) is not, and its receipts cannot
   * be fraud-proven by a re-run.
   */
  default boolean bitExact() {
    return true;
  }
}
