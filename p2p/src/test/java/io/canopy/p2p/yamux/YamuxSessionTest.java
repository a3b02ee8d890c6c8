package io.canopy.p2p.yamux;

import static io.canopy.p2p.yamux.YamuxFrame.FLAG_ACK;
import static io.canopy.p2p.yamux.YamuxFrame.FLAG_FIN;
import static io.canopy.p2p.yamux.YamuxFrame.FLAG_RST;
import static io.canopy.p2p.yamux.YamuxFrame.FLAG_SYN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.testing.RandomInputs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The session state machine through plain calls: no channel, a binding that records. */
class YamuxSessionTest {
  private static final int W = YamuxConfig.SPEC_INITIAL_STREAM_WINDOW;

  /** Records what the session says; releases data it is given only when the test consumes it. */
  private static final class Recorder implements YamuxSession.Binding {
    final List<YamuxFrame> frames = new ArrayList<>();
    final List<YamuxStream> inbound = new ArrayList<>();
    final List<ByteBuf> data = new ArrayList<>();
    final List<YamuxStream> fins = new ArrayList<>();
    final List<YamuxException> resets = new ArrayList<>();
    final List<YamuxStream> windowOpened = new ArrayList<>();
    final List<Integer> pongs = new ArrayList<>();
    final List<Integer> goAways = new ArrayList<>();

    @Override
    public void writeFrame(YamuxFrame frame) {
      frames.add(frame);
    }

    @Override
    public void inboundStream(YamuxStream stream) {
      inbound.add(stream);
    }

    @Override
    public void data(YamuxStream stream, ByteBuf payload) {
      data.add(payload);
    }

    @Override
    public void remoteFin(YamuxStream stream) {
      fins.add(stream);
    }

    @Override
    public void reset(YamuxStream stream, YamuxException cause) {
      resets.add(cause);
    }

    @Override
    public void sendWindowOpened(YamuxStream stream) {
      windowOpened.add(stream);
    }

    @Override
    public void pong(int opaque) {
      pongs.add(opaque);
    }

    @Override
    public void goAway(int errorCode) {
      goAways.add(errorCode);
    }

    /** The frames written since the last call. */
    List<YamuxFrame> take() {
      List<YamuxFrame> out = new ArrayList<>(frames);
      frames.clear();
      out.forEach(YamuxFrame::release);
      return out;
    }

    /** Releases the delivered data and returns how many bytes it held. */
    int takeData() {
      int n = 0;
      for (ByteBuf b : data) {
        n += b.readableBytes();
        b.release();
      }
      data.clear();
      return n;
    }
  }

  private final Recorder out = new Recorder();
  private final List<ByteBuf> created = new ArrayList<>();

  @AfterEach
  void everyBufferReleased() {
    out.take();
    out.takeData();
    for (ByteBuf b : created) {
      assertThat(b.refCnt()).as("test buffer refCnt").isZero();
    }
  }

  private ByteBuf payload(int n) {
    ByteBuf b = Unpooled.buffer(n).writeZero(n);
    created.add(b);
    return b;
  }

  private YamuxSession server() {
    return new YamuxSession(false, YamuxConfig.DEFAULT, out);
  }

  private static String describe(YamuxFrame f) {
    return f.type() + " " + Integer.toUnsignedLong(f.streamId()) + " flags " + f.flags() + " length " + f.lengthUnsigned();
  }

  private static List<String> describe(List<YamuxFrame> frames) {
    return frames.stream().map(YamuxSessionTest::describe).toList();
  }

  @Test
  void clientOpensOddIdsAndServerEvenIdsWithSyn() throws Exception {
    YamuxSession client = new YamuxSession(true, YamuxConfig.DEFAULT, out);
    assertThat(List.of(client.open().id(), client.open().id(), client.open().id())).containsExactly(1, 3, 5);
    assertThat(describe(out.take())).containsExactly(
        "WINDOW_UPDATE 1 flags 1 length 0", "WINDOW_UPDATE 3 flags 1 length 0", "WINDOW_UPDATE 5 flags 1 length 0");
    YamuxSession server = new YamuxSession(false, YamuxConfig.DEFAULT, out);
    assertThat(List.of(server.open().id(), server.open().id())).containsExactly(2, 4);
    out.take();
  }

