package io.canopy.p2p.identify;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.p2p.stream.VarintFrameDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdentifyExchangeTest {
  private static final IdentifyMessage OURS = new IdentifyMessage(
      "ipfs/0.1.0", "canopy/test", null, List.of(), null, List.of("/ipfs/id/1.0.0"), null);

  @Test
  void senderWritesOneFramedMessageAndClosesAndTheReceiverReadsIt() {
    EmbeddedChannel sender = new EmbeddedChannel(new IdentifySender(() -> OURS));
    ByteBuf wire = Unpooled.buffer();
    for (ByteBuf part; (part = sender.readOutbound()) != null; ) {
      wire.writeBytes(part);
      part.release();
    }
    assertThat(sender.isOpen()).isFalse();

    Promise<IdentifyMessage> result = ImmediateEventExecutor.INSTANCE.newPromise();
    EmbeddedChannel receiver = new EmbeddedChannel(new VarintFrameDecoder(IdentifyMessage.MAX_SIZE), new IdentifyReceiver(result));
    receiver.writeInbound(wire);
    assertThat(result.isDone()).isFalse(); // more parts may follow until the peer closes
    receiver.close();
    assertThat(result.getNow().agentVersion()).isEqualTo("canopy/test");
    assertThat(result.getNow().protocols()).containsExactly("/ipfs/id/1.0.0");
  }

  @Test
  void partsAreMergedAndAnEmptyStreamIsAFailure() {
    IdentifyMessage second = new IdentifyMessage(null, "canopy/newer", null, List.of(), null, List.of("/ipfs/ping/1.0.0"), null);
    IdentifyMessage merged = IdentifyReceiver.merge(List.of(OURS, second));
    assertThat(merged.agentVersion()).isEqualTo("canopy/newer");
    assertThat(merged.protocolVersion()).isEqualTo("ipfs/0.1.0");
    assertThat(merged.protocols()).containsExactly("/ipfs/id/1.0.0", "/ipfs/ping/1.0.0");

    Promise<IdentifyMessage> result = ImmediateEventExecutor.INSTANCE.newPromise();
    EmbeddedChannel receiver = new EmbeddedChannel(new VarintFrameDecoder(IdentifyMessage.MAX_SIZE), new IdentifyReceiver(result));
    receiver.close();
    assertThat(result.cause()).hasMessageContaining("without sending");
  }

  @Test
  void garbageFailsTheExchange() {
    Promise<IdentifyMessage> result = ImmediateEventExecutor.INSTANCE.newPromise();
    EmbeddedChannel receiver = new EmbeddedChannel(new VarintFrameDecoder(IdentifyMessage.MAX_SIZE), new IdentifyReceiver(result));
    receiver.writeInbound(Unpooled.wrappedBuffer(new byte[] {3, 0x0a, (byte) 0xff, 0x01}));
    assertThat(result.cause()).isNotNull();
    assertThat(receiver.isOpen()).isFalse();
  }
}
