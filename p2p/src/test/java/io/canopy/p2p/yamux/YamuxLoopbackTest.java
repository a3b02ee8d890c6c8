package io.canopy.p2p.yamux;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.p2p.testing.NettyLeakCheck;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two YamuxHandlers over a real TCP connection on 127.0.0.1. */
class YamuxLoopbackTest {
  private static final int MIB = 1024 * 1024;
  private static final long TIMEOUT_SECONDS = 60;

  private static EventLoopGroup group;
  private final List<Channel> channels = new ArrayList<>();
  private YamuxHandler clientMux;
  private YamuxHandler serverMux;

  @BeforeAll
  static void startGroup() {
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  }

  @AfterAll
  static void stopGroup() throws Exception {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    NettyLeakCheck.collectAndPoll();
    assertThat(NettyLeakCheck.drain()).as("Netty leak reports").isEmpty();
  }

  @AfterEach
  void closeChannels() throws Exception {
    for (Channel ch : channels) {
      ch.close().sync();
    }
  }

  /** Connects a client mux to a server mux; {@code serverStream} sets up each inbound stream. */
  private Channel connect(Consumer<Channel> serverStream) throws Exception {
    CompletableFuture<YamuxHandler> accepted = new CompletableFuture<>();
    ChannelInitializer<Channel> inbound = new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        serverStream.accept(ch);
      }
    };
    Channel server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            YamuxHandler mux = new YamuxHandler(false, YamuxConfig.DEFAULT, inbound);
            ch.pipeline().addLast(mux);
            accepted.complete(mux);
          }
        })
        .bind("127.0.0.1", 0)
        .sync()
        .channel();
    channels.add(server);
    YamuxHandler mux = new YamuxHandler(true, YamuxConfig.DEFAULT, new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.close(); // the server opens no streams in these tests
      }
    });
    Channel client = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .handler(mux)
        .connect(server.localAddress())
        .sync()
        .channel();
    channels.add(0, client);
    clientMux = mux;
    serverMux = accepted.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    return client;
  }

  private static <T> T onLoop(Channel ch, Callable<T> task) throws Exception {
    return ch.eventLoop().submit(task).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private Channel open(ChannelInitializer<Channel> initializer) throws Exception {
    return clientMux.openStream(initializer).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private static ChannelInitializer<Channel> with(ChannelInboundHandlerAdapter handler) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline().addLast(handler);
      }
    };
  }

  @Test
  void hundredConcurrentStreamsWithFourOf64MiBVerifiedBySha256() throws Exception {
    connect(ch -> ch.pipeline().addLast(new StreamTransfer.Server()));
    SplittableRandom random = new SplittableRandom(0x5eed_0004L);
    List<StreamTransfer.Client> transfers = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      long upload;
      long download;
      switch (i) {
        case 10, 60 -> {
          upload = 64L * MIB;
          download = 0;
        }
        case 30, 90 -> {
          upload = 0;
          download = 64L * MIB;
        }
        default -> {
          upload = random.nextInt(300_000);
          download = random.nextInt(300_000);
        }
      }
      transfers.add(new StreamTransfer.Client(upload, download, random.nextLong()));
    }
    long start = System.nanoTime();
    List<Channel> streams = new ArrayList<>();
    for (StreamTransfer.Client t : transfers) {
      streams.add(open(with(t)));
    }
    for (StreamTransfer.Client t : transfers) {
      t.result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("yamux loopback: 100 streams, 4 x 64 MiB + small ones, in %.2f s%n", seconds);
    for (Channel s : streams) {
      s.closeFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    Channel client = channels.get(0);
    assertThat(onLoop(client, () -> clientMux.streamCount())).as("finished streams leave the table").isZero();
  }

  /** Echoes every byte; stops reading while its echo cannot go out; half-closes after the peer. */
  private static final class EchoServer extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
      ctx.channel().config().setAutoRead(ctx.channel().isWritable());
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      ctx.channel().config().setAutoRead(ctx.channel().isWritable());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE) {
        ctx.flush();
        ((YamuxStreamChannel) ctx.channel()).closeWrite();
      }
    }
  }

  /** Sends pseudo-random bytes as the stream allows and checks that the echo is identical. */
  private static final class EchoClient extends ChannelInboundHandlerAdapter {
    final CompletableFuture<Void> result = new CompletableFuture<>();
    private final long size;
    private final long seed;
    private final MessageDigest received = StreamTransfer.sha256();
    private StreamTransfer.Pump pump;
    private long read;

    EchoClient(long size, long seed) {
      this.size = size;
      this.seed = seed;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      pump = new StreamTransfer.Pump(ctx.channel(), size, seed, () -> ((YamuxStreamChannel) ctx.channel()).closeWrite());
      pump.run();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      pump.run();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      read += buf.readableBytes();
      StreamTransfer.update(received, buf, buf.readableBytes());
      buf.release();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt != io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE) {
        return;
      }
      if (read == size && pump.sha != null && MessageDigest.isEqual(pump.sha, received.digest())) {
        result.complete(null);
      } else {
        result.completeExceptionally(new AssertionError("echo of " + size + " bytes: got " + read));
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.completeExceptionally(new AssertionError("closed after " + read + " of " + size + " echoed bytes"));
    }
  }

  @Test
  void hundredEchoStreamsWithBackpressureOnBothSides() throws Exception {
    connect(ch -> ch.pipeline().addLast(new EchoServer()));
    List<EchoClient> clients = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      EchoClient c = new EchoClient(i < 2 ? 64L * MIB : 64 * 1024, i);
      clients.add(c);
      open(with(c));
    }
    for (EchoClient c : clients) {
      c.result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
  }

  @Test
  void aReaderThatStopsReadingStopsTheWriterWithoutUnboundedBuffering() throws Exception {
    CompletableFuture<YamuxStreamChannel> serverStream = new CompletableFuture<>();
    MessageDigest received = StreamTransfer.sha256();
    long[] receivedBytes = {0};
    CompletableFuture<Void> serverDone = new CompletableFuture<>();
    Channel client = connect(ch -> {
      ch.config().setAutoRead(false);
      ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
          ByteBuf buf = (ByteBuf) msg;
          receivedBytes[0] += buf.readableBytes();
          StreamTransfer.update(received, buf, buf.readableBytes());
          buf.release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
          if (evt == io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE) {
            serverDone.complete(null);
            ctx.close();
          }
        }
      });
      serverStream.complete((YamuxStreamChannel) ch);
    });
    long total = 8L * MIB;
    StreamTransfer.Pump[] pump = new StreamTransfer.Pump[1];
    YamuxStreamChannel stream = (YamuxStreamChannel) open(new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
          @Override
          public void channelActive(ChannelHandlerContext ctx) {
            pump[0] = new StreamTransfer.Pump(ctx.channel(), total, 42, () -> ((YamuxStreamChannel) ctx.channel()).closeWrite());
            pump[0].run();
          }

          @Override
          public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump[0].run();
          }
        });
      }
    });
    YamuxStreamChannel reader = serverStream.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);

    // Wait until the writer has used the whole window and backed off.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    while (!onLoop(client, () -> stream.stream().sendWindow() == 0 && !stream.isWritable())) {
      assertThat(System.nanoTime()).as("writer blocked in time").isLessThan(deadline);
      Thread.sleep(5);
    }
    // A ping round trip: any Window Update the server had sent would have arrived before the pong.
    clientMux.ping().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    long high = stream.config().getWriteBufferHighWaterMark();
    long written = onLoop(client, () -> pump[0].written);
    long pending = onLoop(client, stream::pendingOutboundBytes);
    long maxPending = onLoop(client, () -> pump[0].maxPending);
    assertThat(onLoop(client, () -> stream.stream().sendWindow())).isZero();
    assertThat(onLoop(reader, reader::queuedInboundBytes)).as("the reader buffers one window").isEqualTo(YamuxConfig.DEFAULT_INITIAL_STREAM_WINDOW);
    assertThat(onLoop(reader, () -> receivedBytes[0])).isZero();
    long bound = high + StreamTransfer.CHUNK + 4096;
    assertThat(pending).as("writer's pending bytes").isLessThanOrEqualTo(bound);
    assertThat(maxPending).as("writer's pending bytes, at most ever").isLessThanOrEqualTo(bound);
    assertThat(written).as("bytes the writer produced").isLessThanOrEqualTo(YamuxConfig.DEFAULT_INITIAL_STREAM_WINDOW + bound);
    System.out.printf("slow reader: writer stopped after %d bytes with %d pending (high water mark %d)%n", written, pending, high);

    // The reader starts reading: everything arrives, intact.
    reader.eventLoop().execute(() -> reader.config().setAutoRead(true));
    serverDone.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    assertThat(onLoop(reader, () -> receivedBytes[0])).isEqualTo(total);
    byte[] receivedSha = onLoop(reader, received::digest);
    byte[] sentSha = onLoop(client, () -> pump[0].sha);
    assertThat(receivedSha).isEqualTo(sentSha);
    assertThat(onLoop(client, () -> pump[0].maxPending)).isLessThanOrEqualTo(bound);
  }

  @Test
  void closingTheConnectionClosesEveryStreamOnBothSides() throws Exception {
    List<Channel> serverStreams = new java.util.concurrent.CopyOnWriteArrayList<>();
    Channel client = connect(serverStreams::add);
    List<Channel> streams = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Channel s = open(with(new ChannelInboundHandlerAdapter()));
      s.writeAndFlush(s.alloc().buffer(1).writeByte(i)).sync();
      streams.add(s);
    }
    clientMux.ping().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    assertThat(serverStreams).hasSize(3);
    client.close().sync();
    for (Channel s : streams) {
      s.closeFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    for (Channel s : serverStreams) {
      s.closeFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
    assertThat(serverMux).isNotNull();
  }

  @Test
  void pingMeasuresARoundTrip() throws Exception {
    connect(ch -> {});
    assertThat(clientMux.ping().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isPositive();
    assertThat(serverMux.ping().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isPositive();
  }
}
