package io.canopy.p2p.bench;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.p2p.yamux.YamuxStreamChannel;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Loopback benchmark for the libp2p stack (not a test; {@code bench/p2p.sh} runs it): one Yamux
 * stream over Noise between two Canopy hosts, plain Netty TCP on the same machine as the ceiling,
 * and connection setup (dial until the first ping round trip) on fresh connections. Prints one
 * JSON line: {@code {"canopyMBps":..,"rawTcpMBps":..,"canopyConnectMs":..}} (MB = 10^6 bytes).
 *
 * <pre>
 * java -Dio.netty.leakDetection.level=DISABLED -cp ... io.canopy.p2p.bench.P2pThroughputMain [MiB=1024]
 * </pre>
 */
public final class P2pThroughputMain {
  public static final String PROTOCOL = "/canopy/bench/1.0.0";
  private static final int CHUNK = 64 * 1024;
  private static final int RUNS = 3;
  private static final int CONNECTS = 10;
  private static final int WARMUP_CONNECTS = 3;
  private static final long TIMEOUT_SECONDS = 600;
  /** What each server-side stream counted, in order. */
  private static final BlockingQueue<Long> RECEIVED = new LinkedBlockingQueue<>();

  private P2pThroughputMain() {}

  public static void main(String[] args) throws Exception {
    long mib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
    long total = mib * 1024 * 1024;
    long warmup = Math.min(mib, 64) * 1024 * 1024;

    double rawTcp = rawTcp(total, warmup);

    SecureRandom random = new SecureRandom();
    Multiaddr loopback = Multiaddr.parse("/ip4/127.0.0.1/tcp/0");
    try (Host server = new Host(config(random, loopback)).start();
        Host client = new Host(config(random, loopback)).start()) {
      server.registerProtocol(PROTOCOL, (stream, protocol, connection) -> stream.pipeline().addLast(new StreamSink(RECEIVED::add)));
      Multiaddr target = server.listenAddrs().get(0).withPeerId(server.peerId());

      double connectMs = connectLatency(client, target);

      Connection connection = client.connect(target).get(30, TimeUnit.SECONDS);
      sendOverStream(client, connection, warmup);
      List<Double> mbps = new ArrayList<>();
      for (int run = 0; run < RUNS; run++) {
        double seconds = sendOverStream(client, connection, total);
        mbps.add(total / seconds / 1e6);
        System.err.printf(Locale.ROOT, "canopy run %d: %.1f MB/s%n", run + 1, mbps.get(run));
      }
      connection.close();
      System.out.printf(Locale.ROOT, "{\"canopyMBps\":%.1f,\"rawTcpMBps\":%.1f,\"canopyConnectMs\":%.2f}%n",
          median(mbps), rawTcp, connectMs);
    }
  }

  private static HostConfig config(SecureRandom random, Multiaddr listen) {
    return HostConfig.builder(Ed25519PrivateKey.generate(random))
        .listen(List.of(listen))
        .maxConnectionsPerPeer(64) // fresh connections in a row: the closed ones may not be gone yet
        .build();
  }

  // --- connection setup ---------------------------------------------------------------------

