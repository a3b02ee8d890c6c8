package io.canopy.p2p.yamux;

import io.canopy.p2p.yamux.YamuxException.Reason;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Runs a {@link YamuxSession} on a connection channel whose pipeline carries plaintext bytes (the
 * secure channel's output). Each stream is a {@link YamuxStreamChannel}, a child channel with its
 * own pipeline: inbound streams get {@code inboundStreamInitializer}, outbound ones the initializer
 * given to {@link #openStream}.
 *
 * <p>Install it last in the connection's pipeline; when added it puts a {@link YamuxFrameCodec}
 * just before itself (unless the pipeline has one). The pipeline must not run it on another
 * executor than the channel's event loop. Its public methods may be called from any thread.
 *
 * <p>Connection-level behaviour:
 *
 * <ul>
 *   <li>A protocol error (from the codec or the session) sends Go Away with code 1 and closes the
 *       connection; any other exception closes it too.
 *   <li>Closing the connection channel sends Go Away (normal) first; when the connection closes,
 *       every stream channel closes.
 *   <li>The peer's Go Away is fired down the connection pipeline as {@link GoAwayReceived}; opens
 *       waiting for the ACK backlog then fail.
 *   <li>Frames the session writes while the connection is being read are flushed once, at the end
 *       of the read.
 * </ul>
 */
public final class YamuxHandler extends ChannelDuplexHandler {
  private static final InternalLogger LOG = InternalLoggerFactory.getInstance(YamuxHandler.class);

  /** User event fired down the connection pipeline when the peer sends Go Away. */
  public record GoAwayReceived(int errorCode) {}

  private record PendingPing(long sentAtNanos, Promise<Duration> promise) {}

  private record PendingOpen(ChannelInitializer<Channel> initializer, Promise<Channel> promise) {}

  private final boolean client;
  private final YamuxConfig config;
  private final ChannelInitializer<Channel> inboundStreamInitializer;
  private final LongSupplier nanoClock;
  private final Map<Integer, PendingPing> pings = new HashMap<>();
  private final ArrayDeque<PendingOpen> pendingOpens = new ArrayDeque<>();
  private final Set<YamuxStreamChannel> waitingForConnection = new LinkedHashSet<>();
  private volatile ChannelHandlerContext ctx;
  private YamuxSession session;
  private boolean reading;
  private boolean flushNeeded;

  /**
   * @param client true on the side that dialed the connection
   * @param inboundStreamInitializer set up the pipeline of each stream the peer opens; it must be
   *     sharable (a {@link ChannelInitializer} is)
   */
  public YamuxHandler(boolean client, YamuxConfig config, ChannelInitializer<Channel> inboundStreamInitializer) {
    this(client, config, inboundStreamInitializer, System::nanoTime);
  }

  /** As above, with the clock that times pings. */
  public YamuxHandler(
      boolean client, YamuxConfig config, ChannelInitializer<Channel> inboundStreamInitializer, LongSupplier nanoClock) {
    this.client = client;
    this.config = Objects.requireNonNull(config, "config");
    this.inboundStreamInitializer = Objects.requireNonNull(inboundStreamInitializer, "inboundStreamInitializer");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  public boolean isClient() {
    return client;
  }

  public YamuxConfig config() {
    return config;
  }

  // ---- API -----------------------------------------------------------------------------------

  /**
   * Opens an outbound stream whose pipeline {@code initializer} sets up. The future completes with
   * the stream's channel, registered and active, as soon as the SYN is written (data may follow at
   * once, the spec does not wait for the ACK); while 256 of this side's streams are unacknowledged
   * (the libp2p ACK backlog) it waits for an ACK. It fails with a {@link YamuxException} if the
   * session is closed or going away, the stream limit is reached, or the connection is not active
   * yet (open streams once it is).
   */
  public Future<Channel> openStream(ChannelInitializer<Channel> initializer) {
    Objects.requireNonNull(initializer, "initializer");
    ChannelHandlerContext c = ctx;
    if (c == null) {
      return ImmediateEventExecutor.INSTANCE.newFailedFuture(new IllegalStateException("YamuxHandler is not in a pipeline"));
    }
    Promise<Channel> promise = c.channel().eventLoop().newPromise();
    onEventLoop(() -> open(new PendingOpen(initializer, promise)));
    return promise;
  }

  /** Sends a ping; the future completes with the round-trip time when the answer arrives. */
  public Future<Duration> ping() {
    ChannelHandlerContext c = ctx;
    if (c == null) {
      return ImmediateEventExecutor.INSTANCE.newFailedFuture(new IllegalStateException("YamuxHandler is not in a pipeline"));
    }
    Promise<Duration> promise = c.channel().eventLoop().newPromise();
    onEventLoop(() -> {
      int opaque;
      try {
        opaque = session.ping();
      } catch (YamuxException e) {
        promise.tryFailure(e);
        return;
      }
      pings.put(opaque, new PendingPing(nanoClock.getAsLong(), promise));
      promise.addListener(f -> {
        if (f.isCancelled()) {
          pings.remove(opaque);
        }
      });
      flushIfNeeded();
    });
    return promise;
  }

  /**
   * Sends Go Away (normal termination): no new streams in either direction from now on; open
   * streams go on until they finish.
   */
  public void goAway() {
    onEventLoop(() -> {
      if (session.isClosed()) {
        return;
      }
      session.goAway(YamuxFrame.GO_AWAY_NORMAL);
      failPendingOpens(new YamuxException(Reason.GOING_AWAY, "this side sent Go Away"));
      flushIfNeeded();
    });
  }

  /** Streams in the session's table, both directions (call it on the connection's event loop). */
  public int streamCount() {
    return session == null ? 0 : session.streamCount();
  }

  YamuxSession session() {
    return session;
  }

  /**
   * A one-line-per-stream description of the session for logs and stall diagnosis: windows,
   * FINs, bytes queued each way, and whether the connection is writable. Call it on the event
   * loop.
   */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append(ctx == null ? "not in a pipeline" : ctx.channel().toString())
        .append(" writable=").append(ctx != null && ctx.channel().isWritable())
        .append(" reading=").append(reading)
        .append(" flushNeeded=").append(flushNeeded)
        .append(" waitingForConnection=").append(waitingForConnection.size())
        .append(" pendingOpens=").append(pendingOpens.size())
        .append(" streams=").append(streamCount());
    if (session != null) {
      session.forEachStream(stream -> {
        sb.append("\n  ").append(stream);
        YamuxStreamChannel child = child(stream);
        if (child != null) {
          sb.append(" ").append(child.describe());
        }
      });
    }
    return sb.toString();
  }

  private void onEventLoop(Runnable task) {
    EventLoop loop = ctx.channel().eventLoop();
    if (loop.inEventLoop()) {
      task.run();
    } else {
      loop.execute(task);
    }
  }

  // ---- connection pipeline events -------------------------------------------------------------

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.session = new YamuxSession(client, config, new SessionBinding());
    if (ctx.pipeline().get(YamuxFrameCodec.class) == null) {
      ctx.pipeline().addBefore(ctx.name(), null, new YamuxFrameCodec(config.maxStreamWindow()));
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    endSession(new YamuxException(Reason.SESSION_CLOSED, "yamux handler removed from the connection"));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof YamuxFrame frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    reading = true;
    try {
      session.receive(frame);
    } catch (YamuxException e) {
      protocolError(e);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    reading = false;
    openWaiting();
    flushIfNeeded();
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable() && !waitingForConnection.isEmpty()) {
      List<YamuxStreamChannel> waiting = new ArrayList<>(waitingForConnection);
      waitingForConnection.clear();
      for (YamuxStreamChannel child : waiting) {
        child.resumeWrite();
      }
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    endSession(new YamuxException(Reason.SESSION_CLOSED, "connection closed"));
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    YamuxException yamux = YamuxException.find(cause);
    if (yamux != null && yamux.reason() == Reason.PROTOCOL_ERROR) {
      protocolError(yamux);
      return;
    }
    LOG.debug("{} closing the connection after an exception", ctx.channel(), cause);
    if (!(cause instanceof IOException) && session != null) {
      session.goAway(YamuxFrame.GO_AWAY_INTERNAL_ERROR);
      flushNow();
    }
    ctx.close();
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (session != null && !session.isClosed()) {
      session.goAway(YamuxFrame.GO_AWAY_NORMAL);
      flushNow();
    }
    ctx.close(promise);
  }

  private void protocolError(YamuxException e) {
    if (session.isClosed()) {
      return;
    }
    LOG.debug("{} peer broke the yamux protocol: {}", ctx.channel(), e.getMessage());
    session.goAway(YamuxFrame.GO_AWAY_PROTOCOL_ERROR);
    flushNow();
    endSession(e);
    ctx.close();
  }

  private void endSession(YamuxException cause) {
    if (session == null || session.isClosed()) {
      return;
    }
    session.close(cause);
    waitingForConnection.clear();
    failPendingOpens(cause);
    List<PendingPing> unanswered = new ArrayList<>(pings.values());
    pings.clear();
    for (PendingPing ping : unanswered) {
      ping.promise().tryFailure(cause);
    }
  }

  // ---- opening streams -------------------------------------------------------------------------

  private void open(PendingOpen open) {
    if (session.isClosed() || !ctx.channel().isActive()) {
      open.promise().tryFailure(new YamuxException(Reason.SESSION_CLOSED,
          session.isClosed() ? "session closed" : "the connection is not active yet"));
      return;
    }
    if (!pendingOpens.isEmpty() || session.ackBacklogFull()) {
      if (session.isLocalGoAway() || session.isRemoteGoAway()) {
        open.promise().tryFailure(new YamuxException(Reason.GOING_AWAY, "Go Away sent or received"));
      } else if (pendingOpens.size() >= config.maxStreams()) {
        open.promise().tryFailure(new YamuxException(Reason.STREAM_LIMIT, pendingOpens.size() + " opens already wait"));
      } else {
        pendingOpens.add(open);
      }
      return;
    }
    openNow(open);
    flushIfNeeded();
  }

  private void openWaiting() {
    while (!pendingOpens.isEmpty() && !session.ackBacklogFull()) {
      openNow(pendingOpens.poll());
    }
  }

  private void openNow(PendingOpen open) {
    if (!open.promise().setUncancellable()) {
      return;
    }
    YamuxStream stream;
    try {
      stream = session.open();
    } catch (YamuxException e) {
      open.promise().tryFailure(e);
      return;
    }
    YamuxStreamChannel child = register(stream, open.initializer());
    open.promise().trySuccess(child);
  }

  private void failPendingOpens(YamuxException cause) {
    for (PendingOpen open; (open = pendingOpens.poll()) != null; ) {
      open.promise().tryFailure(cause);
    }
  }

  private YamuxStreamChannel register(YamuxStream stream, ChannelInitializer<Channel> initializer) {
    YamuxStreamChannel child = new YamuxStreamChannel(this, ctx.channel(), stream);
    stream.attach(child);
    child.pipeline().addLast(initializer);
    child.unsafe().register(ctx.channel().eventLoop(), child.newPromise());
    return child;
  }

  // ---- calls from the stream channels -----------------------------------------------------------

  boolean connectionWritableOrWait(YamuxStreamChannel child) {
    if (ctx.channel().isWritable()) {
      return true;
    }
    waitingForConnection.add(child);
    return false;
  }

  int sendableBytes(YamuxStreamChannel child, int wanted) {
    return session.sendableBytes(child.stream(), wanted);
  }

  void sendData(YamuxStreamChannel child, ByteBuf payload) {
    session.sendData(child.stream(), payload);
  }

  void flushConnection() {
    flushIfNeeded();
  }

  void closeWrite(YamuxStreamChannel child) {
    session.closeWrite(child.stream());
    flushIfNeeded();
  }

  void resetStream(YamuxStreamChannel child) {
    session.reset(child.stream());
    flushIfNeeded();
  }

  void consumed(YamuxStreamChannel child, int bytes) {
    session.consumed(child.stream(), bytes);
    flushIfNeeded();
  }

  void streamChannelClosed(YamuxStreamChannel child, boolean abort, int unreadBytes) {
    waitingForConnection.remove(child);
    YamuxStream stream = child.stream();
    if (!stream.isRemoved()) {
      if (abort) {
        session.reset(stream);
      } else {
        session.closeWrite(stream);
        if (!stream.isRemoved()) {
          session.discardInbound(stream, unreadBytes);
        }
      }
    }
    flushIfNeeded();
  }

  // ---- writing ---------------------------------------------------------------------------------

  private void flushIfNeeded() {
    if (flushNeeded && !reading) {
      flushNow();
    }
  }

  private void flushNow() {
    flushNeeded = false;
    ctx.flush();
  }

  private static YamuxStreamChannel child(YamuxStream stream) {
    return stream.attachment() instanceof YamuxStreamChannel c ? c : null;
  }

  /** The session's side of the binding: frames to the connection, stream events to children. */
  private final class SessionBinding implements YamuxSession.Binding {
    @Override
    public void writeFrame(YamuxFrame frame) {
      if (!ctx.channel().isActive()) {
        frame.release();
        return;
      }
      ctx.write(frame, ctx.voidPromise());
      flushNeeded = true;
    }

    @Override
    public void inboundStream(YamuxStream stream) {
      register(stream, inboundStreamInitializer);
    }

    @Override
    public void data(YamuxStream stream, ByteBuf payload) {
      YamuxStreamChannel child = child(stream);
      if (child == null) {
        int n = payload.readableBytes();
        payload.release();
        session.consumed(stream, n);
        return;
      }
      child.dataReceived(payload);
    }

    @Override
    public void remoteFin(YamuxStream stream) {
      YamuxStreamChannel child = child(stream);
      if (child != null) {
        child.remoteFinReceived();
      }
    }

    @Override
    public void reset(YamuxStream stream, YamuxException cause) {
      YamuxStreamChannel child = child(stream);
      if (child != null) {
        waitingForConnection.remove(child);
        child.streamReset(cause);
      }
    }

    @Override
    public void sendWindowOpened(YamuxStream stream) {
      YamuxStreamChannel child = child(stream);
      if (child != null) {
        child.resumeWrite();
      }
    }

    @Override
    public void pong(int opaque) {
      PendingPing ping = pings.remove(opaque);
      if (ping != null) {
        ping.promise().trySuccess(Duration.ofNanos(nanoClock.getAsLong() - ping.sentAtNanos()));
      }
    }

    @Override
    public void goAway(int errorCode) {
      LOG.debug("{} peer sent Go Away with code {}", ctx.channel(), errorCode);
      failPendingOpens(new YamuxException(Reason.GOING_AWAY, "the peer sent Go Away with code " + errorCode));
      ctx.fireUserEventTriggered(new GoAwayReceived(errorCode));
    }
  }
}
