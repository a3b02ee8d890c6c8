package io.canopy.gateway.openai;

/**
 * Receives generated text as it is produced, on the backend's thread, in order. Throws {@link
 * java.util.concurrent.CancellationException} when the client has gone away: the backend must
 * then stop the job (and free whatever it holds) and let the exception propagate.
 */
@FunctionalInterface
public interface TextSink {
  void text(String piece);
}
