package io.canopy.p2p.stream;

import io.canopy.identity.PeerId;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.StreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * One request, one reply, one stream: the shape of Canopy's own protocols (storage deals,
 * challenges, compute jobs). Both messages are varint-length-prefixed; sizes are bounded on both
 * sides and the whole exchange has a deadline, so a silent or flooding peer costs a timer and
 * nothing else. The codec of the messages is the caller's.
 */
public final class UnaryRpc {
  private UnaryRpc() {}

  /**
   * Opens a stream to {@code peer} for {@code protocol}, sends {@code request}, and completes with
   * the reply's bytes (at most {@code maxReply}); fails on timeout, reset or a closed stream.
   */
  public static CompletableFuture<byte[]> call(Host host, PeerId peer, String protocol, byte[] request, int maxReply, Duration timeout) {
    CompletableFuture<byte[]> reply = new CompletableFuture<>();
    host.newStream(peer, List.of(protocol), (stream, selected, connection) -> {
      stream.pipeline().addLast(new VarintFrameDecoder(maxReply), VarintFrameEncoder.INSTANCE, new ReplyReader(reply));
      deadline(stream, timeout, reply);
      stream.writeAndFlush(Unpooled.wrappedBuffer(request)).addListener(f -> {
        if (!f.isSuccess()) {
          reply.completeExceptionally(f.cause());
        }
      });
    }).whenComplete((stream, e) -> {
      if (e != null) {
        reply.completeExceptionally(e);
      }
    });
    return reply;
  }

  /**
   * Serves {@code protocol}: reads one request of at most {@code maxRequest} bytes, passes it to
   * {@code handler} (which may finish later, off the event loop), writes the reply and closes the
   * stream. A handler that fails or overruns {@code timeout} gets the stream reset.
   */
  public static StreamHandler serve(int maxRequest, Duration timeout, BiFunction<Connection, byte[], CompletableFuture<byte[]>> handler) {
    return (stream, protocol, connection) -> {
      CompletableFuture<byte[]> done = new CompletableFuture<>();
      stream.pipeline().addLast(new VarintFrameDecoder(maxRequest), VarintFrameEncoder.INSTANCE, new RequestReader(connection, handler, done));
      deadline(stream, timeout, done);
    };
  }

  private static void deadline(Channel stream, Duration timeout, CompletableFuture<?> result) {
    ScheduledFuture<?> timer = stream.eventLoop().schedule(() -> {
      if (result.completeExceptionally(new TimeoutException("no reply within " + timeout.toMillis() + " ms"))) {
        stream.close();
      }
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    result.whenComplete((r, e) -> timer.cancel(false));
    stream.closeFuture().addListener(f -> result.completeExceptionally(new IOException("stream closed before the reply")));
  }

  private static final class ReplyReader extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<byte[]> reply;

    ReplyReader(CompletableFuture<byte[]> reply) {
      this.reply = reply;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf frame = (ByteBuf) msg;
      try {
        reply.complete(ByteBufUtil.getBytes(frame));
      } finally {
        frame.release();
      }
      ctx.close();
    }

    /** The peer sent FIN before a whole reply (e.g. it refused an oversized request): fail now, not at the deadline. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        if (reply.completeExceptionally(new IOException("the peer closed the stream without a reply"))) {
          ctx.close();
        }
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      reply.completeExceptionally(cause);
      ctx.close();
    }
  }

  private static final class RequestReader extends ChannelInboundHandlerAdapter {
    private final Connection connection;
    private final BiFunction<Connection, byte[], CompletableFuture<byte[]>> handler;
    private final CompletableFuture<byte[]> done;
    private boolean received;

    RequestReader(Connection connection, BiFunction<Connection, byte[], CompletableFuture<byte[]>> handler, CompletableFuture<byte[]> done) {
      this.connection = connection;
      this.handler = handler;
      this.done = done;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf frame = (ByteBuf) msg;
      byte[] request;
      try {
        if (received) {
          return; // one request per stream; anything more is ignored
        }
        received = true;
        request = ByteBufUtil.getBytes(frame);
      } finally {
        frame.release();
      }
      CompletableFuture<byte[]> reply;
      try {
        reply = handler.apply(connection, request);
      } catch (RuntimeException e) {
        reply = CompletableFuture.failedFuture(e);
      }
      reply.whenComplete((bytes, e) -> ctx.executor().execute(() -> {
        if (e != null || !done.complete(bytes)) {
          done.completeExceptionally(e != null ? e : new IllegalStateException("reply too late"));
          ctx.close();
          return;
        }
        ctx.writeAndFlush(Unpooled.wrappedBuffer(bytes)).addListener(ChannelFutureListener.CLOSE);
      }));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      done.completeExceptionally(cause); // e.g. an oversized frame: the stream is reset, the connection lives
      ctx.close();
    }
  }
}
