package io.canopy.protocol.poa;

import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import io.canopy.protocol.storage.Deal;
import java.util.Arrays;
import java.util.Objects;

/**
 * One deal a storage node reports holding (spec/proofs.md §5.6): the deal as the owner signed it,
 * the owner's signature (so a validator can check that the owner agreed to pay {@code price} per
 * GiB-epoch) and the UnixFS file size of the root, the range of the challenge draws (§5.2.1).
 * <pre>
 * message HeldDeal { bytes deal = 1 (Deal, spec/storage.md §2.1); bytes owner_signature = 2; uint64 file_size = 3; }
 * </pre>
 */
public record HeldDeal(Deal deal, byte[] ownerSignature, long fileSize) {
  /** Ed25519 signatures are 64 bytes; anything much longer is not one. */
  public static final int MAX_SIGNATURE_LENGTH = 256;

  public HeldDeal {
    Objects.requireNonNull(deal, "deal");
    Objects.requireNonNull(ownerSignature, "ownerSignature");
    ownerSignature = ownerSignature.clone();
    if (ownerSignature.length > MAX_SIGNATURE_LENGTH) {
      throw new PoaMessageException("owner signature of " + ownerSignature.length + " bytes, at most " + MAX_SIGNATURE_LENGTH);
    }
    if (fileSize < 0) {
      throw new PoaMessageException("file size must not be negative: " + Long.toUnsignedString(fileSize));
    }
  }

  @Override
  public byte[] ownerSignature() {
    return ownerSignature.clone();
  }

  /** Whether the owner's signature verifies over the deal (spec/storage.md §2.1). */
  public boolean verify() {
    try {
      return deal.verify(ownerSignature);
    } catch (RuntimeException e) {
      return false; // a malformed signature or key verifies nothing
    }
  }

  public String dealId() {
    return deal.id();
  }

  public byte[] encode() {
    return new ProtoWriter().bytes(1, deal.encode()).bytes(2, ownerSignature).varint(3, fileSize).toByteArray();
  }

  public static HeldDeal decode(byte[] bytes) {
    byte[] deal = null;
    byte[] signature = null;
    long fileSize = 0;
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> deal = r.bytes();
          case 2 -> signature = r.bytes();
          case 3 -> fileSize = r.varint();
          default -> r.skip();
        }
      }
      if (deal == null || signature == null) {
        throw new PoaMessageException("held deal lacks its deal or owner signature");
      }
      return new HeldDeal(Deal.decode(deal), signature, fileSize);
    } catch (RuntimeException e) {
      throw PoaMessageException.malformed("held deal", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HeldDeal h && deal.equals(h.deal) && Arrays.equals(ownerSignature, h.ownerSignature) && fileSize == h.fileSize;
  }

  @Override
  public int hashCode() {
    return Objects.hash(deal, Arrays.hashCode(ownerSignature), fileSize);
  }

  @Override
  public String toString() {
    return "HeldDeal[" + deal.id() + ", root " + deal.root() + ", file size " + fileSize + "]";
  }
}
