package io.canopy.p2p.noise;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.p2p.noise.NoiseHandshakeState.Role;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Promise;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Netty handlers, two EmbeddedChannels wired back to back. */
class NoiseHandlerTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Ed25519PrivateKey ALICE = key(1);
  private static final Ed25519PrivateKey BOB = key(2);
  private static final Ed25519PrivateKey CAROL = key(3);
  private static final NoiseSecureChannel ALICE_NOISE = new NoiseSecureChannel(ALICE, RANDOM);
  private static final NoiseSecureChannel BOB_NOISE = new NoiseSecureChannel(BOB, RANDOM);

  private final List<EmbeddedChannel> channels = new ArrayList<>();
  private final List<ByteBuf> fed = new ArrayList<>();

  private static Ed25519PrivateKey key(long seed) {
    byte[] s = new byte[32];
    new SplittableRandom(seed).nextBytes(s);
    return Ed25519PrivateKey.fromSeed(s);
  }

  @AfterEach
  void releaseEverything() {
    for (EmbeddedChannel ch : channels) {
      ch.finishAndReleaseAll();
    }
    for (int i = 0; i < fed.size(); i++) {
      assertThat(fed.get(i).refCnt()).as("inbound buffer %d of %d released", i, fed.size()).isZero();
    }
  }

  /** One end: the channel, its promise, and the application handler installed on success. */
  private final class Side {
    final EmbeddedChannel ch = new EmbeddedChannel();
    final Promise<PeerId> peer = ch.eventLoop().newPromise();
    final Capture app = new Capture();
    /** Written by the application the moment the handshake completes (pipelined behind it). */
    byte[] firstWrite;

    Side(java.util.function.Function<Promise<PeerId>, NoiseHandler> handler) {
      channels.add(ch);
      peer.addListener(f -> {
        if (f.isSuccess()) {
          ch.pipeline().addLast("app", app);
          if (firstWrite != null) {
            ch.writeAndFlush(Unpooled.wrappedBuffer(firstWrite));
          }
        }
      });
      ch.pipeline().addLast("noise", handler.apply(peer));
    }

    /** Everything written so far, each outbound buffer released. */
    byte[] drain() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
        out.writeBytes(ByteBufUtil.getBytes(b));
        b.release();
      }
      return out.toByteArray();
    }

    void feed(byte[] bytes) {
      if (!ch.isOpen()) {
        return; // a closed connection reads nothing
      }
      ByteBuf buf = Unpooled.buffer(bytes.length).writeBytes(bytes);
      fed.add(buf);
      ch.writeInbound(buf);
    }
  }

  /** The chunks a delivery is cut into; identity by default. */
  private static List<byte[]> whole(byte[] b) {
    return List.of(b);
  }

  /** Moves bytes both ways until neither side has anything more to say. */
  private static void pump(Side a, Side b, java.util.function.Function<byte[], List<byte[]>> chunks) {
    boolean moved = true;
    while (moved) {
      moved = move(a, b, chunks) | move(b, a, chunks);
    }
  }

  private static void pump(Side a, Side b) {
    pump(a, b, NoiseHandlerTest::whole);
  }

  private static boolean move(Side from, Side to, java.util.function.Function<byte[], List<byte[]>> chunks) {
    byte[] bytes = from.drain();
    if (bytes.length == 0) {
      return false;
    }
    for (byte[] chunk : chunks.apply(bytes)) {
      to.feed(chunk);
    }
    return true;
  }

  private Side[] handshake() {
    Side a = new Side(p -> ALICE_NOISE.initiator(BOB.peerId(), p));
    Side b = new Side(BOB_NOISE::responder);
    pump(a, b);
    assertThat(a.peer.getNow()).isEqualTo(BOB.peerId());
    assertThat(b.peer.getNow()).isEqualTo(ALICE.peerId());
    return new Side[] {a, b};
  }

  @Test
  void handshakeAuthenticatesBothSidesAndCarriesData() {
    Side a = new Side(p -> ALICE_NOISE.initiator(BOB.peerId(), p));
    Side b = new Side(BOB_NOISE::responder);
    a.firstWrite = "hello from alice".getBytes(StandardCharsets.UTF_8); // rides behind message 3
    pump(a, b);
    assertThat(a.peer.getNow()).isEqualTo(BOB.peerId());
    assertThat(b.peer.getNow()).isEqualTo(ALICE.peerId());
    assertThat(a.ch.pipeline().get("noise")).isInstanceOf(NoiseTransportCodec.class);
    assertThat(b.ch.pipeline().get("noise")).isInstanceOf(NoiseTransportCodec.class);
    assertThat(b.app.bytes()).isEqualTo(a.firstWrite);

    b.ch.writeAndFlush(Unpooled.copiedBuffer("hello from bob", StandardCharsets.UTF_8));
    byte[] wire = b.drain();
    assertThat(new String(wire, StandardCharsets.ISO_8859_1)).doesNotContain("hello");
    a.feed(wire);
    assertThat(new String(a.app.bytes(), StandardCharsets.UTF_8)).isEqualTo("hello from bob");
  }

  @Test
  void handshakeMessagesHaveTheExpectedSizes() {
    Side a = new Side(ALICE_NOISE::initiator);
    Side b = new Side(BOB_NOISE::responder);
    byte[] m1 = a.drain();
    assertThat(m1).hasSize(2 + 32); // length prefix, e, empty payload
    assertThat(m1[0]).isZero();
    assertThat(m1[1]).isEqualTo((byte) 32);
    b.feed(m1);
    byte[] m2 = b.drain();
    int payload = 2 + 36 + 2 + 64; // identity_key (Ed25519 protobuf) + identity_sig
    assertThat(m2).hasSize(2 + 32 + 48 + payload + 16);
    a.feed(m2);
    assertThat(a.drain()).hasSize(2 + 48 + payload + 16);
  }

  @Test
  void initiatorWithoutExpectedPeerAcceptsAnyone() {
    Side a = new Side(ALICE_NOISE::initiator);
    Side b = new Side(BOB_NOISE::responder);
    pump(a, b);
    assertThat(a.peer.getNow()).isEqualTo(BOB.peerId());
  }

  @Test
  void wrongPeerIdFailsTheInitiatorBeforeItRevealsItself() {
    Side a = new Side(p -> ALICE_NOISE.initiator(CAROL.peerId(), p));
    Side b = new Side(BOB_NOISE::responder);
    pump(a, b);
    assertThat(a.peer.cause())
        .isInstanceOf(NoiseException.class)
        .hasMessageContaining("peer ID mismatch: dialed " + CAROL.peerId() + " but the peer is " + BOB.peerId());
    assertThat(a.ch.isOpen()).isFalse();
    assertThat(b.peer.isSuccess()).isFalse(); // message 3, with Alice's identity, was never sent
  }

  /** A responder whose payload signs some other static key than the one it uses. */
  @Test
  void badSignatureFromResponderIsRejected() {
    Side a = new Side(p -> ALICE_NOISE.initiator(BOB.peerId(), p));
    Side b = new Side(p -> badlySignedHandler(Role.RESPONDER, BOB, p));
    pump(a, b);
    assertThat(a.peer.cause()).hasMessageContaining("identity signature does not verify");
    assertThat(a.ch.isOpen()).isFalse();
  }

  @Test
  void badSignatureFromInitiatorIsRejected() {
    Side a = new Side(p -> badlySignedHandler(Role.INITIATOR, ALICE, p));
    Side b = new Side(BOB_NOISE::responder);
    pump(a, b);
    assertThat(b.peer.cause()).hasMessageContaining("identity signature does not verify");
    assertThat(b.ch.isOpen()).isFalse();
    assertThat(b.app.bytes()).isEmpty();
  }

  private static NoiseHandler badlySignedHandler(Role role, Ed25519PrivateKey identity, Promise<PeerId> p) {
    X25519KeyPair used = X25519KeyPair.generate(RANDOM);
    X25519KeyPair signed = X25519KeyPair.generate(RANDOM);
    return new NoiseHandler(
        new NoiseHandshakeState(role, used, X25519KeyPair.generate(RANDOM), new byte[0]),
        NoisePayload.signed(identity, signed.publicKey(), NoisePayload.Extensions.NONE),
        null,
        NoiseSecureChannel.DEFAULT_MAX_HANDSHAKE_MESSAGE_LENGTH,
        p);
  }

  @Test
  void tamperedHandshakeMessageIsRejected() {
    Side a = new Side(ALICE_NOISE::initiator);
    Side b = new Side(BOB_NOISE::responder);
    b.feed(a.drain());
    byte[] m2 = b.drain();
    m2[m2.length - 1] ^= 0x01;
    a.feed(m2);
    assertThat(a.peer.cause()).isInstanceOf(NoiseException.class).hasMessageContaining("authentication");
    assertThat(a.ch.isOpen()).isFalse();
  }

  @Test
  void tamperedTransportMessageClosesTheConnection() {
    Side[] s = handshake();
    s[0].ch.writeAndFlush(Unpooled.copiedBuffer("attack at dawn", StandardCharsets.UTF_8));
    byte[] wire = s[0].drain();
    wire[5] ^= 0x20;
    s[1].feed(wire);
    assertThat(s[1].app.bytes()).isEmpty();
    assertThat(s[1].ch.isOpen()).isFalse();
  }

  @Test
  void replayedTransportMessageClosesTheConnection() {
    Side[] s = handshake();
    s[0].ch.writeAndFlush(Unpooled.copiedBuffer("pay 10", StandardCharsets.UTF_8));
    byte[] wire = s[0].drain();
    s[1].feed(wire);
    s[1].feed(wire); // same ciphertext again: nonce 1 expected, it was sealed with nonce 0
    assertThat(new String(s[1].app.bytes(), StandardCharsets.UTF_8)).isEqualTo("pay 10");
    assertThat(s[1].ch.isOpen()).isFalse();
  }

  @Test
  void transportFrameShorterThanATagClosesTheConnection() {
    Side[] s = handshake();
    s[1].feed(new byte[] {0, 15});
    assertThat(s[1].ch.isOpen()).isFalse();
  }

  @Test
  void oversizedHandshakeMessageIsRefusedFromItsLengthAlone() {
    NoiseSecureChannel strict = new NoiseSecureChannel(BOB, X25519KeyPair.generate(RANDOM), RANDOM, 1024);
    Side b = new Side(strict::responder);
    b.feed(new byte[] {0x04, 0x01}); // 1025 bytes announced, none sent
    assertThat(b.peer.cause()).hasMessageContaining("handshake message of 1025 bytes exceeds the limit of 1024");
    assertThat(b.ch.isOpen()).isFalse();
  }

  @Test
  void largestTransportFrameIsAccepted() {
    Side[] s = handshake();
    byte[] data = new byte[CipherState.MAX_PLAINTEXT_LENGTH];
    new SplittableRandom(7).nextBytes(data);
    s[0].ch.writeAndFlush(Unpooled.wrappedBuffer(data));
    byte[] wire = s[0].drain();
    assertThat(frameLengths(wire)).containsExactly(65535);
    s[1].feed(wire);
    assertThat(s[1].app.bytes()).isEqualTo(data);
    assertThat(s[1].ch.isOpen()).isTrue();
  }

  @Test
  void largeWritesAreSplitIntoNoiseMessages() {
    Side[] s = handshake();
    byte[] data = new byte[200_000];
    new SplittableRandom(8).nextBytes(data);
    s[0].ch.writeAndFlush(Unpooled.wrappedBuffer(data));
    byte[] wire = s[0].drain();
    assertThat(frameLengths(wire)).containsExactly(65535, 65535, 65535, 200_000 - 3 * 65519 + 16);
    s[1].feed(wire);
    assertThat(s[1].app.bytes()).isEqualTo(data);
    assertThat(s[1].app.chunks).containsExactly(65519, 65519, 65519, 200_000 - 3 * 65519);

    s[1].ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[65520]));
    assertThat(frameLengths(s[1].drain())).containsExactly(65535, 17);
  }

  private static List<Integer> frameLengths(byte[] wire) {
    List<Integer> lengths = new ArrayList<>();
    int i = 0;
    while (i < wire.length) {
      int n = ((wire[i] & 0xff) << 8) | (wire[i + 1] & 0xff);
      lengths.add(n);
      i += 2 + n;
    }
    assertThat(i).isEqualTo(wire.length);
    return lengths;
  }

  /** Every delivery of the handshake cut in two at the same offset, for every offset. */
  @Test
  void handshakeMessagesSplitAtEveryByteBoundary() {
    int longest = 2 + 32 + 48 + 104 + 16;
    for (int cut = 0; cut <= longest + 1; cut++) {
      int at = cut;
      Side a = new Side(p -> ALICE_NOISE.initiator(BOB.peerId(), p));
      Side b = new Side(BOB_NOISE::responder);
      a.firstWrite = new byte[] {1, 2, 3};
      pump(a, b, bytes -> {
        int k = Math.min(at, bytes.length);
        return List.of(Arrays.copyOfRange(bytes, 0, k), Arrays.copyOfRange(bytes, k, bytes.length));
      });
      assertThat(a.peer.getNow()).as("cut %d", cut).isEqualTo(BOB.peerId());
      assertThat(b.peer.getNow()).as("cut %d", cut).isEqualTo(ALICE.peerId());
      assertThat(b.app.bytes()).as("cut %d", cut).containsExactly(1, 2, 3);
      a.ch.finishAndReleaseAll();
      b.ch.finishAndReleaseAll();
    }
  }

  /** Transport messages cut in two at every offset, then a stream of several fed byte by byte. */
  @Test
  void transportMessagesSplitAtEveryByteBoundary() {
    Side[] s = handshake();
    byte[] message = "forty-two bytes of plaintext, more or les".getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    for (int cut = 0; cut <= 2 + message.length + 16; cut++) {
      s[0].ch.writeAndFlush(Unpooled.wrappedBuffer(message));
      byte[] wire = s[0].drain();
      s[1].feed(Arrays.copyOfRange(wire, 0, cut));
      s[1].feed(Arrays.copyOfRange(wire, cut, wire.length));
      received.writeBytes(message);
      assertThat(s[1].app.bytes()).as("cut %d", cut).isEqualTo(received.toByteArray());
    }
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (int i = 0; i < 4; i++) {
      s[0].ch.writeAndFlush(Unpooled.wrappedBuffer(message));
      stream.writeBytes(s[0].drain());
      received.writeBytes(message);
    }
    for (byte x : stream.toByteArray()) {
      s[1].feed(new byte[] {x});
    }
    assertThat(s[1].app.bytes()).isEqualTo(received.toByteArray());
  }

  @Test
  void writesBeforeTheHandshakeCompletesAreRefused() {
    Side a = new Side(ALICE_NOISE::initiator);
    a.ch.pipeline().addLast("early", new ChannelInboundHandlerAdapter());
    ByteBuf secret = Unpooled.copiedBuffer("secret", StandardCharsets.UTF_8);
    ChannelFuture f = a.ch.pipeline().context("early").writeAndFlush(secret);
    assertThat(f.cause()).isInstanceOf(IllegalStateException.class).hasMessageContaining("not finished");
    assertThat(secret.refCnt()).isZero();
    a.drain();
  }

  @Test
  void closeDuringTheHandshakeFailsThePromise() {
    Side a = new Side(ALICE_NOISE::initiator);
    a.drain();
    a.ch.close();
    assertThat(a.peer.cause()).hasMessageContaining("connection closed during the Noise handshake");
  }

  @Test
  void outOfTurnMessageIsRejected() {
    Side a = new Side(ALICE_NOISE::initiator);
    Side b = new Side(BOB_NOISE::responder);
    byte[] m1 = a.drain();
    b.feed(m1);
    b.drain();
    b.feed(m1); // message 1 again where message 3 belongs
    assertThat(b.peer.cause()).isInstanceOf(NoiseException.class);
    assertThat(b.ch.isOpen()).isFalse();
  }

  /** Collects the bytes that reach it, and the size of each buffer, releasing each. */
  static final class Capture extends ChannelInboundHandlerAdapter {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final List<Integer> chunks = new ArrayList<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      try {
        chunks.add(buf.readableBytes());
        bytes.writeBytes(ByteBufUtil.getBytes(buf));
      } finally {
        buf.release();
      }
    }

    byte[] bytes() {
      return bytes.toByteArray();
    }
  }

}
