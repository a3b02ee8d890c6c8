package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code Message} of kad-dht §RPC messages, the one message type of {@code /ipfs/kad/1.0.0} in
 * both directions. Decoding enforces limits and refuses with {@link KadProtocolException} what a
 * conforming peer would not send; an address of a transport we cannot parse is skipped (the peer
 * may know transports we do not).
 */
public record KadMessage(
    Type type, byte[] key, KadRecord record, List<KadPeer> closerPeers, List<KadPeer> providerPeers, int clusterLevelRaw) {

  /** {@code Message.MessageType}; the wire number is the ordinal. PING is deprecated (answered, never sent). */
  public enum Type { PUT_VALUE, GET_VALUE, ADD_PROVIDER, GET_PROVIDERS, FIND_NODE, PING }

  /** Peers accepted in one list; answers carry k (20), so this is generous. */
  public static final int MAX_PEERS = 256;
  /** Addresses kept per peer (as many as the peer store keeps). */
  public static final int MAX_ADDRS_PER_PEER = io.canopy.p2p.host.PeerStore.MAX_ADDRS_PER_PEER;

  public KadMessage {
    closerPeers = List.copyOf(closerPeers);
    providerPeers = List.copyOf(providerPeers);
  }

  public static KadMessage request(Type type, byte[] key) {
    return new KadMessage(type, key, null, List.of(), List.of(), 0);
  }

  public KadMessage withPeers(List<KadPeer> closer, List<KadPeer> providers) {
    return new KadMessage(type, key, record, closer, providers, clusterLevelRaw);
  }

  public KadMessage withRecord(KadRecord r) {
    return new KadMessage(type, key, r, closerPeers, providerPeers, clusterLevelRaw);
  }

  public byte[] encode() {
    ProtoWriter w = new ProtoWriter(256);
    w.varint(1, type.ordinal());
    if (key != null) {
      w.bytes(2, key);
    }
    if (record != null) {
      ProtoWriter r = new ProtoWriter(record.value().length + record.key().length + 16);
      r.bytes(1, record.key());
      r.bytes(2, record.value());
      if (record.timeReceived() != null) {
        r.string(5, record.timeReceived());
      }
      w.message(3, r);
    }
    for (KadPeer p : closerPeers) {
      w.message(8, encodePeer(p));
    }
    for (KadPeer p : providerPeers) {
      w.message(9, encodePeer(p));
    }
    if (clusterLevelRaw != 0) {
      w.varint(10, clusterLevelRaw);
    }
    return w.toByteArray();
  }

  private static ProtoWriter encodePeer(KadPeer p) {
    ProtoWriter w = new ProtoWriter(64);
    w.bytes(1, p.id().toBytes());
    for (Multiaddr a : p.addrs()) {
      w.bytes(2, a.toBytes());
    }
    if (p.connection() != KadPeer.ConnectionType.NOT_CONNECTED) {
      w.varint(3, p.connection().ordinal());
    }
    return w;
  }

  /** Parses a message; {@link KadProtocolException} says what is wrong with it. */
  public static KadMessage decode(byte[] bytes) {
    try {
      return decodeFields(bytes);
    } catch (KadProtocolException e) {
      throw e;
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      throw new KadProtocolException("malformed message: " + e.getMessage(), e);
    }
  }

  private static KadMessage decodeFields(byte[] bytes) {
    Type type = Type.PUT_VALUE; // proto3 leaves the zero value off the wire
    byte[] key = null;
    KadRecord record = null;
    List<KadPeer> closer = new ArrayList<>();
    List<KadPeer> providers = new ArrayList<>();
    int cluster = 0;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> type = typeOf(r.varint());
        case 2 -> key = r.bytes();
        case 3 -> record = decodeRecord(r.bytes());
        case 8 -> closer.add(decodePeer(r.bytes(), "closerPeers", closer.size()));
        case 9 -> providers.add(decodePeer(r.bytes(), "providerPeers", providers.size()));
        case 10 -> cluster = (int) r.varint();
        default -> r.skip();
      }
    }
    return new KadMessage(type, key, record, closer, providers, cluster);
  }

  private static Type typeOf(long wire) {
    if (wire < 0 || wire >= Type.values().length) {
      throw new KadProtocolException("unknown message type " + wire);
    }
    return Type.values()[(int) wire];
  }

  private static KadRecord decodeRecord(byte[] bytes) {
    byte[] key = new byte[0];
    byte[] value = new byte[0];
    String received = null;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> key = r.bytes();
        case 2 -> value = r.bytes();
        case 5 -> received = r.string();
        default -> r.skip();
      }
    }
    return new KadRecord(key, value, received);
  }

  private static KadPeer decodePeer(byte[] bytes, String list, int index) {
    if (index >= MAX_PEERS) {
      throw new KadProtocolException(list + " lists more than " + MAX_PEERS + " peers");
    }
    byte[] id = null;
    List<Multiaddr> addrs = new ArrayList<>();
    KadPeer.ConnectionType connection = KadPeer.ConnectionType.NOT_CONNECTED;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> id = r.bytes();
        case 2 -> {
          byte[] raw = r.bytes();
          if (addrs.size() < MAX_ADDRS_PER_PEER) {
            try {
              addrs.add(Multiaddr.fromBytes(raw));
            } catch (IllegalArgumentException e) {
              // a transport we do not know, or a bad address: skip it, keep the peer
            }
          }
        }
        case 3 -> {
          long c = r.varint();
          if (c >= 0 && c < KadPeer.ConnectionType.values().length) {
            connection = KadPeer.ConnectionType.values()[(int) c];
          }
        }
        default -> r.skip();
      }
    }
    if (id == null) {
      throw new KadProtocolException(list + "[" + index + "] has no peer ID");
    }
    try {
      return new KadPeer(PeerId.fromBytes(id), addrs, connection);
    } catch (IllegalArgumentException e) {
      throw new KadProtocolException(list + "[" + index + "] is not a valid peer ID: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return type + "(key " + (key == null ? "none" : RecordKeys.describe(key)) + ", record " + record
        + ", " + closerPeers.size() + " closer, " + providerPeers.size() + " providers)";
  }
}
