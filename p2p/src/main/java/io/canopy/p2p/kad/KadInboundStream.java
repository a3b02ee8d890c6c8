package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import io.canopy.p2p.yamux.YamuxException;
import io.canopy.p2p.yamux.YamuxStreamChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Serves requests on one inbound stream, after a VarintFrameDecoder (which bounds the message
 * size) and a VarintFrameEncoder. Answers each request in order; several per stream are allowed
 * (the spec requires it) up to a limit. A request that breaks the protocol, too many requests or
 * no request for the idle timeout reset the stream, and the reason goes to {@code refused}. Each
 * frame is released here, whatever happens to it.
 */
final class KadInboundStream extends ChannelInboundHandlerAdapter {
  private final PeerId remote;
  private final KadRequestHandler handler;
  private final int maxRequests;
  private final Duration idleTimeout;
  private final BiConsumer<PeerId, String> refused;
  private int requests;
  private ScheduledFuture<?> idle;

  KadInboundStream(PeerId remote, KadRequestHandler handler, int maxRequests, Duration idleTimeout, BiConsumer<PeerId, String> refused) {
    this.remote = remote;
    this.handler = handler;
    this.maxRequests = maxRequests;
    this.idleTimeout = idleTimeout;
    this.refused = refused;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    armIdleTimer(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      if (++requests > maxRequests) {
        refuse(ctx, "more than " + maxRequests + " requests on one stream");
        return;
      }
      KadMessage request = KadMessage.decode(ByteBufUtil.getBytes(frame));
      KadMessage answer = handler.handle(remote, request);
      if (answer != null) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(answer.encode()));
      }
      armIdleTimer(ctx);
    } catch (KadProtocolException e) {
      refuse(ctx, e.getMessage());
    } finally {
      frame.release();
    }
  }

  /** The requester is done: close once our answers are out. */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      cancelIdleTimer();
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof YamuxException) { // the peer reset the stream or the connection ended: nothing to refuse
      cancelIdleTimer();
      ctx.close();
      return;
    }
    // the frame decoder's TooLongFrameException / CorruptedFrameException
    Throwable reason = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    refuse(ctx, reason.getMessage());
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancelIdleTimer();
    ctx.fireChannelInactive();
  }

  private void refuse(ChannelHandlerContext ctx, String reason) {
    cancelIdleTimer();
    if (!ctx.channel().isOpen()) {
      return;
    }
    refused.accept(remote, reason);
    if (ctx.channel() instanceof YamuxStreamChannel stream) {
      stream.reset();
    } else {
      ctx.close();
    }
  }

  private void armIdleTimer(ChannelHandlerContext ctx) {
    cancelIdleTimer();
    idle = ctx.executor().schedule(() -> refuse(ctx, "no request for " + idleTimeout.toMillis() + " ms"),
        idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void cancelIdleTimer() {
    if (idle != null) {
      idle.cancel(false);
      idle = null;
    }
  }
}