  @Test
  void aLargerInitialWindowIsAnnouncedWithTheSynAndAck() throws Exception {
    YamuxConfig config = YamuxConfig.builder().initialStreamWindow(W + 1000).build();
    YamuxSession client = new YamuxSession(true, config, out);
    YamuxStream s = client.open();
    assertThat(describe(out.take())).containsExactly("WINDOW_UPDATE 1 flags 1 length 1000");
    assertThat(s.receiveWindow()).isEqualTo(W + 1000);
    YamuxSession server = new YamuxSession(false, config, out);
    server.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    assertThat(describe(out.take())).containsExactly("WINDOW_UPDATE 1 flags 2 length 1000");
  }

  @Test
  void anInboundSynIsAcknowledgedAndReported() throws Exception {
    YamuxSession server = server();
    server.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    assertThat(describe(out.take())).containsExactly("WINDOW_UPDATE 1 flags 2 length 0");
    assertThat(out.inbound).singleElement().satisfies(s -> {
      assertThat(s.id()).isEqualTo(1);
      assertThat(s.isOutbound()).isFalse();
    });
    assertThat(server.streamCount()).isEqualTo(1);
  }

  @Test
  void aSynWithDataDeliversTheData() throws Exception {
    YamuxSession server = server();
    ByteBuf p = payload(10);
    server.receive(YamuxFrame.data(3, FLAG_SYN, p));
    assertThat(out.inbound).hasSize(1);
    assertThat(out.takeData()).isEqualTo(10);
    assertThat(server.stream(3).receiveWindow()).isEqualTo(W - 10);
  }

  @Test
  void protocolErrors() throws Exception {
    assertProtocolError(s -> s.receive(YamuxFrame.windowUpdate(0, 0, 5)), "session stream id 0");
    assertProtocolError(s -> s.receive(YamuxFrame.windowUpdate(2, FLAG_SYN, 0)), "must open odd ids");
    assertProtocolError(s -> {
      s.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
      s.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    }, "which is open");
    assertProtocolError(s -> {
      s.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
      s.receive(YamuxFrame.data(1, 0, payload(W + 1)));
    }, "exceed its receive window of 262144");
    assertProtocolError(s -> {
      s.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
      s.receive(YamuxFrame.windowUpdate(1, FLAG_FIN, 0));
      s.receive(YamuxFrame.data(1, 0, payload(1)));
    }, "after its FIN");
    assertProtocolError(s -> {
      s.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
      s.receive(YamuxFrame.windowUpdate(1, 0, -1));
    }, "overflows 32 bits");
  }

  private interface SessionAction {
    void run(YamuxSession s) throws Exception;
  }

  private void assertProtocolError(SessionAction action, String message) {
    YamuxSession s = server();
    assertThatThrownBy(() -> action.run(s))
        .isInstanceOfSatisfying(YamuxException.class, e -> assertThat(e.reason()).isEqualTo(YamuxException.Reason.PROTOCOL_ERROR))
        .hasMessageContaining(message);
    out.take();
    out.takeData();
  }

  @Test
  void dataFillingTheWindowExactlyIsAccepted() throws Exception {
    YamuxSession server = server();
    server.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    out.take();
    server.receive(YamuxFrame.data(1, 0, payload(W - 1)));
    server.receive(YamuxFrame.data(1, 0, payload(1)));
    assertThat(server.stream(1).receiveWindow()).isZero();
    assertThat(server.stream(1).buffered()).isEqualTo(W);
    assertThat(out.takeData()).isEqualTo(W);
    assertThat(out.take()).as("nothing consumed, nothing granted").isEmpty();
  }

