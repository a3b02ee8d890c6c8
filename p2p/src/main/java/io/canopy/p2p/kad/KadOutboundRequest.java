package io.canopy.p2p.kad;

import io.canopy.p2p.yamux.YamuxStreamChannel;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import java.util.concurrent.CompletableFuture;

/**
 * Sends one request on a fresh outbound stream and reads its one answer (kad-dht §RPC messages:
 * open, send, read, close), after a VarintFrameDecoder and a VarintFrameEncoder. A request that
 * gets no answer (ADD_PROVIDER) completes with null once written, and the stream is closed
 * (FIN). An answer of another type, or one that does not parse, fails {@code result} with
 * {@link KadProtocolException}; the stream is then reset. Each frame is released here.
 */
final class KadOutboundRequest extends ChannelInboundHandlerAdapter {
  private final KadMessage request;
  private final boolean expectsAnswer;
  private final CompletableFuture<KadMessage> result;
  private boolean sent;

  KadOutboundRequest(KadMessage request, boolean expectsAnswer, CompletableFuture<KadMessage> result) {
    this.request = request;
    this.expectsAnswer = expectsAnswer;
    this.result = result;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      send(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    send(ctx);
    ctx.fireChannelActive();
  }

  private void send(ChannelHandlerContext ctx) {
    if (sent) {
      return;
    }
    sent = true;
    ctx.writeAndFlush(Unpooled.wrappedBuffer(request.encode())).addListener(f -> {
      if (!f.isSuccess()) {
        result.completeExceptionally(f.cause());
        ctx.close();
      } else if (!expectsAnswer) {
        result.complete(null);
        ctx.close(); // everything is sent, so this is a FIN: the peer reads the request, then the end
      }
    });
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      if (result.isDone()) {
        return; // a second answer, or one after our timeout: nothing waits for it
      }
      KadMessage answer = KadMessage.decode(ByteBufUtil.getBytes(frame));
      if (answer.type() != request.type()) {
        throw new KadProtocolException("asked " + request.type() + ", answered " + answer.type());
      }
      result.complete(answer);
      ctx.close();
    } catch (KadProtocolException e) {
      fail(ctx, e);
    } finally {
      frame.release();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    result.completeExceptionally(new java.io.IOException("stream closed before the answer to " + request.type()));
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable reason = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    fail(ctx, reason instanceof DecoderException || reason instanceof io.netty.handler.codec.TooLongFrameException
        ? new KadProtocolException("answer to " + request.type() + ": " + reason.getMessage(), reason)
        : reason);
  }

  private void fail(ChannelHandlerContext ctx, Throwable cause) {
    result.completeExceptionally(cause);
    if (ctx.channel() instanceof YamuxStreamChannel stream) {
      stream.reset();
    } else {
      ctx.close();
    }
  }
}
