package io.canopy.p2p.yamux;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import java.util.Objects;

/**
 * The yamux stream muxer as a protocol binding: its multistream-select protocol id and how to put
 * it on a connection once the security layer is in place.
 *
 * <pre>{@code
 * YamuxHandler mux = new YamuxStreamMuxer(YamuxConfig.DEFAULT)
 *     .install(connection.pipeline(), isDialer, new ChannelInitializer<>() {
 *       protected void initChannel(Channel stream) { ... multistream-select responder ... }
 *     });
 * mux.openStream(new ChannelInitializer<>() { ... }).addListener(...);
 * }</pre>
 */
public final class YamuxStreamMuxer {
  /** The protocol id negotiated with multistream-select (libp2p specs yamux/README.md). */
  public static final String PROTOCOL_ID = "/yamux/1.0.0";

  private final YamuxConfig config;

  public YamuxStreamMuxer(YamuxConfig config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  public String protocolId() {
    return PROTOCOL_ID;
  }

  public YamuxConfig config() {
    return config;
  }

  /**
   * Adds a {@link YamuxHandler} (and its codec) at the end of {@code pipeline}, whose channel
   * carries the secured connection's plaintext. Call it on the channel's event loop, as an upgrader
   * does, so that the handler is ready when this returns.
   *
   * @param client true on the side that dialed the connection
   * @param inboundStreamInitializer sets up each stream the peer opens
   */
  public YamuxHandler install(ChannelPipeline pipeline, boolean client, ChannelInitializer<Channel> inboundStreamInitializer) {
    YamuxHandler handler = new YamuxHandler(client, config, inboundStreamInitializer);
    pipeline.addLast(handler);
    return handler;
  }
}
