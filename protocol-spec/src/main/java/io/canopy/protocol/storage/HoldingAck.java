package io.canopy.protocol.storage;

import io.canopy.identity.DomainSignatures;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A storage node's signed statement that, at {@code timeMillis}, it holds (has verified and
 * pinned) the whole DAG of deal {@code dealId} under {@code root} (spec/storage.md §Holding).
 */
public record HoldingAck(String dealId, Cid root, PeerId node, long timeMillis, byte[] signature) {
  private static final byte[] SIGNING_DOMAIN = "canopy-holding-v1".getBytes(StandardCharsets.US_ASCII);
  public static final int SIGNATURE_LENGTH = 64;

  public HoldingAck {
    Objects.requireNonNull(dealId, "dealId");
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(signature, "signature");
  }

  public static HoldingAck sign(Ed25519PrivateKey nodeKey, String dealId, Cid root, long timeMillis) {
    byte[] unsigned = unsigned(dealId, root, nodeKey.peerId(), timeMillis);
    return new HoldingAck(dealId, root, nodeKey.peerId(), timeMillis, nodeKey.sign(DomainSignatures.withDomain(SIGNING_DOMAIN, unsigned)));
  }

  /** Whether the signature is {@link #node}'s over the other fields. */
  public boolean verify() {
    return DomainSignatures.verify(node, DomainSignatures.withDomain(SIGNING_DOMAIN, unsigned(dealId, root, node, timeMillis)), signature);
  }

  public byte[] encode() {
    return fields(dealId, root, node, timeMillis).bytes(5, signature).toByteArray();
  }

  public static HoldingAck decode(byte[] bytes) {
    String dealId = null;
    Cid root = null;
    PeerId node = null;
    long time = 0;
    byte[] signature = null;
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> dealId = r.string();
          case 2 -> root = Cid.fromBytes(r.bytes());
          case 3 -> node = PeerId.fromBytes(r.bytes());
          case 4 -> time = r.varint();
          case 5 -> signature = r.bytes();
          default -> r.skip();
        }
      }
    } catch (RuntimeException e) {
      throw StorageMessageException.malformed("holding acknowledgement", e);
    }
    if (dealId == null || root == null || node == null || signature == null) {
      throw new StorageMessageException("holding acknowledgement lacks a field");
    }
    return new HoldingAck(dealId, root, node, time, signature);
  }

  private static byte[] unsigned(String dealId, Cid root, PeerId node, long timeMillis) {
    return fields(dealId, root, node, timeMillis).toByteArray();
  }

  private static ProtoWriter fields(String dealId, Cid root, PeerId node, long timeMillis) {
    return new ProtoWriter().string(1, dealId).bytes(2, root.toBytes()).bytes(3, node.toBytes()).varint(4, timeMillis);
  }
}
