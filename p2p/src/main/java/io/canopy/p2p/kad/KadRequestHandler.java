package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multihash;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The server side of {@code /ipfs/kad/1.0.0}: one request in, one answer out (kad-dht §RPC
 * messages, the requirements for each MessageType). No Netty here. A request that breaks the
 * protocol throws {@link KadProtocolException} with the reason; the stream it came on is then
 * reset, as go-libp2p and js-libp2p do.
 */
final class KadRequestHandler {
  private final RoutingTable table;
  private final ProviderStore providers;
  private final RecordStore records;
  private final PeerDirectory peers;

  KadRequestHandler(RoutingTable table, ProviderStore providers, RecordStore records, PeerDirectory peers) {
    this.table = table;
    this.providers = providers;
    this.records = records;
    this.peers = peers;
  }

  /** The answer to {@code request} from {@code from}; null for ADD_PROVIDER, which go and js send without waiting for one. */
  KadMessage handle(PeerId from, KadMessage request) {
    return switch (request.type()) {
      case FIND_NODE -> request.withRecord(null).withPeers(closerPeers(requireKey(request), from), List.of());
      case GET_VALUE -> getValue(from, request);
      case PUT_VALUE -> putValue(request);
      case GET_PROVIDERS -> getProviders(from, request);
      case ADD_PROVIDER -> addProvider(from, request);
      case PING -> request; // deprecated, but the spec lets us answer it: echo
    };
  }

  private KadMessage getValue(PeerId from, KadMessage request) {
    byte[] key = requireKey(request);
    KadRecord record = records.get(key).orElse(null);
    return KadMessage.request(KadMessage.Type.GET_VALUE, key).withRecord(record).withPeers(closerPeers(key, from), List.of());
  }

  private KadMessage putValue(KadMessage request) {
    byte[] key = requireKey(request);
    KadRecord record = request.record();
    if (record == null) {
      throw new KadProtocolException("PUT_VALUE without a record");
    }
    if (!Arrays.equals(key, record.key())) {
      throw new KadProtocolException("PUT_VALUE key differs from its record's key");
    }
    try {
      records.put(key, record.value());
    } catch (InvalidRecordException e) {
      throw new KadProtocolException("PUT_VALUE refused: " + e.getMessage(), e);
    }
    return request; // the spec: "as a response echoes the request"
  }

  private KadMessage getProviders(PeerId from, KadMessage request) {
    byte[] key = requireKey(request);
    Multihash mh = multihashOf(key);
    List<KadPeer> found = new ArrayList<>();
    for (PeerId p : providers.get(mh)) {
      found.add(new KadPeer(p, peers.addrs(p), connectionOf(p)));
    }
    return KadMessage.request(KadMessage.Type.GET_PROVIDERS, key).withPeers(closerPeers(key, from), found);
  }

  /** Only the sender may add itself (kad-dht: "all providerPeers that match the RPC sender's PeerID are recorded"). */
  private KadMessage addProvider(PeerId from, KadMessage request) {
    Multihash mh = multihashOf(requireKey(request));
    for (KadPeer p : request.providerPeers()) {
      if (p.id().equals(from)) {
        if (providers.add(mh, from)) {
          peers.addAddrs(from, p.addrs());
        }
      }
    }
    return null;
  }

  /**
   * The k peers of our table closest to {@code key} that we can give an address for, the
   * requester left out (it knows itself).
   */
  List<KadPeer> closerPeers(byte[] key, PeerId requester) {
    List<KadPeer> out = new ArrayList<>();
    for (PeerId p : table.closest(KadKey.of(key), table.k() + 1)) {
      if (p.equals(requester) || out.size() == table.k()) {
        continue;
      }
      List<Multiaddr> addrs = peers.addrs(p);
      if (!addrs.isEmpty()) {
        out.add(new KadPeer(p, addrs, connectionOf(p)));
      }
    }
    return out;
  }

  private KadPeer.ConnectionType connectionOf(PeerId p) {
    return peers.isConnected(p) ? KadPeer.ConnectionType.CONNECTED : KadPeer.ConnectionType.NOT_CONNECTED;
  }

  private static byte[] requireKey(KadMessage request) {
    if (request.key() == null || request.key().length == 0) {
      throw new KadProtocolException(request.type() + " without a key");
    }
    return request.key();
  }

  /** Provider keys are multihashes (kad-dht §Content provider advertisement); a whole CID is accepted too. */
  static Multihash multihashOf(byte[] key) {
    try {
      return Multihash.fromBytes(key);
    } catch (IllegalArgumentException notMultihash) {
      try {
        return Cid.fromBytes(key).multihash();
      } catch (IllegalArgumentException e) {
        throw new KadProtocolException("provider key is neither a multihash nor a CID: " + notMultihash.getMessage(), e);
      }
    }
  }
}
