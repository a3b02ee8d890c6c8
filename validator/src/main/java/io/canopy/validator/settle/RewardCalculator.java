package io.canopy.validator.settle;

import io.canopy.identity.PeerId;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.Receipt;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.ledger.LedgerTransaction;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The reward formulas of spec/settlement.md §7.4–7.5, with no I/O: inputs, prices, the signing
 * validators and the payers' balances before the epoch in; the epoch's ledger transactions and
 * payouts out. Anyone holding the same inputs can recompute a settlement with this class alone.
 */
public final class RewardCalculator {
  /** 2^30 bytes: prices are per GiB-epoch. */
  public static final long GIB = 1L << 30;

  /** The payers' balances before the epoch is settled. */
  @FunctionalInterface
  public interface Balances {
    long balance(String account);
  }

  /**
   * An epoch's settlement, computed.
   *
   * @param transactions the ledger transactions, in posting order
   * @param payouts every account whose postings in the epoch sum to more than zero, with that sum, by account
   * @param totalPaid the sum of payouts (equal to what the payers were charged)
   * @param totalFees validator fees taken from payouts, before they are split
   * @param unfunded rewards owed that the payers' balances could not cover (not paid)
   * @param forfeited rewards not paid because the node had a fraud proof in the epoch
   */
  public record Plan(List<LedgerTransaction> transactions, List<Payout> payouts, long totalPaid, long totalFees, long unfunded,
                     long forfeited) {}

  private RewardCalculator() {}

  /** floor(price × sizeBytes / 2^30) (§7.4). */
  public static long storageReward(long pricePerGiBEpoch, long sizeBytes) {
    return mulDiv(pricePerGiBEpoch, sizeBytes, GIB);
  }

  /** floor(price × totalTokens / 1000) (§7.4). */
  public static long computeReward(long pricePerKiloTokens, long totalTokens) {
    return mulDiv(pricePerKiloTokens, totalTokens, 1000);
  }

  /** floor(feeBps × paid / 10000) (§7.4). */
  public static long fee(int feeBps, long paid) {
    return mulDiv(feeBps, paid, Prices.MAX_BPS);
  }

  /** floor(a × b / d), exact for any non-negative a, b; fails if the result exceeds a long. */
  static long mulDiv(long a, long b, long d) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    if (hi == 0 && lo >= 0) {
      return lo / d;
    }
    BigInteger q = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b)).divide(BigInteger.valueOf(d));
    if (q.bitLength() > 63) {
      throw new ArithmeticException("reward " + a + " × " + b + " / " + d + " overflows 63 bits");
    }
    return q.longValue();
  }

  /**
   * Settles {@code inputs} of {@code epoch}: PASSed replicas and receipts in canonical order, each
   * paid by its payer up to the payer's remaining balance (the rest is unfunded), minus the fee;
   * nothing for a node in the fraud set; then the fees split equally among {@code signers}, the
   * remainder staying with {@code network}. Inputs must already be checked ({@link Settler}).
   */
  public static Plan calculate(EpochInputs inputs, Prices prices, List<PeerId> signers, Balances opening) {
    if (signers.isEmpty()) {
      throw new IllegalArgumentException("a settlement needs at least one signing validator");
    }
    Map<String, Long> spent = new HashMap<>();
    Map<PeerId, String> peerText = new HashMap<>(); // base58 once per node, not once per item
    List<LedgerTransaction> txs = new ArrayList<>();
    long[] totals = new long[3]; // fees, unfunded, forfeited
    for (EpochInputs.ReplicaResult r : inputs.replicas()) {
      if (r.outcome() != EpochInputs.Outcome.PASS) {
        continue;
      }
      long owed = storageReward(r.pricePerGiBEpoch(), r.dealSizeBytes());
      pay(txs, spent, totals, opening, inputs, prices, "storage", r.dealId(), r.ownerAccount(), r.node(), peerText, owed);
    }
    for (CountersignedReceipt c : inputs.receipts()) {
      Receipt receipt = c.receipt();
      long owed = computeReward(prices.perKiloTokens(receipt.model().toString()), receipt.usage().totalTokens());
      pay(txs, spent, totals, opening, inputs, prices, "compute", receipt.jobId(), Accounts.payer(c), receipt.node(), peerText,
          owed);
    }
    long fees = totals[0];
    long share = fees / signers.size();
    if (share > 0) {
      List<LedgerTransaction.Entry> entries = new ArrayList<>();
      entries.add(new LedgerTransaction.Entry(Accounts.NETWORK, -share * signers.size()));
      for (PeerId v : signers) {
        entries.add(new LedgerTransaction.Entry(Accounts.validator(v), share));
      }
      txs.add(new LedgerTransaction("fee", "", entries));
    }
    List<Payout> payouts = payouts(txs);
    long paid = 0;
    for (Payout p : payouts) {
      paid = Math.addExact(paid, p.amount());
    }
    return new Plan(List.copyOf(txs), payouts, paid, fees, totals[1], totals[2]);
  }

  private static void pay(List<LedgerTransaction> txs, Map<String, Long> spent, long[] totals, Balances opening, EpochInputs inputs,
                          Prices prices, String kind, String id, String payer, PeerId node, Map<PeerId, String> peerText, long owed) {
    if (owed == 0) {
      return;
    }
    if (inputs.fraudNodes().contains(node)) {
      totals[2] = Math.addExact(totals[2], owed);
      return;
    }
    long alreadySpent = spent.getOrDefault(payer, 0L);
    long available = Math.max(0, opening.balance(payer) - alreadySpent);
    long paid = Math.min(owed, available);
    totals[1] = Math.addExact(totals[1], owed - paid);
    if (paid == 0) {
      return;
    }
    spent.put(payer, alreadySpent + paid);
    long fee = fee(prices.feeBps(), paid);
    String nodeText = peerText.computeIfAbsent(node, PeerId::toString);
    String memo = id + " " + nodeText;
    totals[0] = Math.addExact(totals[0], fee);
    List<LedgerTransaction.Entry> entries = new ArrayList<>(3);
    entries.add(new LedgerTransaction.Entry(payer, -paid));
    entries.add(new LedgerTransaction.Entry(Accounts.OPERATOR_PREFIX + nodeText, paid - fee));
    if (fee > 0) {
      entries.add(new LedgerTransaction.Entry(Accounts.NETWORK, fee));
    }
    txs.add(new LedgerTransaction(kind, memo, entries));
  }

  /** Every account whose entries in {@code txs} sum to more than zero, with the sum, by account (§7.6). */
  public static List<Payout> payouts(List<LedgerTransaction> txs) {
    Map<String, Long> net = new TreeMap<>();
    for (LedgerTransaction t : txs) {
      for (LedgerTransaction.Entry e : t.entries()) {
        net.merge(e.account(), e.amount(), Math::addExact);
      }
    }
    return positive(net);
  }

  static List<Payout> positive(Map<String, Long> net) {
    List<Payout> out = new ArrayList<>();
    new TreeMap<>(net).forEach((account, amount) -> {
      if (amount > 0) {
        out.add(new Payout(account, amount));
      }
    });
    return out;
  }
}
