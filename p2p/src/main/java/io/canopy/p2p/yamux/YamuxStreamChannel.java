package io.canopy.p2p.yamux;

import io.netty.buffer.ByteBuf;
import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import java.net.SocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;

/**
 * One yamux stream as a Netty {@link Channel} with its own pipeline, a child of the connection
 * channel and on its event loop (as Netty's HTTP/2 stream channels are).
 *
 * <ul>
 *   <li><b>Writing</b> {@link ByteBuf}s sends Data frames, never more than the peer's window and
 *       never while the connection is not writable. What cannot go out waits in this channel's
 *       outbound buffer, so {@link #isWritable()} turns false past the write-buffer high water mark
 *       and {@code channelWritabilityChanged} tells the writer to back off. A write's promise
 *       completes when its last byte is handed to the connection.
 *   <li><b>Reading</b> follows {@code autoRead} and {@code read()}: each read delivers what has
 *       arrived, and the bytes delivered are granted back to the peer as window. A reader that does
 *       not read stops the peer after one window.
 *   <li><b>Half-close</b>: {@link #closeWrite()} sends FIN after the pending writes. The peer's FIN
 *       arrives, after its data, as {@link ChannelInputShutdownEvent} then {@link
 *       ChannelInputShutdownReadComplete}; the channel stays open for writing. Once both sides sent
 *       FIN and the data is read, the channel closes by itself.
 *   <li><b>Close</b> sends FIN if nothing is left unsent, otherwise RST (so that the peer never
 *       mistakes a truncated stream for a complete one); data the peer sends afterwards is dropped.
 *       {@link #reset()} sends RST. The peer's RST fires a {@link YamuxException} ({@link
 *       YamuxException.Reason#STREAM_RESET}) through the pipeline and closes the channel; pending
 *       writes fail with it. When the connection closes, every stream channel closes.
 * </ul>
 *
 * <p>Buffers: a written ByteBuf is released once sent (or when the write fails); a ByteBuf read
 * from the pipeline belongs to the handler that receives it.
 */
public final class YamuxStreamChannel extends AbstractChannel {
  private static final ChannelMetadata METADATA = new ChannelMetadata(false, 16);

  private final YamuxHandler handler;
  private final YamuxStream stream;
  private final DefaultChannelConfig config;
  private final ArrayDeque<ByteBuf> inbound = new ArrayDeque<>();
  private boolean open = true;
  private boolean readPending;
  private boolean inReadLoop;
  private boolean inputShutdownFired;
  private boolean outputShutdown;
  private ChannelPromise finPromise;
  private YamuxException resetCause;

  YamuxStreamChannel(YamuxHandler handler, Channel parent, YamuxStream stream) {
    super(parent);
    this.handler = handler;
    this.stream = stream;
    this.config = new DefaultChannelConfig(this);
  }

  /** The yamux stream id. */
  public int streamId() {
    return stream.id();
  }

  /** True if this side opened the stream. */
  public boolean isOutbound() {
    return stream.isOutbound();
  }

  YamuxStream stream() {
    return stream;
  }

  /** True once the peer's FIN has been delivered ({@link ChannelInputShutdownEvent} fired). */
  public boolean isInputShutdown() {
    return inputShutdownFired;
  }

  /** True once {@link #closeWrite()} was called. */
  public boolean isOutputShutdown() {
    return outputShutdown;
  }

  /**
   * Bytes received and not yet read by the pipeline (at most the receive window). Call it on the
   * event loop.
   */
  public long queuedInboundBytes() {
    long n = 0;
    for (ByteBuf b : inbound) {
      n += b.readableBytes();
    }
    return n;
  }

  /**
   * Bytes written and not yet sent (waiting for window, for a flush, or for the connection), as
   * Netty counts them (with its small per-write overhead). Call it on the event loop.
   */
  public long pendingOutboundBytes() {
    ChannelOutboundBuffer buf = unsafe().outboundBuffer();
    return buf == null ? 0 : buf.totalPendingWriteBytes();
  }

  /**
   * Half-closes the stream: sends FIN once every write before this call is sent; later writes
   * fail. The future completes when the FIN is handed to the connection.
   */
  public ChannelFuture closeWrite() {
    ChannelPromise promise = newPromise();
    if (eventLoop().inEventLoop()) {
      closeWrite0(promise);
    } else {
      eventLoop().execute(() -> closeWrite0(promise));
    }
    return promise;
  }

  /** Resets the stream (RST) and closes the channel; pending writes fail. */
  public ChannelFuture reset() {
    ChannelPromise promise = newPromise();
    if (eventLoop().inEventLoop()) {
      reset0(promise);
    } else {
      eventLoop().execute(() -> reset0(promise));
    }
    return promise;
  }

