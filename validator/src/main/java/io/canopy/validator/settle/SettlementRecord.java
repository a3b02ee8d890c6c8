package io.canopy.validator.settle;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.Ed25519PublicKey;
import io.canopy.identity.PeerId;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An epoch's settlement record (spec/settlement.md §7.6):
 *
 * <pre>
 * message SettlementRecord {
 *   string network_id = 1;   uint64 epoch = 2;   bytes previous_hash = 3;  bytes inputs_digest = 4;
 *   repeated Payout payouts = 5;                 // { string account = 1; uint64 amount = 2; }, by account
 *   bytes payouts_root = 6;  uint64 total_paid = 7;  uint64 total_fees = 8;
 *   uint64 unfunded = 9;     uint64 forfeited = 10;
 *   repeated bytes signers = 11;                 // validator peer IDs, by peer ID text
 *   repeated bytes signatures = 15;              // Ed25519, one per signer, in signer order
 * }
 * signed = "canopy-settlement-v1" ‖ fields 1–11      hash = SHA-256(fields 1–11 ‖ field 15)
 * </pre>
 */
public record SettlementRecord(String networkId, long epoch, byte[] previousHash, byte[] inputsDigest, List<Payout> payouts,
                               byte[] payoutsRoot, long totalPaid, long totalFees, long unfunded, long forfeited,
                               List<PeerId> signers, List<byte[]> signatures) {
  public static final String SIGNING_DOMAIN = "canopy-settlement-v1";
  private static final byte[] DOMAIN = SIGNING_DOMAIN.getBytes(StandardCharsets.US_ASCII);
  public static final int HASH_LENGTH = 32;
  /** previous_hash of the first epoch (0). */
  public static final byte[] GENESIS_PREVIOUS = new byte[HASH_LENGTH];

  public SettlementRecord {
    Objects.requireNonNull(networkId, "networkId");
    payouts = List.copyOf(payouts);
    signers = List.copyOf(signers);
    signatures = List.copyOf(signatures);
    if (epoch < 0 || previousHash.length != HASH_LENGTH || inputsDigest.length != HASH_LENGTH || payoutsRoot.length != HASH_LENGTH) {
      throw new IllegalArgumentException("settlement record epoch or hash lengths out of range");
    }
  }

  /** The record with the given signers and no signatures yet. */
  public static SettlementRecord unsigned(String networkId, long epoch, byte[] previousHash, byte[] inputsDigest,
                                          RewardCalculator.Plan plan, List<PeerId> signers) {
    return new SettlementRecord(networkId, epoch, previousHash, inputsDigest, plan.payouts(), Merkle.root(plan.payouts()),
        plan.totalPaid(), plan.totalFees(), plan.unfunded(), plan.forfeited(), signers, List.of());
  }

  /** Signs with every key, which must be the signers' in order. */
  public SettlementRecord sign(List<Ed25519PrivateKey> keys) {
    if (keys.size() != signers.size()) {
      throw new IllegalArgumentException(keys.size() + " keys for " + signers.size() + " signers");
    }
    byte[] signed = signedBytes();
    List<byte[]> sigs = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      if (!keys.get(i).peerId().equals(signers.get(i))) {
        throw new IllegalArgumentException("key " + i + " is not signer " + signers.get(i));
      }
      sigs.add(keys.get(i).sign(signed));
    }
    return withSignatures(sigs);
  }

  public SettlementRecord withSignatures(List<byte[]> sigs) {
    return new SettlementRecord(networkId, epoch, previousHash, inputsDigest, payouts, payoutsRoot, totalPaid, totalFees, unfunded,
        forfeited, signers, sigs);
  }

  /** Why the signatures do not hold, or empty when there is at least one and every signer's signature verifies. */
  public Optional<String> signatureProblem() {
    if (signers.isEmpty()) {
      return Optional.of("no validator signed");
    }
    if (signatures.size() != signers.size()) {
      return Optional.of(signatures.size() + " signatures for " + signers.size() + " signers");
    }
    byte[] signed = signedBytes();
    for (int i = 0; i < signers.size(); i++) {
      Optional<Ed25519PublicKey> key;
      try {
        key = signers.get(i).ed25519PublicKey();
      } catch (RuntimeException e) {
        key = Optional.empty();
      }
      if (key.isEmpty() || !key.get().verify(signed, signatures.get(i))) {
        return Optional.of("bad signature of validator " + signers.get(i));
      }
    }
    return Optional.empty();
  }

  public byte[] signedBytes() {
    byte[] fields = fields().toByteArray();
    byte[] out = Arrays.copyOf(DOMAIN, DOMAIN.length + fields.length);
    System.arraycopy(fields, 0, out, DOMAIN.length, fields.length);
    return out;
  }

  public byte[] encode() {
    ProtoWriter w = fields();
    for (byte[] s : signatures) {
      w.bytes(15, s);
    }
    return w.toByteArray();
  }

  /** SHA-256 of {@link #encode}: the next epoch's beacon is derived from it (spec/epochs.md §4.2). */
  public byte[] hash() {
    return Merkle.sha256().digest(encode());
  }

  public String hashHex() {
    return HexFormat.of().formatHex(hash());
  }

  private ProtoWriter fields() {
    ProtoWriter w = new ProtoWriter(256 + 64 * payouts.size())
        .string(1, networkId)
        .varint(2, epoch)
        .bytes(3, previousHash)
        .bytes(4, inputsDigest);
    for (Payout p : payouts) {
      w.message(5, new ProtoWriter(96).string(1, p.account()).varint(2, p.amount()));
    }
    w.bytes(6, payoutsRoot).varint(7, totalPaid).varint(8, totalFees).varint(9, unfunded).varint(10, forfeited);
    for (PeerId s : signers) {
      w.bytes(11, s.toBytes());
    }
    return w;
  }

  public static SettlementRecord decode(byte[] bytes) {
    String networkId = null;
    long epoch = 0;
    byte[] previous = null;
    byte[] digest = null;
    List<Payout> payouts = new ArrayList<>();
    byte[] root = null;
    long[] totals = new long[4];
    List<PeerId> signers = new ArrayList<>();
    List<byte[]> signatures = new ArrayList<>();
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> networkId = r.string();
          case 2 -> epoch = r.varint();
          case 3 -> previous = r.bytes();
          case 4 -> digest = r.bytes();
          case 5 -> payouts.add(payout(r.bytes()));
          case 6 -> root = r.bytes();
          case 7 -> totals[0] = r.varint();
          case 8 -> totals[1] = r.varint();
          case 9 -> totals[2] = r.varint();
          case 10 -> totals[3] = r.varint();
          case 11 -> signers.add(PeerId.fromBytes(r.bytes()));
          case 15 -> signatures.add(r.bytes());
          default -> throw new IllegalArgumentException("unknown field " + r.field());
        }
      }
      if (networkId == null || previous == null || digest == null || root == null) {
        throw new IllegalArgumentException("a field is missing");
      }
      return new SettlementRecord(networkId, epoch, previous, digest, payouts, root, totals[0], totals[1], totals[2], totals[3],
          signers, signatures);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed settlement record: " + e.getMessage(), e);
    }
  }

  private static Payout payout(byte[] bytes) {
    String account = null;
    long amount = 0;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> account = r.string();
        case 2 -> amount = r.varint();
        default -> r.skip();
      }
    }
    return new Payout(account, amount);
  }

  /** Same signed fields (everything but the signatures). */
  public boolean sameBody(SettlementRecord other) {
    return Arrays.equals(signedBytes(), other.signedBytes());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SettlementRecord r && Arrays.equals(encode(), r.encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  @Override
  public String toString() {
    return "SettlementRecord[" + networkId + " epoch " + epoch + ", " + payouts.size() + " payouts, paid " + totalPaid + ", fees "
        + totalFees + ", " + signers.size() + " signers, hash " + hashHex() + "]";
  }
}
