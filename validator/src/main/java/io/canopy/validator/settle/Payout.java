package io.canopy.validator.settle;

import io.canopy.validator.ledger.Accounts;

/** What one account received in a settled epoch (spec/settlement.md §7.6): micro-credits, > 0. */
public record Payout(String account, long amount) {
  public Payout {
    Accounts.check(account);
    if (amount <= 0) {
      throw new IllegalArgumentException("a payout is positive, not " + amount + " for " + account);
    }
  }
}
