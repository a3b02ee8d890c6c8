package io.canopy.content.bitswap;

import io.canopy.identity.PeerId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;

/**
 * Reads Bitswap messages from a stream, one per varint frame, for as long as the peer sends them
 * (Bitswap is message-based: a stream carries any number of messages). Expects a {@code
 * VarintFrameDecoder} bounded by the maximum message size before it.
 *
 * <p>Buffers: each frame is copied out and released here, before the message is handed on, so
 * nothing downstream holds a ByteBuf.
 */
final class BitswapStreamReader extends ChannelInboundHandlerAdapter {
  /** Where decoded messages and violations go. */
  interface Sink {
    /** A message; call {@code done} once it is fully processed (that frees the peer's read budget). */
    void messageReceived(PeerId peer, String protocol, BitswapMessage message, Runnable done);

    /** The peer broke the protocol on this stream (undecodable or oversized message). */
    void violation(PeerId peer, String why);
  }

  private final PeerId peer;
  private final String protocol;
  private final InboundGate gate;
  private final Sink sink;
  private final boolean closeOnEof;
  /** One strike per broken stream: the decoder may fail again on the bytes left as it closes. */
  private boolean violated;

  /** @param closeOnEof close the stream when the peer ends its side (inbound streams: we never write on them) */
  BitswapStreamReader(PeerId peer, String protocol, InboundGate gate, Sink sink, boolean closeOnEof) {
    this.peer = peer;
    this.protocol = protocol;
    this.gate = gate;
    this.sink = sink;
    this.closeOnEof = closeOnEof;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    int size = frame.readableBytes();
    BitswapMessage message;
    try {
      message = BitswapMessage.decode(ByteBufUtil.getBytes(frame));
    } catch (IllegalArgumentException e) { // ProtoException, bad CID
      violation(ctx, "undecodable message: " + e.getMessage());
      return;
    } finally {
      frame.release();
    }
    gate.acquire(size);
    gate.pauseIfFull(ctx.channel());
    sink.messageReceived(peer, protocol, message, () -> gate.release(size));
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent && closeOnEof) {
      ctx.close();
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof DecoderException) { // a frame over the message size limit, or a corrupt length
      violation(ctx, cause.getMessage());
    }
    ctx.close();
  }

  private void violation(ChannelHandlerContext ctx, String why) {
    if (!violated) {
      violated = true;
      sink.violation(peer, why);
    }
    ctx.close();
  }
}
