package io.canopy.p2p.tcp;

import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiaddr.Protocol;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.time.Duration;

/**
 * TCP for libp2p ({@code /ip4|ip6|dns*}{@code /tcp/PORT}): listening sockets and dials with a
 * timeout, on the event loops it is given. It only moves bytes; the connection upgrade (security,
 * muxer) is the initializer's business.
 */
public final class TcpTransport {
  private final EventLoopGroup acceptors;
  private final EventLoopGroup workers;

  public TcpTransport(EventLoopGroup acceptors, EventLoopGroup workers) {
    this.acceptors = acceptors;
    this.workers = workers;
  }

  /** Whether this transport can dial or listen on {@code addr}. */
  public static boolean handles(Multiaddr addr) {
    var components = addr.components();
    if (components.size() < 2) {
      return false;
    }
    Protocol host = components.get(0).protocol();
    boolean hostOk = host == Protocol.IP4 || host == Protocol.IP6 || host == Protocol.DNS || host == Protocol.DNS4 || host == Protocol.DNS6;
    return hostOk && components.get(1).protocol() == Protocol.TCP
        && components.stream().skip(2).allMatch(c -> c.protocol() == Protocol.P2P);
  }

  /** Binds a listening socket; the future's channel reports the port actually bound (for port 0). */
  public ChannelFuture listen(Multiaddr addr, ChannelInitializer<Channel> connectionInitializer) {
    requireTcp(addr);
    return new ServerBootstrap()
        .group(acceptors, workers)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(connectionInitializer)
        .bind(addr.toInetSocketAddress());
  }

  public ChannelFuture dial(Multiaddr addr, Duration timeout, ChannelInitializer<Channel> connectionInitializer) {
    requireTcp(addr);
    return new Bootstrap()
        .group(workers)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
        .handler(connectionInitializer)
        .connect(addr.toInetSocketAddress());
  }

  private static void requireTcp(Multiaddr addr) {
    if (!handles(addr)) {
      throw new IllegalArgumentException("not a TCP multiaddr: " + addr);
    }
  }
}
