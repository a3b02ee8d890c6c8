package io.canopy.compute.job;

import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.ModelOffer;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A deterministic runtime for protocol mechanics: the output is the input reversed, in {@code
 * chunks} writes. While {@link #gate} is not complete every job waits (until cancelled), so a test
 * can hold slots taken.
 */
final class ReversingRuntime implements InferenceRuntime {
  static final Cid MODEL = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "reverse".getBytes(StandardCharsets.UTF_8));

  private final int chunks;
  volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
  final BlockingQueue<String> started = new LinkedBlockingQueue<>();
  final BlockingQueue<String> cancelled = new LinkedBlockingQueue<>();

  ReversingRuntime(int chunks) {
    this.chunks = chunks;
  }

  void hold() {
    gate = new CompletableFuture<>();
  }

  void release() {
    gate.complete(null);
  }

  @Override
  public ModelOffer offer() {
    return new ModelOffer(MODEL, "reverse", Task.COMPLETION, 4096, 10, 0);
  }

  @Override
  public Usage run(JobRequest request, ChunkSink out, CancellationSignal cancel) throws Exception {
    started.add(request.jobId());
    CompletableFuture<Void> stop = new CompletableFuture<>();
    cancel.onCancel(() -> stop.complete(null));
    CompletableFuture.anyOf(gate, stop).get();
    if (cancel.isCancelled()) {
      cancelled.add(request.jobId());
      cancel.throwIfCancelled();
    }
    byte[] reversed = reverse(request.input());
    int step = Math.max(1, (reversed.length + chunks - 1) / chunks);
    for (int off = 0; off < reversed.length; off += step) {
      out.write(Arrays.copyOfRange(reversed, off, Math.min(reversed.length, off + step)));
    }
    return new Usage(request.input().length, reversed.length);
  }

  static byte[] reverse(byte[] in) {
    byte[] out = new byte[in.length];
    for (int i = 0; i < in.length; i++) {
      out[i] = in[in.length - 1 - i];
    }
    return out;
  }
}
