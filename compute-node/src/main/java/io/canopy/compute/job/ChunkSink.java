package io.canopy.compute.job;

/** Where a runtime writes a job's output, piece by piece; the output is the concatenation of every write. */
@FunctionalInterface
public interface ChunkSink {
  /**
   * Sends {@code bytes} (any length; the node splits them into protocol chunks). May block while
   * the client reads slowly. Throws {@link java.util.concurrent.CancellationException} once the
   * job is cancelled or timed out.
   */
  void write(byte[] bytes);
}
