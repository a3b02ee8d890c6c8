package io.canopy.p2p.yamux;

import static io.canopy.p2p.yamux.YamuxFrame.FLAG_ACK;
import static io.canopy.p2p.yamux.YamuxFrame.FLAG_FIN;
import static io.canopy.p2p.yamux.YamuxFrame.FLAG_RST;
import static io.canopy.p2p.yamux.YamuxFrame.FLAG_SYN;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The binding on an EmbeddedChannel: frames in, frames out, stream channels in between. */
class YamuxHandlerTest {
  private static final int W = YamuxConfig.SPEC_INITIAL_STREAM_WINDOW;

  /** What a stream channel's pipeline saw. */
  private static final class StreamRecorder extends ChannelInboundHandlerAdapter {
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final List<String> events = new ArrayList<>();
    final List<Throwable> errors = new ArrayList<>();

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      events.add("active");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      try {
        received.write(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes());
      } finally {
        buf.release();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt == ChannelInputShutdownEvent.INSTANCE) {
        events.add("input shutdown");
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      events.add("writable " + ctx.channel().isWritable());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      errors.add(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      events.add("inactive");
    }
  }

  private final List<YamuxStreamChannel> inbound = new ArrayList<>();
  private final List<StreamRecorder> recorders = new ArrayList<>();
  private final List<ByteBuf> written = new ArrayList<>();
  private final List<Object> connectionEvents = new ArrayList<>();
  private long now;
  private YamuxHandler handler;
  private EmbeddedChannel connection;

  @AfterEach
  void releaseEverything() {
    if (connection != null) {
      connection.finishAndReleaseAll();
    }
    for (ByteBuf b : written) {
      assertThat(b.refCnt()).as("a buffer written to a stream was released").isZero();
    }
    // NettyLeakCheck (registered for every test class) fails the class if Netty saw a leak.
  }

  private EmbeddedChannel connect(boolean client, YamuxConfig config) {
    return connect(client, config, ch -> {});
  }

  private EmbeddedChannel connect(boolean client, YamuxConfig config, Consumer<Channel> setUpInbound) {
    handler = new YamuxHandler(client, config, initializer(setUpInbound, inbound), () -> now);
    connection = new EmbeddedChannel(handler, new ChannelInboundHandlerAdapter() {
      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        connectionEvents.add(evt);
      }
    });
    return connection;
  }

