package io.canopy.p2p.ping;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongSupplier;

/**
 * Sends {@code count} pings one after another on one stream and completes {@code result} with
 * their round-trip times. A reply that differs from what was sent fails the promise: the peer is
 * not speaking ping. The clock and the random source are injected for tests.
 */
public final class PingInitiator extends ChannelInboundHandlerAdapter {
  private final int count;
  private final Promise<List<Duration>> result;
  private final Random random;
  private final LongSupplier nanoClock;
  private final List<Duration> rtts = new ArrayList<>();
  private final byte[] sent = new byte[Ping.PAYLOAD_SIZE];
  private final byte[] received = new byte[Ping.PAYLOAD_SIZE];
  private int receivedBytes;
  private long sentAt;

  public PingInitiator(int count, Promise<List<Duration>> result, Random random, LongSupplier nanoClock) {
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1");
    }
    this.count = count;
    this.result = result;
    this.random = random;
    this.nanoClock = nanoClock;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      sendNext(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (sentAt == 0) {
      sendNext(ctx);
    }
    ctx.fireChannelActive();
  }

  private void sendNext(ChannelHandlerContext ctx) {
    random.nextBytes(sent);
    receivedBytes = 0;
    sentAt = nanoClock.getAsLong();
    ctx.writeAndFlush(ctx.alloc().buffer(Ping.PAYLOAD_SIZE).writeBytes(sent));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      while (in.isReadable() && !result.isDone()) {
        int n = Math.min(in.readableBytes(), Ping.PAYLOAD_SIZE - receivedBytes);
        in.readBytes(received, receivedBytes, n);
        receivedBytes += n;
        if (receivedBytes < Ping.PAYLOAD_SIZE) {
          return;
        }
        if (!java.util.Arrays.equals(sent, received)) {
          result.tryFailure(new IllegalStateException("ping reply differs from what was sent: " + ByteBufUtil.hexDump(received)));
          ctx.close();
          return;
        }
        rtts.add(Duration.ofNanos(nanoClock.getAsLong() - sentAt));
        if (rtts.size() == count) {
          result.trySuccess(List.copyOf(rtts));
          ctx.close();
        } else {
          sendNext(ctx);
        }
      }
    } finally {
      in.release();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    result.tryFailure(new IllegalStateException("stream closed after " + rtts.size() + " of " + count + " pings"));
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    result.tryFailure(cause);
    ctx.close();
  }
}
