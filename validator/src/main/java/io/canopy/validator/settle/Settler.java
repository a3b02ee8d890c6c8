package io.canopy.validator.settle;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.Receipt;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.ledger.LedgerException;
import io.canopy.validator.ledger.LedgerTransaction;
import io.canopy.validator.ledger.StoredRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/**
 * The payout scheduler's write side (spec/settlement.md §7.7): settles one epoch at a time into
 * the {@link Ledger}, in one database transaction that holds its postings, balances and record.
 * Settling is idempotent (an epoch already settled gives back its record and posts nothing) and
 * ordered (epoch e needs e−1 settled; the first is 0). Inputs that do not check out — a receipt
 * or countersignature that does not verify, a receipt of another epoch, a duplicate — are refused
 * with the reason, before anything is posted.
 */
public final class Settler {
  private final Ledger ledger;
  private final String networkId;
  private final Prices prices;

  public Settler(Ledger ledger, String networkId, Prices prices) {
    this.ledger = ledger;
    this.networkId = networkId;
    this.prices = prices;
  }

  /**
   * Settles {@code epoch}, signed by {@code validatorKeys} (a majority of the inputs' validator
   * set; the fee is split among them), and returns its record; the existing record if the epoch
   * is already settled.
   */
  public SettlementRecord settle(long epoch, EpochInputs inputs, List<Ed25519PrivateKey> validatorKeys) {
    Optional<SettlementRecord> existing = ledger.record(epoch).map(r -> SettlementRecord.decode(r.encoded()));
    if (existing.isPresent()) {
      return existing.get();
    }
    List<Ed25519PrivateKey> keys = new ArrayList<>(validatorKeys);
    keys.sort(Comparator.comparing(k -> k.peerId().toString()));
    List<PeerId> signers = keys.stream().map(Ed25519PrivateKey::peerId).toList();
    checkSigners(signers, inputs);
    checkInputs(epoch, inputs);
    return commit(epoch, inputs, signers, unsigned -> unsigned.sign(keys), null);
  }

  /**
   * The unsigned record that settling {@code epoch} with {@code inputs} and {@code signers} would
   * produce now, without posting anything: what a validator asked to co-sign a record recomputes
   * and compares (the balances may still move before the record is adopted; {@link #adopt}
   * recomputes inside its transaction and refuses a record that no longer matches).
   */
  public SettlementRecord draft(long epoch, EpochInputs inputs, List<PeerId> signers) {
    checkSigners(signers, inputs);
    checkInputs(epoch, inputs);
    if (ledger.record(epoch).isPresent()) {
      throw new LedgerException("epoch " + epoch + " is already settled");
    }
    Optional<StoredRecord> last = ledger.lastRecord();
    long expected = last.map(r -> r.epoch() + 1).orElse(0L);
    if (epoch != expected) {
      throw new LedgerException("epoch " + epoch + " cannot be settled before epoch " + expected);
    }
    byte[] previous = last.map(StoredRecord::hash).orElse(SettlementRecord.GENESIS_PREVIOUS);
    RewardCalculator.Plan plan = RewardCalculator.calculate(inputs, prices, signers, ledger::balance);
    return SettlementRecord.unsigned(networkId, epoch, previous, inputs.digest(epoch, prices), plan, signers);
  }

  /**
   * Posts a record another validator produced, after recomputing it from {@code inputs}: refused
   * if its signatures, hash chain, inputs digest or payouts do not match.
   */
  public SettlementRecord adopt(SettlementRecord record, EpochInputs inputs) {
    if (!record.networkId().equals(networkId)) {
      throw new LedgerException("epoch " + record.epoch() + ": record of network '" + record.networkId() + "', not '" + networkId + "'");
    }
    Optional<String> bad = record.signatureProblem();
    if (bad.isPresent()) {
      throw new LedgerException("epoch " + record.epoch() + ": " + bad.get());
    }
    List<PeerId> sorted = new ArrayList<>(record.signers());
    sorted.sort(Comparator.comparing(PeerId::toString));
    if (!sorted.equals(record.signers())) {
      throw new LedgerException("epoch " + record.epoch() + ": signers are not in peer ID order");
    }
    checkSigners(record.signers(), inputs);
    checkInputs(record.epoch(), inputs);
    return commit(record.epoch(), inputs, record.signers(), unsigned -> unsigned.withSignatures(record.signatures()), record);
  }

