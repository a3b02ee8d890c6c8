package io.canopy.content.bitswap;

import io.canopy.p2p.host.Host;
import io.canopy.p2p.stream.VarintFrameDecoder;
import io.canopy.p2p.stream.VarintFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * A hand-driven Bitswap peer for wire tests: a real host that registers the protocol ids it is
 * told to, records every message it receives, and writes hand-made messages on its own stream.
 * No Bitswap logic: tests make it honest, silent, lying or flooding.
 */
final class RawPeer {
  final Host host;
  final BlockingQueue<BitswapMessage> received = new LinkedBlockingQueue<>();
  private volatile BiConsumer<RawPeer, BitswapMessage> onMessage = (p, m) -> {};
  private volatile boolean reading = true;
  private Channel stream;
  private final java.util.concurrent.ExecutorService replies = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "raw-peer");
    t.setDaemon(true);
    return t;
  });

  RawPeer(Host host, List<String> protocols) {
    this.host = host;
    for (String protocol : protocols) {
      host.registerProtocol(protocol, (ch, proto, connection) -> {
        if (!reading) {
          ch.config().setAutoRead(false); // accepts the stream, never reads it: the sender's window fills
          return;
        }
        ch.pipeline().addLast(new VarintFrameDecoder(8 * 1024 * 1024), new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            BitswapMessage m;
            try {
              m = BitswapMessage.decode(ByteBufUtil.getBytes(frame));
            } finally {
              frame.release();
            }
            received.add(m);
            // Off the event loop: handlers write and wait, which an event loop must never do.
            replies.execute(() -> onMessage.accept(RawPeer.this, m));
          }
        });
      });
    }
  }

  /** What the peer does with each message it receives (after recording it). */
  RawPeer onMessage(BiConsumer<RawPeer, BitswapMessage> handler) {
    this.onMessage = handler;
    return this;
  }

  /** Streams opened to this peer from now on are never read. */
  RawPeer stopReading() {
    reading = false;
    return this;
  }

  /** Opens (once) a stream to {@code target} with the given protocol. */
  synchronized Channel streamTo(Host target, String protocol) throws Exception {
    if (stream == null || !stream.isActive()) {
      stream = host.newStream(BitswapNodes.addr(target), List.of(protocol),
          (ch, p, c) -> ch.pipeline().addLast(VarintFrameEncoder.INSTANCE)).get(10, TimeUnit.SECONDS);
    }
    return stream;
  }

  void send(Host target, String protocol, BitswapMessage m) throws Exception {
    sendRaw(target, protocol, m.toByteArray(protocol));
  }

  void sendRaw(Host target, String protocol, byte[] message) throws Exception {
    streamTo(target, protocol).writeAndFlush(Unpooled.wrappedBuffer(message)).sync();
  }

  BitswapMessage poll() throws InterruptedException {
    return received.poll(10, TimeUnit.SECONDS);
  }

  /** The next message that carries blocks or presences (skipping wantlists the node sends us). */
  BitswapMessage pollAnswer() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (BitswapMessage m; (m = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) != null; ) {
      if (!m.blocks().isEmpty() || !m.presences().isEmpty()) {
        return m;
      }
    }
    return null;
  }

  /** The next message with wantlist entries. */
  BitswapMessage pollWants() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (BitswapMessage m; (m = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) != null; ) {
      if (!m.wantlist().isEmpty()) {
        return m;
      }
    }
    return null;
  }
}
