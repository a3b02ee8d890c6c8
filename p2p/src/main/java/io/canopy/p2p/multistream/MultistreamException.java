package io.canopy.p2p.multistream;

/**
 * Why a multistream-select negotiation failed: the peer broke the protocol (garbage, oversize
 * message, too many proposals) or the two sides have no protocol in common. The message is the
 * reason logged when the channel is closed.
 */
public final class MultistreamException extends Exception {
  private static final long serialVersionUID = 1L;

  public MultistreamException(String message) {
    super(message);
  }
}