  @Test
  void consumingHalfTheWindowGrantsItBack() throws Exception {
    YamuxSession server = server();
    server.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    out.take();
    YamuxStream s = server.stream(1);
    server.receive(YamuxFrame.data(1, 0, payload(W / 2)));
    out.takeData();
    server.consumed(s, W / 2 - 1);
    assertThat(out.take()).isEmpty();
    server.consumed(s, 1);
    // Half the window consumed with nothing left buffered: the grant also doubles the window.
    assertThat(describe(out.take())).containsExactly("WINDOW_UPDATE 1 flags 0 length " + (W / 2 + W));
    assertThat(s.receiveWindowSize()).isEqualTo(2 * W);
  }

  @Test
  void aReaderThatLagsGetsNoGrowth() throws Exception {
    YamuxSession server = server();
    server.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    out.take();
    YamuxStream s = server.stream(1);
    server.receive(YamuxFrame.data(1, 0, payload(W)));
    out.takeData();
    server.consumed(s, W / 2);
    assertThat(describe(out.take())).containsExactly("WINDOW_UPDATE 1 flags 0 length " + W / 2);
    assertThat(s.receiveWindowSize()).isEqualTo(W);
  }

  @Test
  void windowsGrowUpToTheMaxAndTheSessionCap() throws Exception {
    YamuxConfig config = YamuxConfig.builder().maxStreamWindow(4 * W).maxSessionReceiveWindow(7 * W).build();
    YamuxSession server = new YamuxSession(false, config, out);
    server.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    server.receive(YamuxFrame.windowUpdate(3, FLAG_SYN, 0));
    out.take();
    for (int id : new int[] {1, 3}) {
      YamuxStream s = server.stream(id);
      for (int round = 0; round < 6; round++) {
        int n = (int) s.receiveWindow();
        server.receive(YamuxFrame.data(id, 0, payload(n)));
        out.takeData();
        server.consumed(s, n);
      }
    }
    out.take();
    assertThat(server.stream(1).receiveWindowSize()).isEqualTo(4 * W);
    assertThat(server.stream(3).receiveWindowSize()).as("the session cap leaves 3 windows").isEqualTo(3 * W);
  }

  @Test
  void sendingStopsAtThePeersWindowAndResumesOnAWindowUpdate() throws Exception {
    YamuxSession client = new YamuxSession(true, YamuxConfig.builder().maxDataFrameSize(100_000).build(), out);
    YamuxStream s = client.open();
    assertThat(client.sendableBytes(s, 1_000_000)).isEqualTo(100_000);
    client.sendData(s, payload(100_000));
    client.sendData(s, payload(100_000));
    assertThat(client.sendableBytes(s, 100_000)).isEqualTo(W - 200_000);
    client.sendData(s, payload(W - 200_000));
    assertThat(client.sendableBytes(s, 1)).isZero();
    assertThatThrownBy(() -> client.sendData(s, payload(1))).isInstanceOf(IllegalStateException.class);
    client.receive(YamuxFrame.windowUpdate(1, FLAG_ACK, 5));
    assertThat(out.windowOpened).containsExactly(s);
    assertThat(s.isAcknowledged()).isTrue();
    assertThat(client.sendableBytes(s, 10)).isEqualTo(5);
    out.take();
  }

  @Test
  void finOnBothSidesRemovesTheStream() throws Exception {
    YamuxSession server = server();
    server.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    YamuxStream s = server.stream(1);
    server.receive(YamuxFrame.data(1, FLAG_FIN, payload(3)));
    assertThat(out.takeData()).isEqualTo(3);
    assertThat(out.fins).containsExactly(s);
    assertThat(s.isRemoteFin()).isTrue();
    assertThat(server.streamCount()).isEqualTo(1);
    out.take();
    server.consumed(s, 3);
    assertThat(out.take()).as("no window granted to a peer that has finished").isEmpty();
    server.closeWrite(s);
    assertThat(describe(out.take())).containsExactly("WINDOW_UPDATE 1 flags 4 length 0");
    assertThat(s.isRemoved()).isTrue();
    assertThat(server.streamCount()).isZero();
    server.closeWrite(s);
    assertThat(out.take()).isEmpty();
  }

