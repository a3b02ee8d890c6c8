package io.canopy.p2p.host;

import io.netty.channel.Channel;

/**
 * Sets up a stream once its protocol is negotiated: adds the protocol's handlers to the stream's
 * pipeline. Called on the stream's event loop, before any byte past the negotiation is delivered,
 * so nothing the peer pipelined is lost.
 */
@FunctionalInterface
public interface StreamHandler {
  void initStream(Channel stream, String protocol, Connection connection);
}
