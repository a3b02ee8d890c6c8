package io.canopy.p2p.host;

/**
 * Told about connections as they come and go, so that protocols which keep per-peer state
 * (Bitswap's wantlists, the DHT's routing table) can follow them. Called on the connection's
 * event loop: implementations must not block.
 */
public interface ConnectionListener {
  /** The connection is upgraded and admitted; identify may not have answered yet. */
  default void connected(Connection connection) {}

  /** The peer answered identify (or pushed an update): its protocols and addresses are in the peer store. */
  default void identified(Connection connection, PeerStore.PeerInfo info) {}

  /** The connection closed. The peer may still have other connections ({@link Host#connections(io.canopy.identity.PeerId)}). */
  default void disconnected(Connection connection) {}
}
