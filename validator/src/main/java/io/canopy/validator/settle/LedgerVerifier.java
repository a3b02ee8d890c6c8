package io.canopy.validator.settle;

import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.ledger.Posting;
import io.canopy.validator.ledger.StoredRecord;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Checks a ledger from its postings up (spec/settlement.md §7.8): every transaction balances, no
 * account but {@code external} ever goes below zero, each settlement record hashes to what is
 * stored, chains to its predecessor, carries valid signatures and a Merkle root and payouts that
 * the epoch's postings reproduce, and every balance row equals the sum of its account's postings.
 * Reports the first inconsistency: the one of the lowest epoch ({@link Posting#NO_EPOCH} for
 * deposits and withdrawals comes first) among the records and postings; only if those hold, a
 * balance row that disagrees with its postings, named by the last epoch that posted to the account.
 */
public final class LedgerVerifier {
  /** The outcome: {@code ok}, or the first bad epoch and why. */
  public record Result(boolean ok, long epoch, String reason) {
    static final Result OK = new Result(true, Posting.NO_EPOCH, "");

    @Override
    public String toString() {
      return ok ? "OK" : (epoch == Posting.NO_EPOCH ? "deposits/withdrawals" : "epoch " + epoch) + ": " + reason;
    }
  }

  private LedgerVerifier() {}

  public static Result verify(Ledger ledger) {
    TreeMap<Long, String> problems = new TreeMap<>();
    Map<Long, Map<String, Long>> net = new HashMap<>();
    Map<Long, Long> feeCredits = new HashMap<>();
    Map<String, Long> balances = new HashMap<>();
    Map<String, Long> lastEpoch = new HashMap<>();
    long[] current = {-1, 0, Posting.NO_EPOCH}; // tx id, running sum, its epoch
    List<String> txAccounts = new java.util.ArrayList<>();
    Runnable closeTx = () -> {
      if (current[0] < 0) {
        return;
      }
      if (current[1] != 0) {
        problems.putIfAbsent(current[2], "transaction " + current[0] + " does not balance: its entries sum to " + current[1]);
      }
      for (String a : txAccounts) {
        long b = balances.getOrDefault(a, 0L);
        if (b < 0 && !a.equals(Accounts.EXTERNAL)) {
          problems.putIfAbsent(current[2], "transaction " + current[0] + " takes " + a + " below zero (" + b + ")");
        }
      }
      txAccounts.clear();
    };
    ledger.forEachPosting(p -> {
      if (p.tx() != current[0]) {
        closeTx.run();
        current[0] = p.tx();
        current[1] = 0;
        current[2] = p.epoch();
      } else if (p.epoch() != current[2]) {
        problems.putIfAbsent(Math.min(p.epoch(), current[2]), "transaction " + p.tx() + " spans epochs " + current[2] + " and " + p.epoch());
      }
      current[1] += p.amount();
      txAccounts.add(p.account());
      balances.merge(p.account(), p.amount(), Long::sum);
      lastEpoch.merge(p.account(), p.epoch(), Math::max);
      if (p.epoch() != Posting.NO_EPOCH) {
        net.computeIfAbsent(p.epoch(), e -> new TreeMap<>()).merge(p.account(), p.amount(), Long::sum);
        if (p.account().equals(Accounts.NETWORK) && p.amount() > 0 && !p.kind().equals("fee")) {
          feeCredits.merge(p.epoch(), p.amount(), Long::sum);
        }
      }
    });
    closeTx.run();

    List<StoredRecord> records = ledger.records();
    byte[] previous = SettlementRecord.GENESIS_PREVIOUS;
    String networkId = null;
    long expected = 0;
    for (StoredRecord stored : records) {
      long e = stored.epoch();
      Optional<String> problem = Optional.empty();
      if (e != expected) {
        problem = Optional.of("settled without epoch " + expected + " before it");
      }
      SettlementRecord record = null;
      if (problem.isEmpty()) {
        try {
          record = SettlementRecord.decode(stored.encoded());
        } catch (IllegalArgumentException ex) {
          problem = Optional.of(ex.getMessage());
        }
      }
      if (problem.isEmpty()) {
        problem = check(record, stored, previous, networkId, net.getOrDefault(e, Map.of()), feeCredits.getOrDefault(e, 0L));
        networkId = record.networkId();
      }
      problem.ifPresent(p -> problems.putIfAbsent(e, p));
      previous = stored.hash();
      expected = e + 1;
    }
    for (Long e : net.keySet()) {
      if (records.stream().noneMatch(r -> r.epoch() == e)) {
        problems.putIfAbsent(e, "postings but no settlement record");
      }
    }

    if (!problems.isEmpty()) {
      Map.Entry<Long, String> first = problems.firstEntry();
      return new Result(false, first.getKey(), first.getValue());
    }
    // The balance rows last: a posting edited or moved also makes rows disagree, and the posting is the cause.
    Map<String, Long> rows = ledger.balances();
    TreeMap<String, Long> all = new TreeMap<>(balances);
    rows.keySet().forEach(a -> all.putIfAbsent(a, 0L));
    for (Map.Entry<String, Long> a : all.entrySet()) {
      long row = rows.getOrDefault(a.getKey(), 0L);
      if (row != a.getValue()) {
        problems.putIfAbsent(lastEpoch.getOrDefault(a.getKey(), Posting.NO_EPOCH),
            "balance of " + a.getKey() + " is " + row + " but its postings sum to " + a.getValue());
      }
    }
    long total = balances.values().stream().mapToLong(Long::longValue).sum();
    if (total != 0 && problems.isEmpty()) {
      problems.put(Posting.NO_EPOCH, "balances sum to " + total + ", not 0");
    }
    if (problems.isEmpty()) {
      return Result.OK;
    }
    Map.Entry<Long, String> first = problems.firstEntry();
    return new Result(false, first.getKey(), first.getValue());
  }

  private static Optional<String> check(SettlementRecord record, StoredRecord stored, byte[] previous, String networkId,
                                        Map<String, Long> net, long feeCredits) {
    HexFormat hex = HexFormat.of();
    if (!Arrays.equals(Merkle.sha256().digest(stored.encoded()), stored.hash())) {
      return Optional.of("record does not hash to its stored hash " + hex.formatHex(stored.hash()));
    }
    if (record.epoch() != stored.epoch()) {
      return Optional.of("record says epoch " + record.epoch());
    }
    if (networkId != null && !networkId.equals(record.networkId())) {
      return Optional.of("record of network '" + record.networkId() + "', not '" + networkId + "'");
    }
    if (!Arrays.equals(previous, record.previousHash())) {
      return Optional.of("broken hash chain: previous_hash " + hex.formatHex(record.previousHash()) + ", expected "
          + hex.formatHex(previous));
    }
    Optional<String> sig = record.signatureProblem();
    if (sig.isPresent()) {
      return sig;
    }
    List<Payout> payouts = record.payouts();
    for (int i = 1; i < payouts.size(); i++) {
      if (payouts.get(i - 1).account().compareTo(payouts.get(i).account()) >= 0) {
        return Optional.of("payouts not in account order at " + payouts.get(i).account());
      }
    }
    if (!Arrays.equals(Merkle.root(payouts), record.payoutsRoot())) {
      return Optional.of("payouts_root does not match the record's payouts");
    }
    List<Payout> fromPostings = RewardCalculator.positive(net);
    if (!fromPostings.equals(payouts)) {
      return Optional.of("payouts_root " + hex.formatHex(record.payoutsRoot()) + " is not the root of the epoch's postings ("
          + hex.formatHex(Merkle.root(fromPostings)) + ")");
    }
    long paid = 0;
    long charged = 0;
    for (long v : net.values()) {
      if (v > 0) {
        paid += v;
      } else {
        charged -= v;
      }
    }
    if (paid != record.totalPaid() || charged != record.totalPaid()) {
      return Optional.of("total_paid " + record.totalPaid() + " but postings pay " + paid + " and charge " + charged);
    }
    if (feeCredits != record.totalFees()) {
      return Optional.of("total_fees " + record.totalFees() + " but postings take " + feeCredits + " in fees");
    }
    return Optional.empty();
  }
}
