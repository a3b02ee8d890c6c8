package io.canopy.compute.job;

import io.canopy.protocol.compute.ComputeMessage;

/** Where the node side sends one job's messages; the stream binding ({@link ComputeProtocol}) implements it. */
interface JobOutput {
  /** Sends one chunk (at most {@link ComputeMessage#MAX_CHUNK_SIZE} bytes); may block for back-pressure. Throws {@link java.util.concurrent.CancellationException} once the stream is gone. */
  void chunk(byte[] bytes);

  /** Sends the last message ({@code Done} or {@code Rejected}) and closes the stream; called at most once. */
  void finish(ComputeMessage last);

  /** Ends the stream without a last message (the client went away). */
  void abort();
}
