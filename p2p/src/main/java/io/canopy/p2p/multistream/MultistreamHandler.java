package io.canopy.p2p.multistream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.Promise;
import java.lang.System.Logger.Level;
import java.util.Collection;
import java.util.List;

/**
 * Runs one {@link MultistreamNegotiation} on a channel (a connection, or later a muxed stream),
 * then gets out of the way.
 *
 * <p>The initiator sends its header and first proposal as soon as the channel is active (or when
 * this handler is added to an already active channel, as after a security upgrade); the
 * responder sends its header at the same moment and waits for proposals.
 *
 * <p>On success the handler, in this order: completes {@code selected} with the protocol id;
 * removes itself from the pipeline; passes any bytes it read past the last negotiation message
 * (a peer may pipeline its first protocol message behind its proposal) to the next handler. So a
 * listener on {@code selected} that installs the protocol's handler behind this one receives
 * those bytes — provided the promise notifies its listeners on this channel's event loop, which
 * {@code channel.eventLoop().newPromise()} does.
 *
 * <p>On failure (garbage, oversize message, too many proposals, no protocol in common, channel
 * closed or an exception during the negotiation) it fails {@code selected} with the reason, logs
 * the reason at DEBUG and closes the channel.
 *
 * <p>Buffers: the inbound ByteBufs are owned by {@link ByteToMessageDecoder}, which releases what
 * this handler consumed and hands the unread rest to the next handler on removal (that handler
 * then owns it). The outbound message buffers are allocated here and released by the transport
 * that writes them.
 */
public final class MultistreamHandler extends ByteToMessageDecoder {
  private static final System.Logger LOG = System.getLogger(MultistreamHandler.class.getName());

  private final MultistreamNegotiation negotiation;
  private final int maxMessageLength;
  private final Promise<String> selected;
  private boolean started;
  private boolean finished;

  /**
   * @param negotiation a negotiation not started yet
   * @param maxMessageLength the largest message accepted from the peer (varint value, newline
   *     included); larger ones close the channel
   * @param selected completed with the selected protocol, or failed with a {@link
   *     MultistreamException} (or the channel's error) when there is none
   */
  public MultistreamHandler(MultistreamNegotiation negotiation, int maxMessageLength, Promise<String> selected) {
    if (maxMessageLength < 2) {
      throw new IllegalArgumentException("maxMessageLength too small: " + maxMessageLength);
    }
    this.negotiation = negotiation;
    this.maxMessageLength = maxMessageLength;
    this.selected = selected;
    for (String p : negotiation.protocols()) {
      MultistreamMessage.checkedUtf8(p, maxMessageLength); // fail now, not on the wire
    }
  }

  /** An initiator proposing {@code protocols} in order, with the default limits. */
  public static MultistreamHandler initiator(List<String> protocols, Promise<String> selected) {
    return new MultistreamHandler(
        MultistreamNegotiation.initiator(protocols), MultistreamMessage.DEFAULT_MAX_MESSAGE_LENGTH, selected);
  }

  /** A responder accepting any of {@code supported}, with the default limits. */
  public static MultistreamHandler responder(Collection<String> supported, Promise<String> selected) {
    return new MultistreamHandler(
        MultistreamNegotiation.responder(supported), MultistreamMessage.DEFAULT_MAX_MESSAGE_LENGTH, selected);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    if (ctx.channel().isActive()) {
      start(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    start(ctx);
    ctx.fireChannelActive();
  }

  private void start(ChannelHandlerContext ctx) {
    if (started) {
      return;
    }
    started = true;
    send(ctx, negotiation.start());
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (finished) {
      in.skipBytes(in.readableBytes()); // failed and closing: drop whatever still arrives
      return;
    }
    if (!started) {
      start(ctx); // data before channelActive cannot happen on a real channel; be safe anyway
    }
    // One message per call: ByteToMessageDecoder calls again while bytes are being consumed.
    try {
      String message = MultistreamMessage.read(in, maxMessageLength);
      if (message == null) {
        return;
      }
      List<String> replies = negotiation.receive(message);
      send(ctx, replies);
      if (negotiation.isDone()) {
        succeed(ctx, negotiation.selected().orElseThrow());
      }
    } catch (MultistreamException e) {
      in.skipBytes(in.readableBytes());
      fail(ctx, e);
    }
  }

  private void send(ChannelHandlerContext ctx, List<String> messages) {
    if (messages.isEmpty()) {
      return;
    }
    int size = 0;
    for (String m : messages) {
      size += MultistreamMessage.encodedLength(m);
    }
    // One buffer for all messages, so a pipelined header + proposal leave in one segment.
    ByteBuf buf = ctx.alloc().buffer(size);
    for (String m : messages) {
      MultistreamMessage.write(m, maxMessageLength, buf);
    }
    ctx.writeAndFlush(buf, ctx.voidPromise()); // the transport releases buf
  }

  private void succeed(ChannelHandlerContext ctx, String protocol) {
    finished = true;
    LOG.log(Level.TRACE, () -> ctx.channel() + " multistream selected " + protocol);
    selected.trySuccess(protocol);
    // Removal is deferred by ByteToMessageDecoder until decode() returns; it then forwards the
    // unread bytes to the next handler, which the listener above may have just installed.
    if (!ctx.isRemoved()) {
      ctx.pipeline().remove(this);
    }
  }

  private void fail(ChannelHandlerContext ctx, Throwable cause) {
    if (finished) {
      return;
    }
    finished = true;
    LOG.log(Level.DEBUG, () -> ctx.channel() + " multistream negotiation failed, closing: " + cause.getMessage());
    selected.tryFailure(cause);
    ctx.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    fail(ctx, new MultistreamException("connection closed during multistream negotiation"));
    super.channelInactive(ctx);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (finished) {
      ctx.fireExceptionCaught(cause);
    } else {
      fail(ctx, cause);
    }
  }
}
