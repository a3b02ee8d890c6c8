package io.canopy.validator.ledger;

/**
 * One entry of a ledger transaction: {@code amount} micro-credits into {@code account} (negative:
 * out of it). The entries of one {@code tx} sum to zero.
 *
 * @param seq position in the ledger, from 1, dense
 * @param tx the transaction the entry belongs to
 * @param epoch the settled epoch the transaction belongs to, or {@code -1} for a deposit or withdrawal
 * @param kind {@code deposit}, {@code withdrawal}, {@code storage}, {@code compute} or {@code fee}
 * @param memo what the transaction pays for (a deal id and node, a job id), or empty
 */
public record Posting(long seq, long tx, long epoch, String kind, String memo, String account, long amount) {
  public static final long NO_EPOCH = -1;
}