  /** Median ms from dial to the first ping's answer, each on a new connection closed after. */
  private static double connectLatency(Host client, Multiaddr target) throws Exception {
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < WARMUP_CONNECTS + CONNECTS; i++) {
      long start = System.nanoTime();
      Connection c = client.connect(target).get(30, TimeUnit.SECONDS);
      client.ping(c, 1).get(30, TimeUnit.SECONDS);
      double elapsed = (System.nanoTime() - start) / 1e6;
      c.channel().close().sync(); // the next connect must dial again
      if (i >= WARMUP_CONNECTS) {
        ms.add(elapsed);
      }
    }
    System.err.printf(Locale.ROOT, "canopy connect+ping ms: %s%n", ms);
    return median(ms);
  }

  // --- one Canopy stream --------------------------------------------------------------------

  /** Seconds from the first byte sent to the server's close of its side, seen by the client. */
  private static double sendOverStream(Host client, Connection connection, long total) throws Exception {
    StreamSource source = new StreamSource(total);
    client.newStream(connection, List.of(PROTOCOL), (stream, protocol, c) -> stream.pipeline().addLast(source))
        .get(30, TimeUnit.SECONDS);
    long end = source.done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (source.written != total) {
      throw new IllegalStateException("sent " + source.written + " of " + total + " bytes");
    }
    Long received = RECEIVED.poll(10, TimeUnit.SECONDS);
    if (received == null || received != total) {
      throw new IllegalStateException("the server received " + received + " of " + total + " bytes");
    }
    return (end - source.start) / 1e9;
  }

  /** Server side: counts and drops; closes its side once the client has closed its own. */
  private static final class StreamSink extends ChannelInboundHandlerAdapter {
    private final Consumer<Long> report;
    private long received;

    StreamSink(Consumer<Long> report) {
      this.report = report;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      received += buf.readableBytes();
      buf.release();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        report.accept(received);
        ((YamuxStreamChannel) ctx.channel()).closeWrite();
      }
      ctx.fireUserEventTriggered(evt);
    }
  }

  /** Client side: writes {@code total} bytes while writable, closes its side, waits for the server's. */
  private static final class StreamSource extends Pump {
    StreamSource(long total) {
      super(total);
    }

    @Override
    void finish(ChannelHandlerContext ctx) {
      ((YamuxStreamChannel) ctx.channel()).closeWrite();
    }
  }

  /**
   * Sends {@code total} bytes of one random 64 KiB chunk as fast as the channel's writability
   * allows, then {@link #finish}es; {@link #done} is the nanoTime the peer's end of input arrived.
   */
  private abstract static class Pump extends ChannelInboundHandlerAdapter {
    final long total;
    final CompletableFuture<Long> done = new CompletableFuture<>();
    long start;
    long written;
    private boolean started;
    private ByteBuf chunk;
    private boolean pumping;
    private boolean repeat;

    Pump(long total) {
      this.total = total;
    }

    abstract void finish(ChannelHandlerContext ctx);

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      if (ctx.channel().isActive()) {
        begin(ctx);
      }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      begin(ctx);
      ctx.fireChannelActive();
    }

    private void begin(ChannelHandlerContext ctx) {
      if (started) {
        return;
      }
      started = true;
      byte[] bytes = new byte[CHUNK];
      new SplittableRandom(42).nextBytes(bytes);
      chunk = ctx.alloc().directBuffer(CHUNK).writeBytes(bytes);
      start = System.nanoTime();
      pump(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      pump(ctx);
      ctx.fireChannelWritabilityChanged();
    }

    private void pump(ChannelHandlerContext ctx) {
      if (chunk == null) {
        return;
      }
      if (pumping) { // writability changed during our own flush: go round once more
        repeat = true;
        return;
      }
      pumping = true;
      try {
        do {
          repeat = false;
          while (written < total && ctx.channel().isWritable()) {
            int n = (int) Math.min(CHUNK, total - written);
            ctx.write(chunk.retainedSlice(0, n));
            written += n;
          }
          ctx.flush();
        } while (repeat);
      } finally {
        pumping = false;
      }
      if (written == total) {
        chunk.release();
        chunk = null;
        finish(ctx);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ((ByteBuf) msg).release(); // the peer sends nothing
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        done.complete(System.nanoTime());
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (written >= total) {
        done.complete(System.nanoTime());
      } else {
        done.completeExceptionally(new IllegalStateException("closed after " + written + " of " + total + " bytes"));
      }
      if (chunk != null) {
        chunk.release();
        chunk = null;
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      done.completeExceptionally(cause);
      ctx.close();
    }
  }

  // --- raw TCP ------------------------------------------------------------------------------

  /** Median MB/s of plain Netty TCP, client to server, one event loop thread each side. */
  private static double rawTcp(long total, long warmup) throws Exception {
    EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    EventLoopGroup clientGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      Channel server = new ServerBootstrap()
          .group(serverGroup)
          .channel(NioServerSocketChannel.class)
          .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
          .childHandler(initializer(ch -> ch.pipeline().addLast(new TcpSink())))
          .bind("127.0.0.1", 0)
          .sync()
          .channel();
      try {
        rawTcpOnce(clientGroup, server, warmup);
        List<Double> mbps = new ArrayList<>();
        for (int run = 0; run < RUNS; run++) {
          mbps.add(total / rawTcpOnce(clientGroup, server, total) / 1e6);
          System.err.printf(Locale.ROOT, "raw tcp run %d: %.1f MB/s%n", run + 1, mbps.get(run));
        }
        return median(mbps);
      } finally {
        server.close().sync();
      }
    } finally {
      clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
      serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  private static double rawTcpOnce(EventLoopGroup group, Channel server, long total) throws Exception {
    TcpSource source = new TcpSource(total);
    Channel client = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .handler(source)
        .connect(server.localAddress())
        .sync()
        .channel();
    long end = source.done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    client.close().sync();
    return (end - source.start) / 1e9;
  }

  private static final class TcpSource extends Pump {
    TcpSource(long total) {
      super(total);
    }

    @Override
    void finish(ChannelHandlerContext ctx) {
      ((SocketChannel) ctx.channel()).shutdownOutput();
    }
  }

  private static final class TcpSink extends ChannelInboundHandlerAdapter {
    private long received;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      received += buf.readableBytes();
      buf.release();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        ((SocketChannel) ctx.channel()).shutdownOutput();
      }
      ctx.fireUserEventTriggered(evt);
    }
  }

  private static ChannelInitializer<Channel> initializer(Consumer<Channel> setUp) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        setUp.accept(ch);
      }
    };
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
