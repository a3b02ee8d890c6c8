package io.canopy.p2p.identify;

import io.canopy.p2p.stream.VarintFrameEncoder;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.function.Supplier;

/**
 * Writes our identify message once the stream is open and then closes the stream: the responder
 * of {@code /ipfs/id/1.0.0} and the initiator of {@code /ipfs/id/push/1.0.0} both do exactly this.
 * The message is built when sent, so it lists the addresses and protocols of that moment.
 */
public final class IdentifySender extends ChannelInboundHandlerAdapter {
  private final Supplier<IdentifyMessage> message;
  private boolean sent;

  public IdentifySender(Supplier<IdentifyMessage> message) {
    this.message = message;
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
    if (ctx.pipeline().get(VarintFrameEncoder.class) == null) {
      ctx.pipeline().addBefore(ctx.name(), null, VarintFrameEncoder.INSTANCE);
    }
    byte[] encoded = message.get().encode();
    ctx.writeAndFlush(Unpooled.wrappedBuffer(encoded)).addListener(ChannelFutureListener.CLOSE);
  }
}