  @Test
  void localFinThenRemoteFin() throws Exception {
    YamuxSession client = new YamuxSession(true, YamuxConfig.DEFAULT, out);
    YamuxStream s = client.open();
    client.closeWrite(s);
    assertThat(client.sendableBytes(s, 1)).isZero();
    assertThat(client.streamCount()).isEqualTo(1);
    client.receive(YamuxFrame.windowUpdate(1, FLAG_ACK | FLAG_FIN, 0));
    assertThat(s.isRemoved()).isTrue();
    assertThat(client.unacknowledgedStreams()).isZero();
    out.take();
  }

  @Test
  void aRemoteResetRemovesTheStreamAndLaterFramesAreIgnored() throws Exception {
    YamuxSession server = server();
    server.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    server.receive(YamuxFrame.windowUpdate(1, FLAG_RST, 0));
    assertThat(out.resets).singleElement().satisfies(e -> assertThat(e.reason()).isEqualTo(YamuxException.Reason.STREAM_RESET));
    assertThat(server.streamCount()).isZero();
    ByteBuf late = payload(10);
    server.receive(YamuxFrame.data(1, 0, late));
    assertThat(out.data).isEmpty();
    out.take();
  }

  @Test
  void aLocalResetSendsRst() throws Exception {
    YamuxSession client = new YamuxSession(true, YamuxConfig.DEFAULT, out);
    YamuxStream s = client.open();
    out.take();
    client.reset(s);
    assertThat(describe(out.take())).containsExactly("WINDOW_UPDATE 1 flags 8 length 0");
    assertThat(client.streamCount()).isZero();
    assertThat(client.unacknowledgedStreams()).isZero();
  }

  @Test
  void synsPastTheStreamLimitAreReset() throws Exception {
    YamuxSession server = new YamuxSession(false, YamuxConfig.builder().maxStreams(3).build(), out);
    for (int id = 1; id <= 5; id += 2) {
      server.receive(YamuxFrame.windowUpdate(id, FLAG_SYN, 0));
    }
    out.take();
    ByteBuf p = payload(5);
    server.receive(YamuxFrame.data(7, FLAG_SYN, p));
    assertThat(describe(out.take())).containsExactly("WINDOW_UPDATE 7 flags 8 length 0");
    assertThat(out.inbound).hasSize(3);
    assertThat(out.data).isEmpty();
    assertThatThrownBy(server::open).isInstanceOfSatisfying(YamuxException.class,
        e -> assertThat(e.reason()).isEqualTo(YamuxException.Reason.STREAM_LIMIT));
    // A stream that ends frees its slot.
    server.receive(YamuxFrame.windowUpdate(1, FLAG_RST, 0));
    server.receive(YamuxFrame.windowUpdate(9, FLAG_SYN, 0));
    assertThat(out.inbound).hasSize(4);
    out.take();
  }

  @Test
  void theAckBacklogIsBounded() throws Exception {
    YamuxSession client = new YamuxSession(true, YamuxConfig.builder().maxAckBacklog(2).build(), out);
    client.open();
    assertThat(client.ackBacklogFull()).isFalse();
    client.open();
    assertThat(client.ackBacklogFull()).isTrue();
    assertThatThrownBy(client::open).isInstanceOf(YamuxException.class);
    client.receive(YamuxFrame.windowUpdate(3, FLAG_ACK, 0));
    assertThat(client.ackBacklogFull()).isFalse();
    assertThat(client.open().id()).isEqualTo(5);
    out.take();
  }

  @Test
  void pingIsAnsweredWithTheSameValue() throws Exception {
    YamuxSession server = server();
    server.receive(YamuxFrame.ping(FLAG_SYN, 0xCAFE));
    assertThat(describe(out.take())).containsExactly("PING 0 flags 2 length " + 0xCAFE);
    int opaque = server.ping();
    assertThat(describe(out.take())).containsExactly("PING 0 flags 1 length " + opaque);
    server.receive(YamuxFrame.ping(FLAG_ACK, opaque));
    assertThat(out.pongs).containsExactly(opaque);
  }

