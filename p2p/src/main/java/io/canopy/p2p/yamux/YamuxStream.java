package io.canopy.p2p.yamux;

/**
 * The state {@link YamuxSession} keeps for one stream: its id, both flow-control windows, and
 * which sides have closed. Changed only by the session; read by the binding and by tests.
 *
 * <p>Receive-side accounting, in bytes, always satisfies {@code receiveWindow + buffered +
 * pendingCredit == receiveWindowSize}: what the peer may still send, what was delivered to the
 * application and not yet consumed, and what was consumed and not yet granted back in a Window
 * Update. So a reader that stops consuming stops the peer after at most one window.
 */
public final class YamuxStream {
  private final int id;
  private final boolean outbound;

  long sendWindow = YamuxConfig.SPEC_INITIAL_STREAM_WINDOW;
  int receiveWindowSize = YamuxConfig.SPEC_INITIAL_STREAM_WINDOW;
  long receiveWindow = YamuxConfig.SPEC_INITIAL_STREAM_WINDOW;
  long buffered;
  long pendingCredit;
  /** Outbound: the peer's ACK arrived. Inbound: this side sent its ACK. */
  boolean acknowledged;
  boolean localFin;
  boolean remoteFin;
  /** The application no longer reads: data is dropped and its window granted back at once. */
  boolean readerGone;
  /** Removed from the session's table: both sides sent FIN, or it was reset, or the session ended. */
  boolean removed;
  private Object attachment;

  YamuxStream(int id, boolean outbound) {
    this.id = id;
    this.outbound = outbound;
  }

  /** The stream id (an unsigned 32-bit value). */
  public int id() {
    return id;
  }

  /** True if this side opened the stream. */
  public boolean isOutbound() {
    return outbound;
  }

  /** Bytes this side may still send before the peer grants more. */
  public long sendWindow() {
    return sendWindow;
  }

  /** The current size of the receive window (grows from the initial window up to the max). */
  public int receiveWindowSize() {
    return receiveWindowSize;
  }

  /** Bytes the peer may still send before this side grants more. */
  public long receiveWindow() {
    return receiveWindow;
  }

  /** Bytes delivered to the application and not yet consumed. */
  public long buffered() {
    return buffered;
  }

  public boolean isAcknowledged() {
    return acknowledged;
  }

  /** This side sent FIN: it sends no more data. */
  public boolean isLocalFin() {
    return localFin;
  }

  /** The peer sent FIN: no more data will arrive. */
  public boolean isRemoteFin() {
    return remoteFin;
  }

  /** The stream is no longer in the session: finished, reset, or its session ended. */
  public boolean isRemoved() {
    return removed;
  }

  /** Whatever the binding attached (the child channel). */
  public Object attachment() {
    return attachment;
  }

  public void attach(Object attachment) {
    this.attachment = attachment;
  }

  @Override
  public String toString() {
    return "YamuxStream(" + Integer.toUnsignedLong(id) + (outbound ? " out" : " in")
        + ", send " + sendWindow + ", receive " + receiveWindow + "/" + receiveWindowSize
        + ", buffered " + buffered
        + (localFin ? ", local FIN" : "") + (remoteFin ? ", remote FIN" : "") + (removed ? ", removed" : "") + ')';
  }
}
