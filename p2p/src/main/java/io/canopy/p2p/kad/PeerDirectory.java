package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import java.util.List;

/** What the DHT logic needs to know of other peers; the host's peer store and connections, behind an interface so the logic tests without a network. */
interface PeerDirectory {
  List<Multiaddr> addrs(PeerId peer);

  boolean isConnected(PeerId peer);

  void addAddrs(PeerId peer, List<Multiaddr> addrs);
}