  private void closeWrite0(ChannelPromise promise) {
    if (!open) {
      promise.setFailure(new ClosedChannelException());
      return;
    }
    if (outputShutdown) {
      if (finPromise != null) {
        finPromise.addListener(f -> {
          if (f.isSuccess()) {
            promise.trySuccess();
          } else {
            promise.tryFailure(f.cause());
          }
        });
      } else {
        promise.trySuccess();
      }
      return;
    }
    outputShutdown = true;
    finPromise = promise;
    unsafe().flush();
    sendFinIfDrained();
  }

  private void reset0(ChannelPromise promise) {
    if (!open) {
      promise.trySuccess();
      return;
    }
    handler.resetStream(this);
    ((StreamUnsafe) unsafe()).closeWithCause(
        new YamuxException(YamuxException.Reason.STREAM_RESET_LOCALLY, "stream " + Integer.toUnsignedLong(stream.id()) + " reset"),
        promise);
  }

  private void sendFinIfDrained() {
    if (!outputShutdown || finPromise == null || !open) {
      return;
    }
    ChannelOutboundBuffer buf = unsafe().outboundBuffer();
    if (buf != null && !buf.isEmpty()) {
      return;
    }
    ChannelPromise promise = finPromise;
    finPromise = null;
    handler.closeWrite(this);
    promise.trySuccess();
    closeIfFinished();
  }

  // ---- events from the handler (all on the event loop) ---------------------------------------

  /** Data arrived from the peer; this channel owns {@code payload}. */
  void dataReceived(ByteBuf payload) {
    if (!open) {
      int n = payload.readableBytes();
      payload.release();
      handler.consumed(this, n);
      return;
    }
    inbound.add(payload);
    if (readPending) {
      readLoop();
    }
  }

  /** The peer sent FIN. */
  void remoteFinReceived() {
    if (open && inbound.isEmpty() && !inReadLoop) {
      fireInputShutdown();
    }
  }

  /** The stream was reset by the peer or ended with its session. */
  void streamReset(YamuxException cause) {
    if (!open) {
      return;
    }
    resetCause = cause;
    if (cause.reason() == YamuxException.Reason.STREAM_RESET) {
      pipeline().fireExceptionCaught(cause);
    }
    if (open) {
      ((StreamUnsafe) unsafe()).closeWithCause(cause, voidPromise());
    }
  }

  /** The peer granted window, or the connection became writable: send what is pending. */
  void resumeWrite() {
    if (open) {
      ((StreamUnsafe) unsafe()).flush0();
    }
  }

  /** Why the stream ended abnormally, or null. */
  public YamuxException resetCause() {
    return resetCause;
  }

  // ---- reading -------------------------------------------------------------------------------

  private void readLoop() {
    if (inReadLoop) {
      return;
    }
    inReadLoop = true;
    try {
      while (readPending && open && !inbound.isEmpty()) {
        // One read() delivers everything that has arrived (at most one window), as one batch.
        readPending = false;
        int delivered = 0;
        try {
          ByteBuf buf;
          while (open && (buf = inbound.poll()) != null) {
            delivered += buf.readableBytes();
            pipeline().fireChannelRead(buf);
          }
        } finally {
          // Delivered is consumed: the window it took is granted back (once per batch).
          handler.consumed(this, delivered);
        }
        pipeline().fireChannelReadComplete();
      }
    } finally {
      inReadLoop = false;
    }
    if (open && inbound.isEmpty() && stream.remoteFin) {
      fireInputShutdown();
    }
  }

  private void fireInputShutdown() {
    if (inputShutdownFired) {
      return;
    }
    inputShutdownFired = true;
    pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    pipeline().fireUserEventTriggered(ChannelInputShutdownReadComplete.INSTANCE);
    closeIfFinished();
  }

  /** Both sides sent FIN and everything was read: nothing more can happen on this stream. */
  private void closeIfFinished() {
    if (open && inputShutdownFired && stream.localFin) {
      unsafe().close(voidPromise());
    }
  }

  // ---- AbstractChannel ------------------------------------------------------------------------

