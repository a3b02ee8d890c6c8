package io.canopy.p2p.noise;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandler;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;

/**
 * What the handshake handler and the transport codec share: the libp2p Noise framing (each
 * Noise message behind a 2-byte big-endian length, spec §Wire Format), failure by logging a
 * reason and closing, and an outbound side so that each can decide what may be written.
 *
 * <p>Inbound buffers belong to {@link ByteToMessageDecoder}: it releases what {@link #decode}
 * consumed, and on removal passes the unread rest to the next handler.
 */
abstract class NoiseFramedHandler extends ByteToMessageDecoder implements ChannelOutboundHandler {
  static final int LENGTH_PREFIX = 2;

  private static final System.Logger LOG = System.getLogger(NoiseFramedHandler.class.getName());

  private boolean failed;

  /** Whether {@link #fail} was called; the channel is then closing and input is dropped. */
  final boolean failed() {
    return failed;
  }

  /**
   * The next whole frame's body as a slice of {@code in} (valid until {@link #decode} returns;
   * not retained), with the reader index moved past it; null if the frame is not all there yet.
   */
  static ByteBuf readFrame(ByteBuf in) {
    if (in.readableBytes() < LENGTH_PREFIX) {
      return null;
    }
    int length = in.getUnsignedShort(in.readerIndex());
    if (in.readableBytes() < LENGTH_PREFIX + length) {
      return null;
    }
    in.skipBytes(LENGTH_PREFIX);
    return in.readSlice(length);
  }

  /** The length the next frame announces, or -1 if its prefix is not all there yet. */
  static int peekFrameLength(ByteBuf in) {
    return in.readableBytes() < LENGTH_PREFIX ? -1 : in.getUnsignedShort(in.readerIndex());
  }

  /** Logs {@code reason}, lets the subclass report it, and closes the channel; once only. */
  final void fail(ChannelHandlerContext ctx, Throwable reason) {
    if (failed) {
      return;
    }
    failed = true;
    LOG.log(Level.DEBUG, () -> ctx.channel() + " " + what() + " failed, closing: " + reason.getMessage());
    onFailure(reason);
    ctx.close();
  }

  /** For the log line: "Noise handshake", "Noise transport". */
  abstract String what();

  /** Called once by {@link #fail}. */
  void onFailure(Throwable reason) {}

  /** By default an exception from the transport ends the connection (the handshake's case). */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (failed) {
      return;
    }
    fail(ctx, cause);
  }

  // ---- outbound: everything but write passes through -------------------------------------------

  @Override
  public void bind(ChannelHandlerContext ctx, SocketAddress localAddress, ChannelPromise promise) {
    ctx.bind(localAddress, promise);
  }

  @Override
  public void connect(
      ChannelHandlerContext ctx, SocketAddress remoteAddress, SocketAddress localAddress, ChannelPromise promise) {
    ctx.connect(remoteAddress, localAddress, promise);
  }

  @Override
  public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
    ctx.disconnect(promise);
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    ctx.close(promise);
  }

  @Override
  public void deregister(ChannelHandlerContext ctx, ChannelPromise promise) {
    ctx.deregister(promise);
  }

  @Override
  public void read(ChannelHandlerContext ctx) {
    ctx.read();
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    ctx.flush();
  }
}
