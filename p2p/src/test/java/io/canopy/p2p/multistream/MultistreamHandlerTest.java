package io.canopy.p2p.multistream;

import static io.canopy.p2p.multistream.MultistreamMessage.LS;
import static io.canopy.p2p.multistream.MultistreamMessage.NA;
import static io.canopy.p2p.multistream.MultistreamMessage.PROTOCOL_ID;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Promise;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MultistreamHandlerTest {
  private final List<EmbeddedChannel> channels = new ArrayList<>();
  private final List<ByteBuf> written = new ArrayList<>();

  @AfterEach
  void releaseEverything() {
    for (EmbeddedChannel ch : channels) {
      ch.finishAndReleaseAll();
    }
    // Whatever we handed to a channel was released by it (PARANOID leak detection is on too).
    for (int i = 0; i < written.size(); i++) {
      assertThat(written.get(i).refCnt())
          .as("inbound buffer %d of %d (%s) released by the pipeline", i, written.size(), written.get(i))
          .isZero();
    }
  }

  private final Capture capture = new Capture();

  /** A channel running the handler, and its promise. */
  private record Side(EmbeddedChannel ch, Promise<String> selected) {}

  /** A channel with the handler; on success {@link #capture} is installed behind it. */
  private Side channel(boolean initiator, List<String> protocols) {
    EmbeddedChannel ch = new EmbeddedChannel();
    channels.add(ch);
    Promise<String> selected = ch.eventLoop().newPromise();
    selected.addListener(f -> {
      if (f.isSuccess()) {
        ch.pipeline().addLast("capture", capture);
      }
    });
    ch.pipeline().addLast("multistream", initiator
        ? MultistreamHandler.initiator(protocols, selected)
        : MultistreamHandler.responder(Set.copyOf(protocols), selected));
    return new Side(ch, selected);
  }

  private static byte[] messages(String... messages) {
    ByteBuf buf = Unpooled.buffer();
    try {
      for (String m : messages) {
        MultistreamMessage.write(m, 1024, buf);
      }
      return ByteBufUtil.getBytes(buf);
    } finally {
      buf.release();
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private void feed(EmbeddedChannel ch, byte[] bytes) {
    ByteBuf buf = Unpooled.buffer(bytes.length).writeBytes(bytes); // never the EMPTY_BUFFER singleton
    written.add(buf);
    ch.writeInbound(buf);
  }

  /** Everything the channel wrote, as bytes, each outbound buffer released. */
  private static byte[] drainOutbound(EmbeddedChannel ch) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      out.writeBytes(ByteBufUtil.getBytes(b));
      b.release();
    }
    return out.toByteArray();
  }

  @Test
  void initiatorSendsHeaderAndProposalInOneWrite() {
    Side side = channel(true, List.of("/noise"));
    EmbeddedChannel ch = side.ch();
    ByteBuf first = ch.readOutbound();
    try {
      assertThat(ByteBufUtil.getBytes(first)).isEqualTo(messages(PROTOCOL_ID, "/noise"));
    } finally {
      first.release();
    }
    Object next = ch.readOutbound();
    assertThat(next).isNull();
    feed(ch, messages(PROTOCOL_ID, "/noise"));
    assertThat(side.selected().getNow()).isEqualTo("/noise");
    assertThat(ch.pipeline().get("multistream")).isNull();
    assertThat(ch.isOpen()).isTrue();
  }

  @Test
  void initiatorFallsBackOnNa() {
    Side side = channel(true, List.of("/tls/1.0.0", "/noise"));
    EmbeddedChannel ch = side.ch();
    drainOutbound(ch);
    feed(ch, messages(PROTOCOL_ID, NA));
    assertThat(drainOutbound(ch)).isEqualTo(messages("/noise"));
    assertThat(side.selected().isDone()).isFalse();
    feed(ch, messages("/noise"));
    assertThat(side.selected().getNow()).isEqualTo("/noise");
  }

  @Test
  void initiatorWithNothingInCommonFailsAndCloses() {
    Side side = channel(true, List.of("/a", "/b"));
    EmbeddedChannel ch = side.ch();
    drainOutbound(ch);
    feed(ch, messages(PROTOCOL_ID, NA));
    drainOutbound(ch);
    feed(ch, messages(NA));
    assertThat(side.selected().cause()).isInstanceOf(MultistreamException.class).hasMessageContaining("none of");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void responderAcceptsASupportedProtocol() {
    Side side = channel(false, List.of("/noise", "/yamux/1.0.0"));
    EmbeddedChannel ch = side.ch();
    assertThat(drainOutbound(ch)).isEqualTo(messages(PROTOCOL_ID));
    feed(ch, messages(PROTOCOL_ID, "/tls/1.0.0"));
    assertThat(drainOutbound(ch)).isEqualTo(messages(NA));
    feed(ch, messages(LS));
    assertThat(drainOutbound(ch)).isEqualTo(messages(NA));
    feed(ch, messages("/yamux/1.0.0"));
    assertThat(drainOutbound(ch)).isEqualTo(messages("/yamux/1.0.0"));
    assertThat(side.selected().getNow()).isEqualTo("/yamux/1.0.0");
    assertThat(ch.pipeline().get("multistream")).isNull();
  }

  @Test
  void bytesPipelinedBehindTheProposalReachTheNextHandler() {
    Side side = channel(false, List.of("/noise"));
    EmbeddedChannel ch = side.ch();
    drainOutbound(ch);
    byte[] app = "first bytes of /noise".getBytes(StandardCharsets.UTF_8);
    feed(ch, concat(messages(PROTOCOL_ID, "/noise"), app));
    assertThat(side.selected().getNow()).isEqualTo("/noise");
    assertThat(capture.bytes()).isEqualTo(app);
    feed(ch, new byte[] {42});
    assertThat(capture.bytes()).isEqualTo(concat(app, new byte[] {42}));
  }

  @Test
  void bytesBehindTheAnswerReachTheInitiatorsNextHandler() {
    Side side = channel(true, List.of("/a", "/b"));
    EmbeddedChannel ch = side.ch();
    drainOutbound(ch);
    byte[] app = {9, 8, 7};
    feed(ch, concat(messages(PROTOCOL_ID, NA, "/b"), app));
    assertThat(drainOutbound(ch)).isEqualTo(messages("/b"));
    assertThat(side.selected().getNow()).isEqualTo("/b");
    assertThat(capture.bytes()).isEqualTo(app);
  }

  /** The responder's whole input cut in two at every byte boundary, and fed one byte at a time. */
  @Test
  void messagesSplitAtEveryByteBoundary() {
    byte[] app = {1, 2, 3, 4};
    byte[] input = concat(messages(PROTOCOL_ID, "/tls/1.0.0", LS, "/noise"), app);
    byte[] expectedOut = messages(PROTOCOL_ID, NA, NA, "/noise");
    for (int cut = 0; cut <= input.length; cut++) {
      capture.clear();
      Side side = channel(false, List.of("/noise"));
      EmbeddedChannel ch = side.ch();
      feed(ch, java.util.Arrays.copyOfRange(input, 0, cut));
      feed(ch, java.util.Arrays.copyOfRange(input, cut, input.length));
      assertThat(side.selected().getNow()).as("cut at %d", cut).isEqualTo("/noise");
      assertThat(drainOutbound(ch)).as("cut at %d", cut).isEqualTo(expectedOut);
      assertThat(capture.bytes()).as("cut at %d", cut).isEqualTo(app);
    }
    capture.clear();
    Side side = channel(false, List.of("/noise"));
    EmbeddedChannel ch = side.ch();
    for (byte b : input) {
      feed(ch, new byte[] {b});
    }
    assertThat(side.selected().getNow()).isEqualTo("/noise");
    assertThat(drainOutbound(ch)).isEqualTo(expectedOut);
    assertThat(capture.bytes()).isEqualTo(app);
  }

  @Test
  void garbageClosesTheChannel() {
    Side side = channel(false, List.of("/noise"));
    EmbeddedChannel ch = side.ch();
    drainOutbound(ch);
    feed(ch, "GET / HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nUser-Agent: curl/8.5.0\r\n\r\n"
        .getBytes(StandardCharsets.US_ASCII));
    assertThat(side.selected().cause()).isInstanceOf(MultistreamException.class);
    assertThat(ch.isOpen()).isFalse();
    assertThat(capture.bytes()).isEmpty();
  }

  @Test
  void wrongHeaderClosesTheChannel() {
    Side side = channel(false, List.of("/noise"));
    EmbeddedChannel ch = side.ch();
    feed(ch, messages("/noise"));
    assertThat(side.selected().cause()).hasMessageContaining("does not speak");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void oversizeMessageClosesTheChannelBeforeItArrives() {
    Side side = channel(false, List.of("/noise"));
    EmbeddedChannel ch = side.ch();
    feed(ch, messages(PROTOCOL_ID));
    feed(ch, new byte[] {(byte) 0x81, 0x08}); // 1025 announced
    assertThat(side.selected().cause()).hasMessageContaining("exceeds the limit of 1024");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void tooManyProposalsCloseTheChannel() {
    Side side = channel(false, List.of("/noise"));
    EmbeddedChannel ch = side.ch();
    drainOutbound(ch);
    feed(ch, messages(PROTOCOL_ID));
    for (int i = 0; i < 16; i++) {
      feed(ch, messages("/nope/" + i));
      assertThat(drainOutbound(ch)).isEqualTo(messages(NA));
    }
    assertThat(ch.isOpen()).isTrue();
    feed(ch, messages("/nope/16"));
    assertThat(drainOutbound(ch)).isEmpty();
    assertThat(side.selected().cause()).hasMessageContaining("more than 16 protocols");
    assertThat(ch.isOpen()).isFalse();
  }

  @Test
  void closeDuringNegotiationFailsThePromise() {
    Side side = channel(true, List.of("/noise"));
    EmbeddedChannel ch = side.ch();
    drainOutbound(ch);
    feed(ch, messages(PROTOCOL_ID));
    ch.close();
    assertThat(side.selected().cause()).hasMessageContaining("connection closed during multistream negotiation");
  }

  @Test
  void handlerAddedToAnActiveChannelStartsAtOnce() {
    EmbeddedChannel ch = new EmbeddedChannel();
    channels.add(ch);
    Promise<String> p = ch.eventLoop().newPromise();
    ch.pipeline().addLast(MultistreamHandler.initiator(List.of("/yamux/1.0.0"), p));
    assertThat(drainOutbound(ch)).isEqualTo(messages(PROTOCOL_ID, "/yamux/1.0.0"));
  }

  /** Initiator and responder handlers talking to each other through two embedded channels. */
  @Test
  void initiatorAndResponderHandlersAgree() {
    Capture initiatorApp = new Capture();
    Capture responderApp = new Capture();
    EmbeddedChannel i = new EmbeddedChannel();
    EmbeddedChannel r = new EmbeddedChannel();
    channels.add(i);
    channels.add(r);
    Promise<String> ip = i.eventLoop().newPromise();
    Promise<String> rp = r.eventLoop().newPromise();
    ip.addListener(f -> {
      i.pipeline().addLast(initiatorApp);
      i.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'h', 'i'}));
    });
    rp.addListener(f -> r.pipeline().addLast(responderApp));
    r.pipeline().addLast(MultistreamHandler.responder(Set.of("/noise", "/yamux/1.0.0"), rp));
    i.pipeline().addLast(MultistreamHandler.initiator(List.of("/tls/1.0.0", "/noise"), ip));
    for (int round = 0; round < 10; round++) {
      byte[] toR = drainOutbound(i);
      byte[] toI = drainOutbound(r);
      if (toR.length > 0) {
        feed(r, toR);
      }
      if (toI.length > 0) {
        feed(i, toI);
      }
    }
    assertThat(ip.getNow()).isEqualTo("/noise");
    assertThat(rp.getNow()).isEqualTo("/noise");
    assertThat(responderApp.bytes()).containsExactly('h', 'i');
  }

  /** Collects the bytes that reach it, releasing each buffer. */
  private static final class Capture extends ChannelInboundHandlerAdapter {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    @Override
    public boolean isSharable() {
      return true; // one per test, re-added to the fresh channel of each loop iteration
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      try {
        bytes.writeBytes(ByteBufUtil.getBytes(buf));
      } finally {
        buf.release();
      }
    }

    byte[] bytes() {
      return bytes.toByteArray();
    }

    void clear() {
      bytes.reset();
    }
  }
}
