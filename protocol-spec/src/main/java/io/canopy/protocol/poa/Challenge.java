package io.canopy.protocol.poa;

import io.canopy.identity.DomainSignatures;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A validator's storage challenge (spec/proofs.md §5.3): prove, for deal {@code dealId} held by
 * {@code node}, the bytes at {@code offsets} of the file under {@code root} before {@code
 * deadlineMillis}. Signed by {@code validator} over {@code "canopy-challenge-v1" ‖ fields 1–9}.
 */
public record Challenge(long epoch, String dealId, Cid root, PeerId node, long fileSize, long[] offsets, long issuedMillis,
                        long deadlineMillis, PeerId validator, byte[] signature) {
  public static final byte[] SIGNING_DOMAIN = "canopy-challenge-v1".getBytes(StandardCharsets.US_ASCII);
  public static final int MAX_DEAL_ID_LENGTH = 128;
  /** A challenge with 64 offsets is under 1.5 KiB encoded. */
  public static final int MAX_SIZE = 4 * 1024;

  public Challenge {
    Objects.requireNonNull(dealId, "dealId");
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(offsets, "offsets");
    Objects.requireNonNull(validator, "validator");
    Objects.requireNonNull(signature, "signature");
    offsets = offsets.clone();
    if (epoch < 0) {
      throw new PoaMessageException("epoch must not be negative: " + epoch);
    }
    if (dealId.isEmpty() || dealId.length() > MAX_DEAL_ID_LENGTH) {
      throw new PoaMessageException("deal id must be 1.." + MAX_DEAL_ID_LENGTH + " characters");
    }
    if (fileSize < 0) {
      throw new PoaMessageException("file size must not be negative: " + fileSize);
    }
    if (offsets.length > ChallengeDerivation.MAX_DRAWS) {
      throw new PoaMessageException("at most " + ChallengeDerivation.MAX_DRAWS + " offsets, got " + offsets.length);
    }
    for (long o : offsets) {
      if (o < 0 || o >= fileSize) {
        throw new PoaMessageException("offset " + o + " is outside the file of " + fileSize + " bytes");
      }
    }
    if (issuedMillis < 0 || deadlineMillis <= issuedMillis) {
      throw new PoaMessageException("the deadline must come after the issue time");
    }
  }

  /** Signs a challenge as {@code validatorKey}'s peer. */
  public static Challenge sign(Ed25519PrivateKey validatorKey, long epoch, String dealId, Cid root, PeerId node, long fileSize,
                               long[] offsets, long issuedMillis, long deadlineMillis) {
    Challenge unsigned = new Challenge(epoch, dealId, root, node, fileSize, offsets, issuedMillis, deadlineMillis,
        validatorKey.peerId(), new byte[0]);
    byte[] signature = validatorKey.sign(unsigned.signedBytes());
    return new Challenge(epoch, dealId, root, node, fileSize, offsets, issuedMillis, deadlineMillis, validatorKey.peerId(), signature);
  }

  /** {@code "canopy-challenge-v1" ‖ fields 1–9 encoded}: what the validator signs. */
  public byte[] signedBytes() {
    return DomainSignatures.withDomain(SIGNING_DOMAIN, fields().toByteArray());
  }

  /** Whether the signature is {@link #validator}'s (Ed25519, inline key) over the other fields. */
  public boolean verify() {
    return DomainSignatures.verify(validator, signedBytes(), signature);
  }

  @Override
  public long[] offsets() {
    return offsets.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  public int draws() {
    return offsets.length;
  }

  public byte[] encode() {
    return fields().bytes(10, signature).toByteArray();
  }

  private ProtoWriter fields() {
    ProtoWriter w = new ProtoWriter()
        .varint(1, epoch)
        .string(2, dealId)
        .bytes(3, root.toBytes())
        .bytes(4, node.toBytes())
        .varint(5, fileSize);
    for (long o : offsets) {
      w.varint(6, o);
    }
    return w.varint(7, issuedMillis).varint(8, deadlineMillis).bytes(9, validator.toBytes());
  }

  public static Challenge decode(byte[] bytes) {
    if (bytes.length > MAX_SIZE) {
      throw new PoaMessageException("challenge of " + bytes.length + " bytes exceeds " + MAX_SIZE);
    }
    long epoch = 0;
    String dealId = null;
    Cid root = null;
    PeerId node = null;
    long fileSize = 0;
    long[] offsets = new long[ChallengeDerivation.MAX_DRAWS];
    int k = 0;
    long issued = 0;
    long deadline = 0;
    PeerId validator = null;
    byte[] signature = null;
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> epoch = r.varint();
          case 2 -> dealId = r.string();
          case 3 -> root = Cid.fromBytes(r.bytes());
          case 4 -> node = PeerId.fromBytes(r.bytes());
          case 5 -> fileSize = r.varint();
          case 6 -> {
            if (k == offsets.length) {
              throw new PoaMessageException("at most " + ChallengeDerivation.MAX_DRAWS + " offsets");
            }
            offsets[k++] = r.varint();
          }
          case 7 -> issued = r.varint();
          case 8 -> deadline = r.varint();
          case 9 -> validator = PeerId.fromBytes(r.bytes());
          case 10 -> signature = r.bytes();
          default -> r.skip();
        }
      }
      if (dealId == null || root == null || node == null || validator == null || signature == null) {
        throw new PoaMessageException("challenge lacks its deal id, root, node, validator or signature");
      }
      return new Challenge(epoch, dealId, root, node, fileSize, Arrays.copyOf(offsets, k), issued, deadline, validator, signature);
    } catch (RuntimeException e) {
      throw PoaMessageException.malformed("challenge", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Challenge c && Arrays.equals(encode(), c.encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  @Override
  public String toString() {
    return "Challenge[epoch=" + epoch + ", deal=" + dealId + ", root=" + root + ", node=" + node + ", k=" + offsets.length
        + ", issued=" + issuedMillis + ", deadline=" + deadlineMillis + ", validator=" + validator + ", sig="
        + HexFormat.of().formatHex(signature, 0, Math.min(8, signature.length)) + "…]";
  }
}
