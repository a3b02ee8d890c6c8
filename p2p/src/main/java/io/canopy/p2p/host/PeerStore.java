package io.canopy.p2p.host;

import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** What the host knows about other peers: addresses (dialled or learned from identify) and identify data. */
public final class PeerStore {
  /** Per peer, at most this many addresses are kept; identify cannot make the store grow without bound. */
  public static final int MAX_ADDRS_PER_PEER = 32;

  /** A peer's identify data, as last received. */
  public record PeerInfo(Set<Multiaddr> addrs, List<String> protocols, String agentVersion, String protocolVersion) {}

  private final Map<PeerId, PeerInfo> peers = new ConcurrentHashMap<>();

  public void addAddrs(PeerId peer, List<Multiaddr> addrs) {
    peers.compute(peer, (p, info) -> {
      Set<Multiaddr> merged = new LinkedHashSet<>(info == null ? Set.of() : info.addrs());
      for (Multiaddr a : addrs) {
        if (merged.size() >= MAX_ADDRS_PER_PEER) {
          break;
        }
        merged.add(a.withoutPeerId());
      }
      return info == null
          ? new PeerInfo(Set.copyOf(merged), List.of(), null, null)
          : new PeerInfo(Set.copyOf(merged), info.protocols(), info.agentVersion(), info.protocolVersion());
    });
  }

  void identified(PeerId peer, List<Multiaddr> listenAddrs, List<String> protocols, String agentVersion, String protocolVersion) {
    addAddrs(peer, listenAddrs);
    peers.computeIfPresent(peer, (p, info) -> new PeerInfo(info.addrs(), List.copyOf(protocols), agentVersion, protocolVersion));
  }

  public Optional<PeerInfo> get(PeerId peer) {
    return Optional.ofNullable(peers.get(peer));
  }

  public Set<PeerId> peers() {
    return Set.copyOf(peers.keySet());
  }
}
