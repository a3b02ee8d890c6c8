package io.canopy.p2p.host;

import io.canopy.p2p.yamux.YamuxStreamChannel;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * A test protocol: the server echoes every byte and half-closes after the client does. Shared
 * with the interop tests through this module's test jar (js-libp2p peers serve the same id).
 */
public final class Echo {
  public static final String PROTOCOL = "/canopy/echo/1.0.0";

  private Echo() {}

  public static final StreamHandler SERVER = (stream, protocol, connection) -> stream.pipeline().addLast(new Server());

  public static final class Server extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
      // Backpressure: stop reading while our echo cannot go out.
      ctx.channel().config().setAutoRead(ctx.channel().isWritable());
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      ctx.channel().config().setAutoRead(ctx.channel().isWritable());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        ctx.flush();
        ((YamuxStreamChannel) ctx.channel()).closeWrite();
      }
    }
  }

  /**
   * Sends {@code size} seeded random bytes in chunks as the stream allows, half-closes, and
   * completes with whether the echo is byte-identical (compared by SHA-256 and length).
   */
  public static final class Client extends ChannelInboundHandlerAdapter {
    private final long size;
    private final SplittableRandom random;
    private final MessageDigest sent = sha256();
    private final MessageDigest received = sha256();
    private long written;
    private long read;
    public final CompletableFuture<Boolean> matches = new CompletableFuture<>();

    public Client(long size, long seed) {
      this.size = size;
      this.random = new SplittableRandom(seed);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      writeMore(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      writeMore(ctx);
      ctx.fireChannelWritabilityChanged();
    }

    private void writeMore(ChannelHandlerContext ctx) {
      while (written < size && ctx.channel().isWritable()) {
        int n = (int) Math.min(64 * 1024, size - written);
        byte[] chunk = new byte[n];
        random.nextBytes(chunk);
        sent.update(chunk);
        written += n;
        ctx.write(ctx.alloc().buffer(n).writeBytes(chunk));
      }
      ctx.flush();
      if (written == size) {
        written++; // only once
        ((YamuxStreamChannel) ctx.channel()).closeWrite();
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      try {
        read += buf.readableBytes();
        received.update(buf.nioBuffer());
      } finally {
        buf.release();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        matches.complete(read == size && MessageDigest.isEqual(sent.digest(), received.digest()));
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      matches.completeExceptionally(new IllegalStateException("stream closed after " + read + " of " + size + " echoed bytes"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      matches.completeExceptionally(cause);
      ctx.close();
    }

    private static MessageDigest sha256() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
