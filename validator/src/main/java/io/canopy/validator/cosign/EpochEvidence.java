package io.canopy.validator.cosign;

import io.canopy.identity.PeerId;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.Verdict;
import io.canopy.protocol.storage.Deal;
import io.canopy.validator.compute.FraudProof;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.poa.Quorum;
import io.canopy.validator.settle.EpochInputs;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the record of one epoch is computed from (spec/settlement.md §7.9), as the validator that
 * settles it hands it to the others: the deals the storage nodes reported holding, every
 * validator's signed verdicts, the countersigned receipts of the jobs of e−1, the fraud proofs on
 * them, and the validator set. {@link #inputs} turns it into {@link EpochInputs} by rules every
 * validator applies alike, so validators holding the same evidence compute the same record, and
 * evidence that does not hold up (a forged verdict, a deal its owner did not sign, a fraud proof
 * by an outsider) is refused with the reason.
 */
public record EpochEvidence(long epoch, List<ReportedDeal> deals, List<Verdict> verdicts, List<CountersignedReceipt> receipts,
                            List<FraudProof> fraudProofs, List<PeerId> validators) {
  /** The most an encoding may take; the co-signing protocol's frame limit follows from it. */
  public static final int MAX_SIZE = 64 * 1024 * 1024;

  /** A deal {@code node} reported holding, with its owner's signature over it (spec/storage.md §2.1). */
  public record ReportedDeal(PeerId node, Deal deal, byte[] ownerSignature) {
    public ReportedDeal {
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(deal, "deal");
      Objects.requireNonNull(ownerSignature, "ownerSignature");
    }

    byte[] encode() {
      return new ProtoWriter(256).bytes(1, node.toBytes()).bytes(2, deal.encode()).bytes(3, ownerSignature).toByteArray();
    }

    static ReportedDeal decode(byte[] bytes) {
      ProtoReader r = new ProtoReader(bytes);
      PeerId node = null;
      Deal deal = null;
      byte[] sig = null;
      while (r.next()) {
        switch (r.field()) {
          case 1 -> node = PeerId.fromBytes(r.bytes());
          case 2 -> deal = Deal.decode(r.bytes());
          case 3 -> sig = r.bytes();
          default -> r.skip();
        }
      }
      if (node == null || deal == null || sig == null) {
        throw new IllegalArgumentException("a reported deal needs its node, deal and owner signature");
      }
      return new ReportedDeal(node, deal, sig);
    }
  }

  public EpochEvidence {
    deals = List.copyOf(deals);
    verdicts = List.copyOf(verdicts);
    receipts = List.copyOf(receipts);
    fraudProofs = List.copyOf(fraudProofs);
    validators = List.copyOf(validators);
  }

  /** The account that pays for a deal: the owner's escrow, {@code user:<owner peer ID>} (§7.4). */
  public static String ownerAccount(Deal deal) {
    return Accounts.user(deal.owner().toString());
  }

  /**
   * The settlement inputs (§7.9): one replica result per reported (deal, node) — PASS, FAIL or
   * UNDECIDED by the quorum of the verdicts on it, UNDECIDED without any — with at most the deal's
   * {@code replicas} PASSes paid (the first by node peer ID: a node cannot bill an owner for a
   * copy nobody asked for); the receipts as given (the settler checks them); the nodes of the
   * fraud proofs.
   *
   * @throws IllegalArgumentException with the reason, for evidence that does not hold up
   */
  public EpochInputs inputs(EpochClock clock) {
    Set<PeerId> set = new LinkedHashSet<>(validators);
    if (set.isEmpty() || set.size() != validators.size()) {
      throw new IllegalArgumentException("the validator set is empty or names a validator twice");
    }
    Map<String, List<Verdict>> byReplica = new HashMap<>();
    for (Verdict v : verdicts) {
      if (v.epoch() != epoch) {
        throw new IllegalArgumentException("a verdict of epoch " + v.epoch() + " in the evidence of epoch " + epoch);
      }
      if (!set.contains(v.validator()) || !v.verify()) {
        throw new IllegalArgumentException("verdict on " + v.dealId() + " at " + v.node() + " by " + v.validator()
            + ": not signed by a validator of the set");
      }
      byReplica.computeIfAbsent(replicaKey(v.dealId(), v.node()), k -> new ArrayList<>()).add(v);
    }
    Quorum quorum = Quorum.majority(set);
    long start;
    long end;
    try {
      start = clock.startMillis(epoch);
      end = clock.endMillis(epoch);
    } catch (ArithmeticException e) { // an epoch from the wire so far ahead its time overflows
      throw new IllegalArgumentException("epoch " + epoch + " is beyond the network's clock", e);
    }
    Set<String> reported = new HashSet<>();
    List<EpochInputs.ReplicaResult> results = new ArrayList<>();
    for (ReportedDeal r : deals) {
      Deal d = r.deal();
      String key = replicaKey(d.id(), r.node());
      if (!reported.add(key)) {
        throw new IllegalArgumentException("deal " + d.id() + " is reported twice by " + r.node());
      }
      if (!d.verify(r.ownerSignature())) {
        throw new IllegalArgumentException("deal " + d.id() + " reported by " + r.node() + ": the owner's signature does not verify");
      }
      if (d.startMillis() >= end || d.endMillis() <= start) {
        throw new IllegalArgumentException("deal " + d.id() + " reported by " + r.node() + " does not run in epoch " + epoch);
      }
      List<Verdict> on = byReplica.getOrDefault(key, List.of());
      EpochInputs.Outcome outcome = on.isEmpty() ? EpochInputs.Outcome.UNDECIDED
          : EpochInputs.Outcome.valueOf(quorum.decide(epoch, d.id(), r.node(), on).outcome().name());
      results.add(new EpochInputs.ReplicaResult(d.id(), ownerAccount(d), r.node(), d.size(), d.price(), outcome));
    }
    for (String key : byReplica.keySet()) {
      if (!reported.contains(key)) {
        throw new IllegalArgumentException("a verdict on a replica no node reported (" + key.replace('\u0000', ' ') + ")");
      }
    }
    Set<PeerId> fraud = new HashSet<>();
    for (FraudProof p : fraudProofs) {
      if (p.epoch() != epoch - 1) {
        throw new IllegalArgumentException("a fraud proof on a job of epoch " + p.epoch() + "; the record of " + epoch
            + " pays the jobs of " + (epoch - 1));
      }
      if (!set.contains(p.validator()) || !p.verifySignature()) {
        throw new IllegalArgumentException("fraud proof on " + p.node() + ": not signed by a validator of the set");
      }
      fraud.add(p.node());
    }
    return new EpochInputs(capPasses(results), receipts, fraud, set);
  }

  /** Keeps at most {@code replicas} PASS results per deal (same owner, id and root), the first by node peer ID text. */
  private List<EpochInputs.ReplicaResult> capPasses(List<EpochInputs.ReplicaResult> results) {
    Map<String, Integer> allowed = new HashMap<>();
    Map<String, Deal> dealOf = new HashMap<>();
    for (ReportedDeal r : deals) {
      dealOf.put(replicaKey(r.deal().id(), r.node()), r.deal());
    }
    List<EpochInputs.ReplicaResult> sorted = new ArrayList<>(results);
    sorted.sort(Comparator.comparing((EpochInputs.ReplicaResult x) -> x.node().toString()));
    List<EpochInputs.ReplicaResult> kept = new ArrayList<>();
    for (EpochInputs.ReplicaResult x : sorted) {
      Deal d = dealOf.get(replicaKey(x.dealId(), x.node()));
      String dealKey = d.owner() + "\u0000" + d.id() + "\u0000" + d.root();
      if (x.outcome() == EpochInputs.Outcome.PASS) {
        int left = allowed.getOrDefault(dealKey, d.replicas());
        if (left == 0) {
          continue;
        }
        allowed.put(dealKey, left - 1);
      }
      kept.add(x);
    }
    return kept;
  }

  private static String replicaKey(String dealId, PeerId node) {
    return dealId + "\u0000" + node;
  }

  public byte[] encode() {
    ProtoWriter w = new ProtoWriter(4096).varint(1, epoch);
    deals.forEach(d -> w.bytes(2, d.encode()));
    verdicts.forEach(v -> w.bytes(3, v.encode()));
    receipts.forEach(c -> w.bytes(4, c.encode()));
    fraudProofs.forEach(p -> w.bytes(5, p.encode()));
    validators.forEach(v -> w.bytes(6, v.toBytes()));
    return w.toByteArray();
  }

  /** @throws IllegalArgumentException with the reason, for bytes that are not evidence */
  public static EpochEvidence decode(byte[] bytes) {
    if (bytes.length > MAX_SIZE) {
      throw new IllegalArgumentException("evidence of " + bytes.length + " bytes is over " + MAX_SIZE);
    }
    try {
      ProtoReader r = new ProtoReader(bytes);
      long epoch = -1;
      List<ReportedDeal> deals = new ArrayList<>();
      List<Verdict> verdicts = new ArrayList<>();
      List<CountersignedReceipt> receipts = new ArrayList<>();
      List<FraudProof> proofs = new ArrayList<>();
      List<PeerId> validators = new ArrayList<>();
      while (r.next()) {
        switch (r.field()) {
          case 1 -> epoch = r.varint();
          case 2 -> deals.add(ReportedDeal.decode(r.bytes()));
          case 3 -> verdicts.add(Verdict.decode(r.bytes()));
          case 4 -> receipts.add(CountersignedReceipt.decode(r.bytes()));
          case 5 -> proofs.add(FraudProof.decode(r.bytes()));
          case 6 -> validators.add(PeerId.fromBytes(r.bytes()));
          default -> r.skip();
        }
      }
      if (epoch < 0) {
        throw new IllegalArgumentException("no epoch");
      }
      return new EpochEvidence(epoch, deals, verdicts, receipts, proofs, validators);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed evidence: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed evidence: " + e, e);
    }
  }
}
