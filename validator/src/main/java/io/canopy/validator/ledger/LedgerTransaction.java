package io.canopy.validator.ledger;

import java.util.List;
import java.util.Objects;

/** A balanced set of entries to post together (spec/settlement.md §7.3): the amounts sum to zero. */
public record LedgerTransaction(String kind, String memo, List<Entry> entries) {
  /** {@code amount} micro-credits into {@code account}; negative takes them out. */
  public record Entry(String account, long amount) {
    public Entry {
      Accounts.check(account);
    }
  }

  public LedgerTransaction {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(memo, "memo");
    entries = List.copyOf(entries);
    if (entries.isEmpty()) {
      throw new LedgerException("a transaction needs entries");
    }
    long sum = 0;
    for (Entry e : entries) {
      sum = Math.addExact(sum, e.amount());
    }
    if (sum != 0) {
      throw new LedgerException("transaction " + kind + " " + memo + " does not balance: entries sum to " + sum);
    }
  }

  /** Moves {@code amount} from {@code from} to {@code to}. */
  public static LedgerTransaction transfer(String kind, String memo, String from, String to, long amount) {
    return new LedgerTransaction(kind, memo, List.of(new Entry(from, -amount), new Entry(to, amount)));
  }
}
