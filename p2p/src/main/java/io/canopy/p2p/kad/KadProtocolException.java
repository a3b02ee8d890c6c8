package io.canopy.p2p.kad;

/**
 * A peer broke the DHT protocol: a message that does not parse, breaks a limit or answers
 * something else than was asked. The message is the reason; the stream it came on is reset and
 * the peer's answer is not used, but the node goes on serving.
 */
public class KadProtocolException extends RuntimeException {
  public KadProtocolException(String reason) {
    super(reason);
  }

  public KadProtocolException(String reason, Throwable cause) {
    super(reason, cause);
  }
}