  private SettlementRecord commit(long epoch, EpochInputs inputs, List<PeerId> signers, UnaryOperator<SettlementRecord> finish,
                                  SettlementRecord offered) {
    byte[] digest = inputs.digest(epoch, prices);
    if (offered != null && !Arrays.equals(digest, offered.inputsDigest())) {
      throw new LedgerException("epoch " + epoch + ": the record's inputs digest " + hex(offered.inputsDigest())
          + " is not that of these inputs, " + hex(digest));
    }
    return ledger.write(tx -> {
      Optional<StoredRecord> stored = tx.record(epoch);
      if (stored.isPresent()) {
        SettlementRecord existing = SettlementRecord.decode(stored.get().encoded());
        if (offered != null && !existing.equals(offered)) {
          throw new LedgerException("epoch " + epoch + " is already settled with another record (" + existing.hashHex() + ")");
        }
        return existing;
      }
      Optional<StoredRecord> last = tx.lastRecord();
      long expected = last.map(r -> r.epoch() + 1).orElse(0L);
      if (epoch != expected) {
        throw new LedgerException("epoch " + epoch + " cannot be settled before epoch " + expected
            + (last.isEmpty() ? " (the first epoch a ledger settles is 0)" : ""));
      }
      byte[] previous = last.map(StoredRecord::hash).orElse(SettlementRecord.GENESIS_PREVIOUS);
      if (offered != null && !Arrays.equals(previous, offered.previousHash())) {
        throw new LedgerException("epoch " + epoch + ": broken hash chain: previous_hash " + hex(offered.previousHash())
            + " but epoch " + (epoch - 1) + " hashes to " + hex(previous));
      }
      RewardCalculator.Plan plan = RewardCalculator.calculate(inputs, prices, signers, tx::balance);
      SettlementRecord record = finish.apply(SettlementRecord.unsigned(networkId, epoch, previous, digest, plan, signers));
      if (offered != null && !offered.sameBody(record)) {
        throw new LedgerException("epoch " + epoch + ": the record's payouts or totals differ from the recomputation from these inputs");
      }
      for (LedgerTransaction t : plan.transactions()) {
        tx.post(epoch, t);
      }
      tx.putRecord(new StoredRecord(epoch, record.encode(), record.hash()));
      return record;
    });
  }

  private static void checkSigners(List<PeerId> signers, EpochInputs inputs) {
    if (signers.isEmpty()) {
      throw new LedgerException("a settlement needs at least one validator signature");
    }
    if (new HashSet<>(signers).size() != signers.size()) {
      throw new LedgerException("a validator signs a settlement once");
    }
    for (PeerId s : signers) {
      if (!inputs.validators().contains(s)) {
        throw new LedgerException("validator " + s + " is not in the epoch's validator set");
      }
    }
    int quorum = inputs.validators().size() / 2 + 1;
    if (signers.size() < quorum) {
      throw new LedgerException(signers.size() + " validator signatures, fewer than the quorum of " + quorum + " of "
          + inputs.validators().size());
    }
  }

  /**
   * Refuses inputs that cannot be paid from: forged, of another epoch, or duplicated (§7.5). The
   * record of epoch e pays the storage of e and the jobs of e−1, whose sample is drawn from
   * beacon(e) and so can only be re-run once e−1 is settled (compute-verification.md §6.5).
   */
  static void checkInputs(long epoch, EpochInputs inputs) {
    Set<Object> replicas = new HashSet<>();
    for (EpochInputs.ReplicaResult r : inputs.replicas()) {
      if (!replicas.add(List.of(r.dealId(), r.node()))) {
        throw new LedgerException("epoch " + epoch + ": two results for deal " + r.dealId() + " on node " + r.node());
      }
    }
    List<CountersignedReceipt> receipts = inputs.receipts();
    Set<Object> jobs = new HashSet<>();
    for (CountersignedReceipt c : receipts) {
      Receipt r = c.receipt();
      if (r.epoch() != epoch - 1) {
        throw new LedgerException("epoch " + epoch + ": receipt " + r.jobId() + " of node " + r.node() + " is for epoch " + r.epoch()
            + " (the record of epoch e pays the jobs of epoch e-1)");
      }
      if (!jobs.add(List.of(r.jobId(), r.node()))) {
        throw new LedgerException("epoch " + epoch + ": receipt " + r.jobId() + " of node " + r.node() + " appears twice");
      }
      Accounts.payer(c);
    }
    OptionalInt forged = IntStream.range(0, receipts.size()).parallel().filter(i -> !receipts.get(i).verify()).min();
    if (forged.isPresent()) {
      CountersignedReceipt c = receipts.get(forged.getAsInt());
      String which = c.receipt().verify() ? "gateway " + c.gateway() + "'s countersignature" : "node signature";
      throw new LedgerException("epoch " + epoch + ": receipt " + c.receipt().jobId() + " of node " + c.receipt().node() + ": " + which
          + " does not verify");
    }
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
