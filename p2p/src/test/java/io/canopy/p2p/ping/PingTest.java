package io.canopy.p2p.ping;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PingTest {
  @Test
  void responderEchoesWhole32BytePayloadsEvenWhenSplit() {
    EmbeddedChannel responder = new EmbeddedChannel(new PingResponder());
    byte[] payload = new byte[64];
    new Random(1).nextBytes(payload);
    for (byte b : payload) {
      responder.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
    }
    ByteBuf first = responder.readOutbound();
    ByteBuf second = responder.readOutbound();
    assertThat(ByteBufBytes(first)).isEqualTo(java.util.Arrays.copyOfRange(payload, 0, 32));
    assertThat(ByteBufBytes(second)).isEqualTo(java.util.Arrays.copyOfRange(payload, 32, 64));
    responder.writeInbound(Unpooled.wrappedBuffer(new byte[5])); // a partial payload stays pending...
    assertThat((Object) responder.readOutbound()).isNull();
    assertThat(responder.finishAndReleaseAll()).isFalse(); // ...and is released on close
  }

  @Test
  void responderClosesWhenThePingerHalfCloses() {
    EmbeddedChannel responder = new EmbeddedChannel(new PingResponder());
    responder.pipeline().fireUserEventTriggered(io.netty.channel.socket.ChannelInputShutdownEvent.INSTANCE);
    assertThat(responder.isOpen()).isFalse();
    responder.finishAndReleaseAll();
  }

  @Test
  void initiatorMeasuresRoundTripsWithTheInjectedClock() {
    AtomicLong now = new AtomicLong(1_000);
    Promise<List<Duration>> result = ImmediateEventExecutor.INSTANCE.newPromise();
    EmbeddedChannel initiator = new EmbeddedChannel(new PingInitiator(3, result, new Random(2), now::get));
    for (int i = 0; i < 3; i++) {
      ByteBuf sent = initiator.readOutbound();
      now.addAndGet(250_000 * (i + 1));
      initiator.writeInbound(sent); // echo it back, as a responder would
    }
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.getNow()).containsExactly(Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofNanos(750_000));
    assertThat(initiator.isOpen()).isFalse();
    initiator.finishAndReleaseAll();
  }

  @Test
  void aWrongReplyFailsThePing() {
    Promise<List<Duration>> result = ImmediateEventExecutor.INSTANCE.newPromise();
    EmbeddedChannel initiator = new EmbeddedChannel(new PingInitiator(1, result, new Random(3), System::nanoTime));
    ByteBuf sent = initiator.readOutbound();
    sent.release();
    initiator.writeInbound(Unpooled.wrappedBuffer(new byte[32]));
    assertThat(result.cause()).hasMessageContaining("differs");
    initiator.finishAndReleaseAll();
  }

  private static byte[] ByteBufBytes(ByteBuf buf) {
    byte[] out = new byte[buf.readableBytes()];
    buf.readBytes(out);
    buf.release();
    return out;
  }
}
