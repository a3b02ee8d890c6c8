package io.canopy.p2p.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** The leak check can fail: a buffer dropped without release is reported. */
class NettyLeakCheckTest {
  @Test
  void aDroppedBufferIsReported() {
    NettyLeakCheck.drain();
    leakOne();
    NettyLeakCheck.collectAndPoll();
    assertThat(NettyLeakCheck.drain()).anySatisfy(report -> assertThat(report).startsWith("LEAK: ByteBuf"));
  }

  @Test
  void aReleasedBufferIsNot() {
    NettyLeakCheck.drain();
    ByteBuf buf = PooledByteBufAllocator.DEFAULT.buffer(64);
    buf.writeLong(42);
    buf.release();
    NettyLeakCheck.collectAndPoll();
    assertThat(NettyLeakCheck.drain()).isEmpty();
  }

  private static void leakOne() {
    ByteBuf buf = PooledByteBufAllocator.DEFAULT.buffer(64);
    buf.writeLong(7);
  }
}