  private ChannelInitializer<Channel> initializer(Consumer<Channel> setUp, List<YamuxStreamChannel> sink) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        StreamRecorder rec = new StreamRecorder();
        recorders.add(rec);
        sink.add((YamuxStreamChannel) ch);
        setUp.accept(ch);
        ch.pipeline().addLast(rec);
      }
    };
  }

  private StreamRecorder recorder(Channel ch) {
    return ch.pipeline().get(StreamRecorder.class) != null ? ch.pipeline().get(StreamRecorder.class) : recorders.get(recorders.size() - 1);
  }

  private void receive(YamuxFrame frame) {
    connection.writeInbound(YamuxFrames.wire(frame));
  }

  private ByteBuf bytes(int n) {
    ByteBuf b = Unpooled.wrappedBuffer(YamuxFrames.bytes(n, n));
    written.add(b);
    return b;
  }

  private static ByteBuf data(int n) {
    return Unpooled.wrappedBuffer(YamuxFrames.bytes(n, n));
  }

  /** Frames sent since the last call, described; released. */
  private List<String> sent() {
    List<YamuxFrame> frames = YamuxFrames.drainFrames(connection);
    List<String> out = frames.stream()
        .map(f -> f.type() + " " + Integer.toUnsignedLong(f.streamId()) + " flags " + f.flags() + " length " + f.lengthUnsigned())
        .toList();
    YamuxFrames.releaseAll(frames);
    return out;
  }

  /** Total Data bytes in the frames sent since the last call. */
  private long sentDataBytes(List<String> frames) {
    return frames.stream()
        .filter(f -> f.startsWith("DATA"))
        .mapToLong(f -> Long.parseLong(f.substring(f.lastIndexOf(' ') + 1)))
        .sum();
  }

  private YamuxStreamChannel open(ChannelInitializer<Channel> initializer) {
    Future<Channel> f = handler.openStream(initializer);
    assertThat(f.isSuccess()).as("open: %s", f.cause()).isTrue();
    return (YamuxStreamChannel) f.getNow();
  }

  private YamuxStreamChannel open() {
    List<YamuxStreamChannel> sink = new ArrayList<>();
    return open(initializer(ch -> {}, sink));
  }

  @Test
  void anInboundStreamFromSynToBothFins() {
    connect(false, YamuxConfig.DEFAULT);
    receive(YamuxFrame.data(1, FLAG_SYN, Unpooled.wrappedBuffer("hello".getBytes())));
    assertThat(sent()).containsExactly("WINDOW_UPDATE 1 flags 2 length 0");
    YamuxStreamChannel stream = inbound.get(0);
    StreamRecorder rec = recorder(stream);
    assertThat(stream.streamId()).isEqualTo(1);
    assertThat(rec.received.toString()).isEqualTo("hello");

    stream.writeAndFlush(Unpooled.wrappedBuffer("world".getBytes()));
    assertThat(sent()).containsExactly("DATA 1 flags 0 length 5");

    receive(YamuxFrame.windowUpdate(1, FLAG_FIN, 0));
    assertThat(rec.events).containsExactly("active", "input shutdown");
    assertThat(stream.isOpen()).as("half-closed: still writable").isTrue();
    stream.writeAndFlush(Unpooled.wrappedBuffer("!".getBytes()));
    stream.close();
    connection.runPendingTasks(); // Netty fires channelInactive from a task
    assertThat(sent()).containsExactly("DATA 1 flags 0 length 1", "WINDOW_UPDATE 1 flags 4 length 0");
    assertThat(rec.events).containsExactly("active", "input shutdown", "inactive");
    assertThat(handler.streamCount()).isZero();
  }

  @Test
  void aStreamClosedFirstDropsLaterDataButGrantsItsWindow() {
    connect(false, YamuxConfig.DEFAULT);
    receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    sent();
    YamuxStreamChannel stream = inbound.get(0);
    stream.close();
    assertThat(sent()).containsExactly("WINDOW_UPDATE 1 flags 4 length 0");
    assertThat(handler.streamCount()).as("waits for the peer's FIN").isEqualTo(1);
    receive(YamuxFrame.data(1, 0, data(W / 2)));
    assertThat(sent()).as("granted back, not grown").containsExactly("WINDOW_UPDATE 1 flags 0 length " + W / 2);
    receive(YamuxFrame.windowUpdate(1, FLAG_FIN, 0));
    assertThat(handler.streamCount()).isZero();
    assertThat(sent()).isEmpty();
  }

  @Test
  void bothFinsWithUnreadDataCloseTheChannelOnlyAfterItIsRead() {
    connect(false, YamuxConfig.DEFAULT, ch -> ch.config().setAutoRead(false));
    receive(YamuxFrame.data(1, FLAG_SYN, data(10)));
    YamuxStreamChannel stream = inbound.get(0);
    stream.closeWrite();
    receive(YamuxFrame.windowUpdate(1, FLAG_FIN, 0));
    assertThat(handler.streamCount()).isZero();
    assertThat(stream.isOpen()).isTrue();
    assertThat(stream.queuedInboundBytes()).isEqualTo(10);
    stream.read();
    connection.runPendingTasks();
    assertThat(recorder(stream).received.size()).isEqualTo(10);
    assertThat(recorder(stream).events).containsExactly("active", "input shutdown", "inactive");
    assertThat(stream.isOpen()).isFalse();
  }

  @Test
  void aRemoteResetClosesTheStreamWithAnErrorAndFailsPendingWrites() {
    connect(true, YamuxConfig.DEFAULT);
    YamuxStreamChannel stream = open();
    StreamRecorder rec = recorder(stream);
    ChannelFuture write = stream.writeAndFlush(bytes(W + 10));
    assertThat(write.isDone()).as("10 bytes wait for window").isFalse();
    sent();
    receive(YamuxFrame.windowUpdate(1, FLAG_RST, 0));
    assertThat(rec.errors).singleElement().isInstanceOfSatisfying(YamuxException.class,
        e -> assertThat(e.reason()).isEqualTo(YamuxException.Reason.STREAM_RESET));
    assertThat(stream.isOpen()).isFalse();
    assertThat(stream.resetCause()).isNotNull();
    assertThat(write.cause()).isInstanceOf(YamuxException.class);
    assertThat(handler.streamCount()).isZero();
    assertThat(sent()).as("nothing answers a RST").isEmpty();
  }

  @Test
  void writesBeyondThePeersWindowWaitAndTheStreamTurnsUnwritable() {
    connect(true, YamuxConfig.DEFAULT);
    YamuxStreamChannel stream = open();
    StreamRecorder rec = recorder(stream);
    assertThat(sent()).containsExactly("WINDOW_UPDATE 1 flags 1 length 0");
    ChannelFuture write = stream.writeAndFlush(bytes(300_000));
    List<String> frames = sent();
    assertThat(sentDataBytes(frames)).isEqualTo(W);
    assertThat(frames).allSatisfy(f -> assertThat(Long.parseLong(f.substring(f.lastIndexOf(' ') + 1)))
        .isLessThanOrEqualTo(YamuxConfig.DEFAULT_MAX_DATA_FRAME_SIZE));
    assertThat(write.isDone()).isFalse();
    assertThat(stream.isWritable()).isFalse();
    assertThat(stream.pendingOutboundBytes()).isBetween(300_000L, 300_000L + 1024);
    assertThat(stream.stream().sendWindow()).isZero();

    receive(YamuxFrame.windowUpdate(1, FLAG_ACK, 100_000));
    assertThat(sentDataBytes(sent())).isEqualTo(300_000 - W);
    assertThat(write.isSuccess()).isTrue();
    assertThat(stream.isWritable()).isTrue();
    assertThat(rec.events).containsExactly("active", "writable false", "writable true");
  }

  @Test
  void aReaderThatDoesNotReadGrantsNoWindow() {
    connect(false, YamuxConfig.DEFAULT, ch -> ch.config().setAutoRead(false));
    receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    sent();
    for (int i = 0; i < 4; i++) {
      receive(YamuxFrame.data(1, 0, data(W / 4)));
    }
    YamuxStreamChannel stream = inbound.get(0);
    assertThat(sent()).isEmpty();
    assertThat(stream.queuedInboundBytes()).isEqualTo(W);
    assertThat(recorder(stream).received.size()).isZero();
    stream.read();
    assertThat(recorder(stream).received.size()).isEqualTo(W);
    assertThat(stream.queuedInboundBytes()).isZero();
    // One Window Update for the batch: the window back, and doubled since the reader kept up.
    assertThat(sent()).containsExactly("WINDOW_UPDATE 1 flags 0 length " + 2 * W);
  }

  @Test
  void aPeerWritingPastTheWindowGetsGoAwayAndIsDisconnected() {
    connect(false, YamuxConfig.DEFAULT, ch -> ch.config().setAutoRead(false));
    receive(YamuxFrame.data(1, FLAG_SYN, data(W)));
    sent();
    YamuxStreamChannel stream = inbound.get(0);
    receive(YamuxFrame.data(1, 0, data(1)));
    assertThat(sent()).containsExactly("GO_AWAY 0 flags 0 length 1");
    assertThat(connection.isOpen()).isFalse();
    assertThat(stream.isOpen()).isFalse();
    assertThat(stream.resetCause().reason()).isEqualTo(YamuxException.Reason.PROTOCOL_ERROR);
  }

  @Test
  void aBadFrameGetsGoAwayProtocolError() {
    connect(false, YamuxConfig.DEFAULT);
    connection.writeInbound(Unpooled.wrappedBuffer(java.util.HexFormat.of().parseHex("010100010000000100000000")));
    assertThat(sent()).containsExactly("GO_AWAY 0 flags 0 length 1");
    assertThat(connection.isOpen()).isFalse();
  }

  @Test
  void aDataFrameLongerThanTheMaxWindowIsRejectedOnItsHeader() {
    connect(false, YamuxConfig.builder().maxStreamWindow(W).build());
    connection.writeInbound(Unpooled.wrappedBuffer(java.util.HexFormat.of().parseHex("000000010000000100040001")));
    assertThat(sent()).containsExactly("GO_AWAY 0 flags 0 length 1");
    assertThat(connection.isOpen()).isFalse();
  }

  @Test
  void streamsPastTheLimitAreRefused() {
    connect(false, YamuxConfig.builder().maxStreams(2).build());
    receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    receive(YamuxFrame.windowUpdate(3, FLAG_SYN, 0));
    receive(YamuxFrame.data(5, FLAG_SYN, data(100)));
    assertThat(sent()).containsExactly(
        "WINDOW_UPDATE 1 flags 2 length 0", "WINDOW_UPDATE 3 flags 2 length 0", "WINDOW_UPDATE 5 flags 8 length 0");
    assertThat(inbound).hasSize(2);
    Future<Channel> refused = handler.openStream(initializer(ch -> {}, new ArrayList<>()));
    assertThat(refused.cause()).isInstanceOfSatisfying(YamuxException.class,
        e -> assertThat(e.reason()).isEqualTo(YamuxException.Reason.STREAM_LIMIT));
    inbound.get(0).reset();
    assertThat(sent()).containsExactly("WINDOW_UPDATE 1 flags 8 length 0");
    receive(YamuxFrame.windowUpdate(7, FLAG_SYN, 0));
    assertThat(inbound).hasSize(3);
    sent();
  }

  @Test
  void opensPastTheAckBacklogWaitForAnAck() {
    connect(true, YamuxConfig.builder().maxAckBacklog(1).build());
    open();
    Future<Channel> second = handler.openStream(initializer(ch -> {}, new ArrayList<>()));
    assertThat(second.isDone()).isFalse();
    assertThat(sent()).containsExactly("WINDOW_UPDATE 1 flags 1 length 0");
    receive(YamuxFrame.windowUpdate(1, FLAG_ACK, 0));
    assertThat(second.isSuccess()).isTrue();
    assertThat(((YamuxStreamChannel) second.getNow()).streamId()).isEqualTo(3);
    assertThat(sent()).containsExactly("WINDOW_UPDATE 3 flags 1 length 0");
  }

  @Test
  void pingIsAnsweredAndTimed() {
    connect(true, YamuxConfig.DEFAULT);
    receive(YamuxFrame.ping(FLAG_SYN, 77));
    assertThat(sent()).containsExactly("PING 0 flags 2 length 77");
    now = 1_000;
    Future<Duration> rtt = handler.ping();
    List<String> ping = sent();
    assertThat(ping).singleElement().asString().startsWith("PING 0 flags 1 length ");
    int opaque = Integer.parseInt(ping.get(0).substring(ping.get(0).lastIndexOf(' ') + 1));
    now = 1_000 + 4_321;
    receive(YamuxFrame.ping(FLAG_ACK, opaque + 1));
    assertThat(rtt.isDone()).as("another value does not answer it").isFalse();
    receive(YamuxFrame.ping(FLAG_ACK, opaque));
    assertThat(rtt.getNow()).isEqualTo(Duration.ofNanos(4_321));
  }

  @Test
  void unansweredPingsFailWhenTheConnectionCloses() {
    connect(true, YamuxConfig.DEFAULT);
    Future<Duration> rtt = handler.ping();
    connection.close();
    assertThat(rtt.cause()).isInstanceOf(YamuxException.class);
  }

  @Test
  void goAwaySentRefusesNewStreams() {
    connect(false, YamuxConfig.DEFAULT);
    receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    handler.goAway();
    receive(YamuxFrame.windowUpdate(3, FLAG_SYN, 0));
    assertThat(sent()).containsExactly(
        "WINDOW_UPDATE 1 flags 2 length 0", "GO_AWAY 0 flags 0 length 0", "WINDOW_UPDATE 3 flags 8 length 0");
    assertThat(handler.openStream(initializer(ch -> {}, new ArrayList<>())).cause())
        .isInstanceOfSatisfying(YamuxException.class, e -> assertThat(e.reason()).isEqualTo(YamuxException.Reason.GOING_AWAY));
    inbound.get(0).writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1}));
    assertThat(sent()).as("open streams go on").containsExactly("DATA 1 flags 0 length 1");
  }

  @Test
  void goAwayReceivedIsAnEventAndStopsOpens() {
    connect(true, YamuxConfig.DEFAULT);
    receive(YamuxFrame.goAway(YamuxFrame.GO_AWAY_NORMAL));
    assertThat(connectionEvents).containsExactly(new YamuxHandler.GoAwayReceived(0));
    assertThat(handler.openStream(initializer(ch -> {}, new ArrayList<>())).cause())
        .isInstanceOfSatisfying(YamuxException.class, e -> assertThat(e.reason()).isEqualTo(YamuxException.Reason.GOING_AWAY));
  }

  @Test
  void closingTheConnectionSendsGoAwayAndClosesEveryStream() {
    connect(true, YamuxConfig.DEFAULT);
    YamuxStreamChannel a = open();
    YamuxStreamChannel b = open();
    sent();
    connection.close();
    assertThat(sent()).containsExactly("GO_AWAY 0 flags 0 length 0");
    assertThat(a.isOpen()).isFalse();
    assertThat(b.isOpen()).isFalse();
    assertThat(a.resetCause().reason()).isEqualTo(YamuxException.Reason.SESSION_CLOSED);
  }

  @Test
  void closingWithUnsentDataResetsInsteadOfFin() {
    connect(true, YamuxConfig.DEFAULT);
    YamuxStreamChannel stream = open();
    ChannelFuture write = stream.writeAndFlush(bytes(W + 1));
    sent();
    stream.close();
    assertThat(sent()).containsExactly("WINDOW_UPDATE 1 flags 8 length 0");
    assertThat(write.isSuccess()).isFalse();
    assertThat(handler.streamCount()).isZero();
  }

  @Test
  void closeWriteSendsFinAfterThePendingData() {
    connect(true, YamuxConfig.DEFAULT);
    YamuxStreamChannel stream = open();
    sent();
    stream.writeAndFlush(bytes(W + 1));
    ChannelFuture fin = stream.closeWrite();
    assertThat(sentDataBytes(sent())).isEqualTo(W);
    assertThat(fin.isDone()).isFalse();
    ChannelFuture late = stream.writeAndFlush(bytes(1));
    assertThat(late.cause()).isInstanceOf(IllegalStateException.class);
    receive(YamuxFrame.windowUpdate(1, FLAG_ACK, 1));
    assertThat(sent()).containsExactly("DATA 1 flags 0 length 1", "WINDOW_UPDATE 1 flags 4 length 0");
    assertThat(fin.isSuccess()).isTrue();
    assertThat(stream.isOutputShutdown()).isTrue();
  }

  @Test
  void closeWriteFromAWriteListenerSendsFinAfterTheData() {
    // The write's promise completes while the stream channel is still sending: a FIN asked for
    // there must follow the data, not overtake it.
    connect(true, YamuxConfig.DEFAULT);
    YamuxStreamChannel stream = open();
    sent();
    List<Throwable> closeWrite = new ArrayList<>();
    io.netty.channel.ChannelPromise written = stream.newPromise();
    written.addListener(f -> stream.closeWrite().addListener(g -> closeWrite.add(g.cause())));
    stream.writeAndFlush(bytes(1000), written);
    assertThat(sent()).containsExactly("DATA 1 flags 0 length 1000", "WINDOW_UPDATE 1 flags 4 length 0");
    assertThat(closeWrite).containsExactly((Throwable) null);
    assertThat(stream.isOpen()).isTrue();
    assertThat(recorder(stream).errors).isEmpty();
  }

  @Test
  void closeWriteFromAWritabilityEventSendsFinAfterTheData() {
    connect(true, YamuxConfig.DEFAULT);
    List<YamuxStreamChannel> sink = new ArrayList<>();
    long[] written = {0};
    long total = 64 * 1024; // one write, which turns the stream unwritable until it is sent
    YamuxStreamChannel stream = open(new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        sink.add((YamuxStreamChannel) ch);
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
          @Override
          public void channelActive(ChannelHandlerContext ctx) {
            writeMore(ctx);
          }

          @Override
          public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            writeMore(ctx);
          }

          private void writeMore(ChannelHandlerContext ctx) {
            while (written[0] < total && ctx.channel().isWritable()) {
              written[0] += 64 * 1024;
              ctx.write(bytes(64 * 1024));
            }
            ctx.flush();
            if (written[0] == total) {
              written[0]++;
              ((YamuxStreamChannel) ctx.channel()).closeWrite();
            }
          }
        });
      }
    });
    List<String> frames = sent();
    assertThat(sentDataBytes(frames)).isEqualTo(total);
    assertThat(frames.get(frames.size() - 1)).isEqualTo("WINDOW_UPDATE 1 flags 4 length 0");
    assertThat(frames.subList(1, frames.size() - 1)).allSatisfy(f -> assertThat(f).startsWith("DATA"));
    assertThat(stream.isOpen()).isTrue();
  }

  @Test
  void writesWaitWhileTheConnectionIsNotWritable() {
    connect(true, YamuxConfig.builder().maxDataFrameSize(16 * 1024).build());
    connection.config().setWriteBufferWaterMark(new WriteBufferWaterMark(1, 2));
    YamuxStreamChannel stream = open();
    sent();
    ChannelFuture write = stream.writeAndFlush(bytes(200_000));
    List<String> frames = sent();
    assertThat(frames).hasSize(13);
    assertThat(sentDataBytes(frames)).isEqualTo(200_000);
    assertThat(write.isSuccess()).isTrue();
  }

  @Test
  void theCodecIsAddedBeforeTheHandler() {
    connect(false, YamuxConfig.DEFAULT);
    List<String> names = connection.pipeline().names();
    assertThat(connection.pipeline().get(YamuxFrameCodec.class)).isNotNull();
    assertThat(names.indexOf(connection.pipeline().context(YamuxFrameCodec.class).name()))
        .isLessThan(names.indexOf(connection.pipeline().context(handler).name()));
  }
}
