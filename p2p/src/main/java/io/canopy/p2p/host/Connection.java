package io.canopy.p2p.host;

import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.yamux.YamuxHandler;
import io.netty.channel.Channel;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/** An upgraded connection: authenticated remote peer, secured and multiplexed. */
public final class Connection {
  private final PeerId remotePeer;
  private final Multiaddr remoteAddr;
  private final Multiaddr localAddr;
  private final boolean inbound;
  private final Channel channel;
  private final YamuxHandler muxer;
  private final AtomicInteger openStreams = new AtomicInteger();
  private volatile long lastActivityNanos = System.nanoTime();
  private final Instant openedAt = Instant.now();

  Connection(PeerId remotePeer, Multiaddr remoteAddr, Multiaddr localAddr, boolean inbound, Channel channel, YamuxHandler muxer) {
    this.remotePeer = remotePeer;
    this.remoteAddr = remoteAddr;
    this.localAddr = localAddr;
    this.inbound = inbound;
    this.channel = channel;
    this.muxer = muxer;
  }

  public PeerId remotePeer() {
    return remotePeer;
  }

  /** The remote socket's address, without /p2p. */
  public Multiaddr remoteAddr() {
    return remoteAddr;
  }

  public Multiaddr localAddr() {
    return localAddr;
  }

  public boolean isInbound() {
    return inbound;
  }

  public Channel channel() {
    return channel;
  }

  public YamuxHandler muxer() {
    return muxer;
  }

  public boolean isOpen() {
    return channel.isActive();
  }

  public Instant openedAt() {
    return openedAt;
  }

  public int openStreams() {
    return openStreams.get();
  }

  /** Counts a stream for idle pruning until it closes. */
  void track(Channel stream) {
    openStreams.incrementAndGet();
    lastActivityNanos = System.nanoTime();
    stream.closeFuture().addListener(f -> {
      openStreams.decrementAndGet();
      lastActivityNanos = System.nanoTime();
    });
  }

  long idleNanos(long now) {
    return openStreams.get() > 0 ? 0 : now - lastActivityNanos;
  }

  public void close() {
    channel.close();
  }

  @Override
  public String toString() {
    return (inbound ? "inbound" : "outbound") + " connection to " + remotePeer + " at " + remoteAddr;
  }
}