  @Override
  public ChannelConfig config() {
    return config;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public boolean isActive() {
    return open;
  }

  @Override
  public ChannelMetadata metadata() {
    return METADATA;
  }

  @Override
  protected AbstractUnsafe newUnsafe() {
    return new StreamUnsafe();
  }

  @Override
  protected boolean isCompatible(EventLoop loop) {
    return loop == parent().eventLoop();
  }

  @Override
  protected SocketAddress localAddress0() {
    return parent().localAddress();
  }

  @Override
  protected SocketAddress remoteAddress0() {
    return parent().remoteAddress();
  }

  @Override
  protected void doBind(SocketAddress localAddress) {
    throw new UnsupportedOperationException("a yamux stream cannot be bound");
  }

  @Override
  protected void doDisconnect() {
    doClose();
  }

  @Override
  protected void doClose() {
    if (!open) {
      return;
    }
    open = false;
    int unread = 0;
    for (ByteBuf buf; (buf = inbound.poll()) != null; ) {
      unread += buf.readableBytes();
      buf.release();
    }
    ((StreamUnsafe) unsafe()).finishClose(unread);
    if (finPromise != null) {
      finPromise.tryFailure(new ClosedChannelException());
      finPromise = null;
    }
  }

  @Override
  protected void doBeginRead() {
    readPending = true;
    readLoop();
  }

  @Override
  protected void doWrite(ChannelOutboundBuffer in) {
    for (;;) {
      boolean wrote = false;
      for (;;) {
        Object msg = in.current();
        if (msg == null) {
          break;
        }
        ByteBuf buf = (ByteBuf) msg;
        int readable = buf.readableBytes();
        if (readable == 0) {
          in.remove();
          continue;
        }
        if (!handler.connectionWritableOrWait(this)) {
          break;
        }
        int n = handler.sendableBytes(this, readable);
        if (n == 0) {
          break;
        }
        // Send first, then update the buffer: removeBytes completes write promises and fires
        // writability events, whose handlers may write, closeWrite() (FIN must follow this data)
        // or close.
        handler.sendData(this, buf.retainedSlice(buf.readerIndex(), n));
        in.removeBytes(n);
        wrote = true;
      }
      if (!wrote) {
        break;
      }
      // Flushing the connection may make it writable again at once (it wrote to the socket).
      handler.flushConnection();
      if (in.current() == null || !handler.connectionWritableOrWait(this) || handler.sendableBytes(this, 1) == 0) {
        break;
      }
    }
    if (in.current() == null) {
      sendFinIfDrained();
    }
  }

  /**
   * Netty calls this when {@link #doWrite} failed (the default would close the channel without
   * telling its pipeline): data was lost, so reset the stream and close the channel properly.
   */
  @Override
  protected void doShutdownOutput() {
    if (open) {
      handler.resetStream(this);
      eventLoop().execute(() -> unsafe().close(voidPromise()));
    }
  }

  @Override
  protected Object filterOutboundMessage(Object msg) {
    if (outputShutdown) {
      throw new IllegalStateException("stream " + Integer.toUnsignedLong(stream.id()) + " is closed for writing");
    }
    if (msg instanceof ByteBuf) {
      return msg;
    }
    throw new UnsupportedOperationException("a yamux stream writes ByteBufs, not " + (msg == null ? null : msg.getClass().getName()));
  }

  private final class StreamUnsafe extends AbstractUnsafe {
    /** Whether data written to this channel was never sent; closing must then reset, not FIN. */
    private boolean abort;

    @Override
    public void connect(SocketAddress remote, SocketAddress local, ChannelPromise promise) {
      if (promise.setUncancellable()) {
        promise.setFailure(new UnsupportedOperationException("a yamux stream cannot connect"));
      }
    }

    @Override
    public void close(ChannelPromise promise) {
      ChannelOutboundBuffer buf = outboundBuffer();
      if (buf != null && buf.totalPendingWriteBytes() > 0) {
        abort = true;
      }
      super.close(promise);
    }

    void closeWithCause(YamuxException cause, ChannelPromise promise) {
      ClosedChannelException closed = new ClosedChannelException();
      closed.initCause(cause);
      close(promise, cause, closed);
    }

    @Override
    protected void flush0() {
      super.flush0();
    }

    void finishClose(int unread) {
      handler.streamChannelClosed(YamuxStreamChannel.this, abort, unread);
    }
  }

  /** The channel's read and write state, for {@link YamuxHandler#describe()}. */
  String describe() {
    ChannelOutboundBuffer buf = unsafe().outboundBuffer();
    return "open=" + open + " active=" + isActive() + " writable=" + isWritable()
        + " pendingOut=" + (buf == null ? 0 : buf.totalPendingWriteBytes())
        + " flushedOut=" + (buf == null ? 0 : buf.size())
        + " queuedIn=" + queuedInboundBytes() + " autoRead=" + config.isAutoRead()
        + " readPending=" + readPending + " inputShutdown=" + inputShutdownFired
        + " outputShutdown=" + outputShutdown + " finPending=" + (finPromise != null)
        + " handlers=" + pipeline().names();
  }

  @Override
  public String toString() {
    return "YamuxStreamChannel(" + Integer.toUnsignedLong(stream.id()) + (stream.isOutbound() ? " out" : " in")
        + ", " + parent() + ')';
  }
}
