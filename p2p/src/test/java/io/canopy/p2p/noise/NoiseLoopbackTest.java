package io.canopy.p2p.noise;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.p2p.multistream.MultistreamHandler;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real TCP connection on 127.0.0.1: multistream-select picks {@value
 * NoiseSecureChannel#PROTOCOL_ID}, the Noise handshake runs, and 1 MB goes through an echo
 * server and back.
 */
class NoiseLoopbackTest {
  private EventLoopGroup group;

  @BeforeEach
  void start() {
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  }

  @AfterEach
  void stop() throws Exception {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private static Ed25519PrivateKey key(long seed) {
    byte[] s = new byte[32];
    new SplittableRandom(seed).nextBytes(s);
    return Ed25519PrivateKey.fromSeed(s);
  }

  /** Multistream, then Noise, then {@code app}; {@code remote} learns the peer. */
  private static void upgrade(
      Channel ch, boolean dialer, NoiseSecureChannel noise, PeerId expected,
      ChannelInboundHandlerAdapter app, CompletableFuture<PeerId> remote) {
    Promise<String> selected = ch.eventLoop().newPromise();
    selected.addListener(f -> {
      if (!f.isSuccess()) {
        remote.completeExceptionally(f.cause());
        return;
      }
      Promise<PeerId> peer = ch.eventLoop().newPromise();
      peer.addListener(p -> {
        if (p.isSuccess()) {
          ch.pipeline().addLast("app", app);
          remote.complete(peer.getNow());
        } else {
          remote.completeExceptionally(p.cause());
        }
      });
      ch.pipeline().addLast("noise", dialer ? noise.initiator(expected, peer) : noise.responder(peer));
    });
    ch.pipeline().addLast("multistream", dialer
        ? MultistreamHandler.initiator(List.of("/tls/1.0.0", NoiseSecureChannel.PROTOCOL_ID), selected)
        : MultistreamHandler.responder(Set.of(NoiseSecureChannel.PROTOCOL_ID), selected));
  }

  @Test
  void megabyteRoundTripOverNoise() throws Exception {
    SecureRandom random = new SecureRandom();
    Ed25519PrivateKey serverKey = key(11);
    Ed25519PrivateKey clientKey = key(12);
    NoiseSecureChannel serverNoise = new NoiseSecureChannel(serverKey, random);
    NoiseSecureChannel clientNoise = new NoiseSecureChannel(clientKey, random);
    CompletableFuture<PeerId> serverSaw = new CompletableFuture<>();

    Channel server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            upgrade(ch, false, serverNoise, null, new Echo(), serverSaw);
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();

    byte[] data = new byte[1 << 20];
    new SplittableRandom(13).nextBytes(data);
    Collect collect = new Collect(data.length);
    CompletableFuture<PeerId> clientSaw = new CompletableFuture<>();
    Channel client = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            upgrade(ch, true, clientNoise, serverKey.peerId(), collect, clientSaw);
          }
        })
        .connect(server.localAddress()).sync().channel();
    try {
      assertThat(clientSaw.get(5, TimeUnit.SECONDS)).isEqualTo(serverKey.peerId());
      assertThat(serverSaw.get(5, TimeUnit.SECONDS)).isEqualTo(clientKey.peerId());
      client.writeAndFlush(Unpooled.wrappedBuffer(data)).sync();
      assertThat(collect.done.get(5, TimeUnit.SECONDS)).isEqualTo(data);
    } finally {
      client.close().sync();
      server.close().sync();
    }
  }

  private static final class Echo extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.writeAndFlush(msg); // ownership passes to the write
    }
  }

  private static final class Collect extends ChannelInboundHandlerAdapter {
    final CompletableFuture<byte[]> done = new CompletableFuture<>();
    private final byte[] out;
    private int n;

    Collect(int expected) {
      out = new byte[expected];
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf buf = (ByteBuf) msg;
      try {
        int k = Math.min(buf.readableBytes(), out.length - n);
        buf.readBytes(out, n, k);
        n += k;
        if (n == out.length) {
          done.complete(out);
        }
      } finally {
        buf.release();
      }
    }
  }
}
