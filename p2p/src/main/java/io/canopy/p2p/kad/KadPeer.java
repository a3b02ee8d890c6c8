package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import java.util.List;

/**
 * {@code Message.Peer} of kad-dht §RPC messages: a peer ID, its addresses and what the sender
 * knows of its connectivity.
 */
public record KadPeer(PeerId id, List<Multiaddr> addrs, ConnectionType connection) {
  /** {@code Message.ConnectionType}; the wire number is the ordinal. */
  public enum ConnectionType { NOT_CONNECTED, CONNECTED, CAN_CONNECT, CANNOT_CONNECT }

  public KadPeer {
    addrs = List.copyOf(addrs);
  }

  public KadPeer(PeerId id, List<Multiaddr> addrs) {
    this(id, addrs, ConnectionType.NOT_CONNECTED);
  }
}
