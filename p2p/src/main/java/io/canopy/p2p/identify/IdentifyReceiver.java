package io.canopy.p2p.identify;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Promise;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the peer's identify message: the initiator of {@code /ipfs/id/1.0.0} and the responder of
 * {@code /ipfs/id/push/1.0.0}. A peer may split the message into several length-prefixed parts
 * (the spec allows it for large messages); they are merged until the peer closes the stream, and
 * their total is bounded by {@link IdentifyMessage#MAX_SIZE}. Expects a VarintFrameDecoder before
 * it in the pipeline.
 */
public final class IdentifyReceiver extends ChannelInboundHandlerAdapter {
  private final Promise<IdentifyMessage> result;
  private final List<IdentifyMessage> parts = new ArrayList<>();
  private int totalBytes;

  public IdentifyReceiver(Promise<IdentifyMessage> result) {
    this.result = result;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      totalBytes += frame.readableBytes();
      if (totalBytes > IdentifyMessage.MAX_SIZE) {
        fail(ctx, new IllegalArgumentException("identify from the peer exceeds " + IdentifyMessage.MAX_SIZE + " bytes"));
        return;
      }
      parts.add(IdentifyMessage.decode(ByteBufUtil.getBytes(frame)));
    } catch (IllegalArgumentException e) {
      fail(ctx, e);
    } finally {
      frame.release();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      finish();
      ctx.close();
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    finish();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    fail(ctx, cause);
  }

  private void fail(ChannelHandlerContext ctx, Throwable cause) {
    result.tryFailure(cause);
    ctx.close();
  }

  private void finish() {
    if (parts.isEmpty()) {
      result.tryFailure(new IllegalStateException("the peer closed the identify stream without sending a message"));
    } else {
      result.trySuccess(merge(parts));
    }
  }

  /** Later parts override single fields and extend lists, as the spec's merge rule says. */
  static IdentifyMessage merge(List<IdentifyMessage> parts) {
    IdentifyMessage m = parts.get(0);
    for (IdentifyMessage next : parts.subList(1, parts.size())) {
      List<byte[]> addrs = new ArrayList<>(m.listenAddrs());
      addrs.addAll(next.listenAddrs());
      List<String> protocols = new ArrayList<>(m.protocols());
      protocols.addAll(next.protocols());
      m = new IdentifyMessage(
          next.protocolVersion() != null ? next.protocolVersion() : m.protocolVersion(),
          next.agentVersion() != null ? next.agentVersion() : m.agentVersion(),
          next.publicKey() != null ? next.publicKey() : m.publicKey(),
          addrs,
          next.observedAddr() != null ? next.observedAddr() : m.observedAddr(),
          protocols,
          next.signedPeerRecord() != null ? next.signedPeerRecord() : m.signedPeerRecord());
    }
    return m;
  }
}
