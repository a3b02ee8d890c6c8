package io.canopy.p2p.yamux;

import java.io.IOException;

/**
 * Why a yamux session or stream failed. One table of reasons for the whole package: each reason
 * says who is at fault and, for those that end the session, which Go Away code is sent.
 */
public final class YamuxException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The reasons, with the party at fault. */
  public enum Reason {
    /**
     * The peer broke the protocol (bad version or type, oversized frame, data past the window, a
     * SYN for a stream that exists...). The session sends Go Away with {@link
     * YamuxFrame#GO_AWAY_PROTOCOL_ERROR} and closes the connection.
     */
    PROTOCOL_ERROR(true),
    /** The peer reset the stream (RST), or refused to open it. */
    STREAM_RESET(true),
    /** The stream was reset on this side (the application asked, or closed it with unsent data). */
    STREAM_RESET_LOCALLY(false),
    /** A new stream would exceed the session's stream limit, or the stream ids are used up. */
    STREAM_LIMIT(false),
    /** A Go Away was sent or received: the session opens no new streams. */
    GOING_AWAY(false),
    /** The connection under the session closed; its streams end with it. */
    SESSION_CLOSED(false);

    private final boolean peerAtFault;

    Reason(boolean peerAtFault) {
      this.peerAtFault = peerAtFault;
    }

    /** True if the remote peer caused this failure. */
    public boolean peerAtFault() {
      return peerAtFault;
    }
  }

  private final Reason reason;

  public YamuxException(Reason reason, String message) {
    super(reason + ": " + message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  static YamuxException protocolError(String message) {
    return new YamuxException(Reason.PROTOCOL_ERROR, message);
  }

  /** The first YamuxException in {@code t}'s cause chain, or null. */
  static YamuxException find(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof YamuxException y) {
        return y;
      }
    }
    return null;
  }
}
