package io.canopy.p2p.identify;

import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The identify message (libp2p specs identify/README.md): what a peer says about itself. Addresses
 * are binary multiaddrs and the key is a libp2p PublicKey protobuf; both are kept as bytes here
 * and interpreted by the caller, so an address we cannot parse does not make the message unreadable.
 */
public record IdentifyMessage(
    String protocolVersion,
    String agentVersion,
    byte[] publicKey,
    List<byte[]> listenAddrs,
    byte[] observedAddr,
    List<String> protocols,
    byte[] signedPeerRecord) {

  /** go-libp2p and js-libp2p cap the message at this size; so do we, in both directions. */
  public static final int MAX_SIZE = 8 * 1024;
  /** Bounds on list lengths, well above what real peers send. */
  public static final int MAX_ADDRS = 128;
  public static final int MAX_PROTOCOLS = 256;

  public IdentifyMessage {
    listenAddrs = List.copyOf(listenAddrs);
    protocols = List.copyOf(protocols);
  }

  public byte[] encode() {
    ProtoWriter w = new ProtoWriter(512);
    if (publicKey != null) {
      w.bytes(1, publicKey);
    }
    for (byte[] addr : listenAddrs) {
      w.bytes(2, addr);
    }
    for (String protocol : protocols) {
      w.string(3, protocol);
    }
    if (observedAddr != null) {
      w.bytes(4, observedAddr);
    }
    if (protocolVersion != null) {
      w.string(5, protocolVersion);
    }
    if (agentVersion != null) {
      w.string(6, agentVersion);
    }
    if (signedPeerRecord != null) {
      w.bytes(8, signedPeerRecord);
    }
    return w.toByteArray();
  }

  public static IdentifyMessage decode(byte[] bytes) {
    if (bytes.length > MAX_SIZE) {
      throw new IllegalArgumentException("identify message of " + bytes.length + " bytes exceeds " + MAX_SIZE);
    }
    String protocolVersion = null;
    String agentVersion = null;
    byte[] publicKey = null;
    List<byte[]> listenAddrs = new ArrayList<>();
    byte[] observedAddr = null;
    List<String> protocols = new ArrayList<>();
    byte[] signedPeerRecord = null;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> publicKey = r.bytes();
        case 2 -> {
          if (listenAddrs.size() == MAX_ADDRS) {
            throw new IllegalArgumentException("identify message lists more than " + MAX_ADDRS + " addresses");
          }
          listenAddrs.add(r.bytes());
        }
        case 3 -> {
          if (protocols.size() == MAX_PROTOCOLS) {
            throw new IllegalArgumentException("identify message lists more than " + MAX_PROTOCOLS + " protocols");
          }
          protocols.add(r.string());
        }
        case 4 -> observedAddr = r.bytes();
        case 5 -> protocolVersion = r.string();
        case 6 -> agentVersion = r.string();
        case 8 -> signedPeerRecord = r.bytes();
        default -> r.skip();
      }
    }
    return new IdentifyMessage(protocolVersion, agentVersion, publicKey, listenAddrs, observedAddr, protocols, signedPeerRecord);
  }
}
