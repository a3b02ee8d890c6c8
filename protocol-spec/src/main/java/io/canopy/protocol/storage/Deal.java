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
 * A storage deal (spec/storage.md §Deal): {@code owner} pays for {@code replicas} copies of the
 * DAG under {@code root}, {@code size} bytes of blocks, from {@code startMillis} to {@code
 * endMillis}. The owner signs the encoded deal so a node can show what it agreed to hold.
 */
public record Deal(String id, PeerId owner, Cid root, long size, int replicas, long startMillis, long endMillis, long price) {
  public static final int MAX_ID_LENGTH = 128;
  public static final int MAX_REPLICAS = 64;
  private static final byte[] SIGNING_DOMAIN = "canopy-deal-v1".getBytes(StandardCharsets.US_ASCII);

  public Deal {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(root, "root");
    if (id.isEmpty() || id.length() > MAX_ID_LENGTH) {
      throw new StorageMessageException("deal id must be 1.." + MAX_ID_LENGTH + " characters");
    }
    if (size < 0) {
      throw new StorageMessageException("deal size must not be negative: " + size);
    }
    if (replicas < 1 || replicas > MAX_REPLICAS) {
      throw new StorageMessageException("replicas must be 1.." + MAX_REPLICAS + ", got " + replicas);
    }
    if (endMillis <= startMillis) {
      throw new StorageMessageException("deal must end after it starts");
    }
    if (price < 0) {
      throw new StorageMessageException("price must not be negative: " + price);
    }
  }

  public boolean isExpired(long nowMillis) {
    return nowMillis >= endMillis;
  }

  public byte[] encode() {
    return new ProtoWriter()
        .string(1, id)
        .bytes(2, owner.toBytes())
        .bytes(3, root.toBytes())
        .varint(4, size)
        .varint(5, replicas)
        .varint(6, startMillis)
        .varint(7, endMillis)
        .varint(8, price)
        .toByteArray();
  }

  public static Deal decode(byte[] bytes) {
    String id = null;
    PeerId owner = null;
    Cid root = null;
    long size = 0;
    long start = 0;
    long end = 0;
    long price = 0;
    int replicas = 0;
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> id = r.string();
          case 2 -> owner = PeerId.fromBytes(r.bytes());
          case 3 -> root = Cid.fromBytes(r.bytes());
          case 4 -> size = r.varint();
          case 5 -> replicas = replicas(r.varint());
          case 6 -> start = r.varint();
          case 7 -> end = r.varint();
          case 8 -> price = r.varint();
          default -> r.skip();
        }
      }
    } catch (RuntimeException e) {
      throw StorageMessageException.malformed("deal", e);
    }
    if (id == null || owner == null || root == null) {
      throw new StorageMessageException("deal lacks its id, owner or root");
    }
    return new Deal(id, owner, root, size, replicas, start, end, price);
  }

  /** A uint64 replica count as an int, refusing one no int holds (a long cast would wrap 2^63+5 to 5). */
  private static int replicas(long uint64) {
    if (uint64 < 0 || uint64 > MAX_REPLICAS) {
      throw new StorageMessageException("replicas must be 1.." + MAX_REPLICAS + ", got " + Long.toUnsignedString(uint64));
    }
    return (int) uint64;
  }

  /** The owner's signature over the encoded deal. */
  public byte[] sign(Ed25519PrivateKey ownerKey) {
    if (!ownerKey.peerId().equals(owner)) {
      throw new IllegalArgumentException("only the owner " + owner + " signs its deal");
    }
    return ownerKey.sign(DomainSignatures.withDomain(SIGNING_DOMAIN, encode()));
  }

  /** Whether {@code signature} is the owner's over this deal (owners have Ed25519 peer IDs). */
  public boolean verify(byte[] signature) {
    return DomainSignatures.verify(owner, DomainSignatures.withDomain(SIGNING_DOMAIN, encode()), signature);
  }
}