  @Test
  void goAwayStopsNewStreams() throws Exception {
    YamuxSession client = new YamuxSession(true, YamuxConfig.DEFAULT, out);
    YamuxStream s = client.open();
    client.receive(YamuxFrame.goAway(YamuxFrame.GO_AWAY_NORMAL));
    assertThat(out.goAways).containsExactly(0);
    assertThatThrownBy(client::open).isInstanceOfSatisfying(YamuxException.class,
        e -> assertThat(e.reason()).isEqualTo(YamuxException.Reason.GOING_AWAY));
    assertThat(client.sendableBytes(s, 10)).as("open streams go on").isEqualTo(10);

    YamuxSession server = server();
    server.goAway(YamuxFrame.GO_AWAY_NORMAL);
    server.goAway(YamuxFrame.GO_AWAY_NORMAL);
    server.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
    assertThat(describe(out.take())).containsExactly(
        "WINDOW_UPDATE 1 flags 1 length 0", "GO_AWAY 0 flags 0 length 0", "WINDOW_UPDATE 1 flags 8 length 0");
  }

  @Test
  void closeResetsEveryStream() throws Exception {
    YamuxSession client = new YamuxSession(true, YamuxConfig.DEFAULT, out);
    client.open();
    client.open();
    out.take();
    client.close(new YamuxException(YamuxException.Reason.SESSION_CLOSED, "gone"));
    assertThat(out.resets).hasSize(2);
    assertThat(client.streamCount()).isZero();
    assertThat(out.take()).as("a closed session sends nothing").isEmpty();
    assertThatThrownBy(client::open).isInstanceOf(YamuxException.class);
    ByteBuf p = payload(1);
    client.receive(YamuxFrame.data(1, 0, p));
  }

  /**
   * Property: whatever the peer sends within its window and whenever the reader consumes, the
   * receive accounting adds up, the peer is never granted more than the window size, and the
   * window never exceeds the max.
   */
  @Test
  void receiveAccountingAddsUp() {
    YamuxConfig config = YamuxConfig.builder().maxStreamWindow(2 * 1024 * 1024).build();
    RandomInputs.forAll(0x5eed_0003L, 200, List.of(0L), r -> r.nextLong(), String::valueOf, seed -> {
      SplittableRandom r = new SplittableRandom(seed);
      Recorder rec = new Recorder();
      YamuxSession server = new YamuxSession(false, config, rec);
      server.receive(YamuxFrame.windowUpdate(1, FLAG_SYN, 0));
      YamuxStream s = server.stream(1);
      long peerWindow = W; // what the peer believes it may send
      long unconsumed = 0;
      for (int step = 0; step < 200; step++) {
        if (r.nextBoolean() && peerWindow > 0) {
          int n = (int) Math.min(peerWindow, 1 + r.nextInt(100_000));
          server.receive(YamuxFrame.data(1, 0, Unpooled.buffer(n).writeZero(n)));
          peerWindow -= n;
          unconsumed += n;
          rec.takeData();
        } else if (unconsumed > 0) {
          int n = (int) Math.min(unconsumed, 1 + r.nextInt(100_000));
          server.consumed(s, n);
          unconsumed -= n;
        }
        for (YamuxFrame f : rec.take()) {
          assertThat(f.type()).isEqualTo(YamuxFrame.Type.WINDOW_UPDATE);
          peerWindow += f.lengthUnsigned();
        }
        assertThat(peerWindow).isEqualTo(s.receiveWindow());
        assertThat(s.buffered()).isEqualTo(unconsumed);
        assertThat(s.receiveWindow() + s.buffered()).isLessThanOrEqualTo(s.receiveWindowSize());
        assertThat(s.receiveWindowSize()).isLessThanOrEqualTo(config.maxStreamWindow());
      }
    });
  }
}
