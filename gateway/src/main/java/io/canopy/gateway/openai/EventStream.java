package io.canopy.gateway.openai;

/**
 * A request's way back to its client while the backend works on it, with no HTTP in it: {@link
 * OpenAiHandler} implements it over one HTTP response. {@link OpenAiApi} streams a reply as
 * Server-Sent Events through it, and asks it whether the client is still there.
 *
 * <p>Called from the worker thread that serves the request, never from an event loop.
 */
public interface EventStream {

  /**
   * Sends one event, {@code data: DATA\n\n}; the first call sends the response head first (200,
   * {@code text/event-stream}). Blocks while the client is too far behind in reading, so a slow
   * client holds the generation back instead of the gateway buffering its text.
   *
   * @throws java.util.concurrent.CancellationException if the client has gone away (or stopped reading for too long)
   */
  void send(String data);

  /** Ends the response after the last event (nothing happens if the client has gone). */
  void end();

  /** Whether the client has gone away: its connection closed, or a write to it failed. */
  boolean clientGone();
}
