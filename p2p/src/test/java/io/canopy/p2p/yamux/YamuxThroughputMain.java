package io.canopy.p2p.yamux;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One-stream throughput on loopback, printed side by side with plain Netty TCP on the same
 * machine in the same run (the baseline). Not a test: run it by hand, e.g.
 *
 * <pre>
 * java -Dio.netty.leakDetection.level=disabled -cp "p2p/target/test-classes:p2p/target/classes:$CP" \
 *     io.canopy.p2p.yamux.YamuxThroughputMain [MiB=1024] [runs=3]
 * </pre>
 */
public final class YamuxThroughputMain {
  private static final int CHUNK = 64 * 1024;

  private YamuxThroughputMain() {}

  public static void main(String[] args) throws Exception {
    long bytes = (args.length > 0 ? Long.parseLong(args[0]) : 1024) * 1024 * 1024;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    try {
      for (int run = 0; run < runs; run++) {
        double tcp = transfer(group, bytes, false);
        double yamux = transfer(group, bytes, true);
        System.out.printf("run %d: %d MiB  tcp %.0f MB/s  yamux %.0f MB/s  ratio %.2f%n",
            run + 1, bytes >> 20, tcp, yamux, yamux / tcp);
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  /** MB/s (10^6 bytes per second) of one download of {@code total} bytes, server to client. */
  private static double transfer(EventLoopGroup group, long total, boolean yamux) throws Exception {
    CompletableFuture<Long> done = new CompletableFuture<>();
    Consumer<Channel> source = ch -> ch.pipeline().addLast(new Source(total, yamux));
    Channel server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            if (yamux) {
              ch.pipeline().addLast(new YamuxHandler(false, YamuxConfig.DEFAULT, initializer(source)));
            } else {
              source.accept(ch);
            }
          }
        })
        .bind("127.0.0.1", 0)
        .sync()
        .channel();
    Sink sink = new Sink(total, done);
    YamuxHandler mux = yamux ? new YamuxHandler(true, YamuxConfig.DEFAULT, initializer(Channel::close)) : null;
    long start = System.nanoTime();
    Channel client = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .handler(yamux ? mux : sink)
        .connect(server.localAddress())
        .sync()
        .channel();
    if (yamux) {
      mux.openStream(initializer(ch -> ch.pipeline().addLast(sink))).sync();
    }
    long received;
    try {
      received = done.get(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException((yamux ? "yamux" : "tcp") + ": received " + sink.received + " of " + total, e);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    client.close().sync();
    server.close().sync();
    if (received != total) {
      throw new IllegalStateException("received " + received + " of " + total);
    }
    return total / seconds / 1e6;
  }

  private static ChannelInitializer<Channel> initializer(Consumer<Channel> setUp) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        setUp.accept(ch);
      }
    };
  }

  /** Writes {@code total} bytes of one random 64 KiB chunk while the channel is writable. */
  private static final class Source extends ChannelInboundHandlerAdapter {
    private final long total;
    private final boolean yamux;
    private ByteBuf chunk;
    private long written;
    private boolean running;
    private boolean again;

    Source(long total, boolean yamux) {
      this.total = total;
      this.yamux = yamux;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      byte[] random = new byte[CHUNK];
      new SplittableRandom(1).nextBytes(random);
      chunk = ctx.alloc().directBuffer(CHUNK).writeBytes(random);
      pump(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      pump(ctx);
    }

    private void pump(ChannelHandlerContext ctx) {
      if (chunk == null) {
        return;
      }
      if (running) {
        again = true; // a writability change while flushing: loop once more
        return;
      }
      running = true;
      try {
        do {
          again = false;
          while (written < total && ctx.channel().isWritable()) {
            int n = (int) Math.min(CHUNK, total - written);
            ctx.write(chunk.retainedSlice(0, n));
            written += n;
          }
          ctx.flush();
        } while (again);
      } finally {
        running = false;
      }
      if (written == total) {
        chunk.release();
        chunk = null;
        if (yamux) {
          ((YamuxStreamChannel) ctx.channel()).closeWrite();
        } else {
          ctx.writeAndFlush(ctx.alloc().buffer(0)).addListener(f -> ((io.netty.channel.socket.SocketChannel) ctx.channel()).shutdownOutput());
        }
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (chunk != null) {
        chunk.release();
        chunk = null;
      }
    }
  }

  /** Counts and drops what arrives; completes at the end of the input. */
  @ChannelHandler.Sharable
  private static final class Sink extends ChannelInboundHandlerAdapter {
    private final long total;
    private final CompletableFuture<Long> done;
    private long received;

    Sink(long total, CompletableFuture<Long> done) {
      this.total = total;
      this.done = done;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      received += buf.readableBytes();
      buf.release();
      if (received == total) {
        done.complete(received);
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == ChannelInputShutdownEvent.INSTANCE) {
        done.complete(received);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      done.complete(received);
    }
  }
}
