package io.canopy.validator.records;

import io.canopy.identity.PeerId;
import io.canopy.validator.settle.Payout;
import io.canopy.validator.settle.SettlementRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * The settled epochs a node believes, with no networking in it: a record is kept only if it is of
 * this network, every signature verifies ({@link SettlementRecord#signatureProblem()}), every
 * signer is in the configured validator set, the signers are a majority of it (as a record is
 * settled, §7.9), and it chains with the records already kept (its {@code previous_hash} is the
 * kept record before it, its hash the one the kept record after it names). Only a summary of each
 * is kept, with the payouts to the accounts this node watches (its own), and only the last {@code
 * kept} epochs: memory does not grow with the network's size or age.
 */
public final class SettledRecords {
  /** One settled epoch as a node shows it: the record's totals, its signers and what it paid the watched accounts. */
  public record SettledEpoch(long epoch, byte[] hash, byte[] previousHash, long totalPaid, long totalFees, long forfeited,
                             long unfunded, int payoutCount, List<PeerId> signers, Map<String, Long> watched) {
    public SettledEpoch {
      signers = List.copyOf(signers);
      watched = Map.copyOf(watched);
    }

    public String hashHex() {
      return HexFormat.of().formatHex(hash);
    }
  }

  private final String networkId;
  private final Set<PeerId> validators;
  private final Set<String> watchedAccounts;
  private final int kept;
  private final TreeMap<Long, SettledEpoch> epochs = new TreeMap<>();

  /**
   * @param validators the configured validator set (non-empty)
   * @param watchedAccounts the accounts whose payouts are kept per epoch (e.g. {@code operator:<this node>})
   * @param kept how many of the latest epochs are kept
   */
  public SettledRecords(String networkId, Set<PeerId> validators, Set<String> watchedAccounts, int kept) {
    this.networkId = Objects.requireNonNull(networkId, "networkId");
    this.validators = Set.copyOf(validators);
    this.watchedAccounts = Set.copyOf(watchedAccounts);
    if (this.validators.isEmpty()) {
      throw new IllegalArgumentException("no validator set: no record can be checked");
    }
    if (kept < 1) {
      throw new IllegalArgumentException("kept must be positive");
    }
    this.kept = kept;
  }

  /** Keeps {@code record} if it holds; otherwise says why it is not believed (and keeps nothing of it). */
  public synchronized Optional<String> offer(SettlementRecord record) {
    Optional<String> problem = problem(record);
    if (problem.isPresent()) {
      return problem;
    }
    if (epochs.containsKey(record.epoch())) {
      return Optional.empty(); // the same record again (problem() refused a different one)
    }
    if (!epochs.isEmpty() && epochs.size() >= kept && record.epoch() < epochs.firstKey()) {
      return Optional.empty(); // older than everything kept: not worth keeping
    }
    Map<String, Long> watched = new LinkedHashMap<>();
    for (Payout p : record.payouts()) {
      if (watchedAccounts.contains(p.account())) {
        watched.merge(p.account(), p.amount(), Long::sum);
      }
    }
    epochs.put(record.epoch(), new SettledEpoch(record.epoch(), record.hash(), record.previousHash(), record.totalPaid(),
        record.totalFees(), record.forfeited(), record.unfunded(), record.payouts().size(), record.signers(), watched));
    while (epochs.size() > kept) {
      epochs.pollFirstEntry();
    }
    return Optional.empty();
  }

  private Optional<String> problem(SettlementRecord record) {
    if (!record.networkId().equals(networkId)) {
      return Optional.of("record of epoch " + record.epoch() + " is of network '" + record.networkId() + "', not '" + networkId + "'");
    }
    for (PeerId signer : record.signers()) {
      if (!validators.contains(signer)) {
        return Optional.of("record of epoch " + record.epoch() + " is signed by " + signer + ", not in the validator set");
      }
    }
    if (Set.copyOf(record.signers()).size() != record.signers().size()) {
      return Optional.of("record of epoch " + record.epoch() + " names a signer twice");
    }
    int quorum = validators.size() / 2 + 1;
    if (record.signers().size() < quorum) {
      return Optional.of("record of epoch " + record.epoch() + " has " + record.signers().size() + " signers; settling takes "
          + quorum + " of " + validators.size());
    }
    Optional<String> signatures = record.signatureProblem();
    if (signatures.isPresent()) {
      return Optional.of("record of epoch " + record.epoch() + ": " + signatures.get());
    }
    byte[] hash = record.hash();
    SettledEpoch same = epochs.get(record.epoch());
    if (same != null && !Arrays.equals(same.hash(), hash)) {
      return Optional.of("record of epoch " + record.epoch() + " differs from the one already believed (" + same.hashHex() + ")");
    }
    SettledEpoch before = epochs.get(record.epoch() - 1);
    if (before != null && !Arrays.equals(before.hash(), record.previousHash())) {
      return Optional.of("record of epoch " + record.epoch() + " does not chain to the record of epoch " + before.epoch());
    }
    if (record.epoch() == 0 && !Arrays.equals(record.previousHash(), SettlementRecord.GENESIS_PREVIOUS)) {
      return Optional.of("record of epoch 0 does not start the chain");
    }
    SettledEpoch after = epochs.get(record.epoch() + 1);
    if (after != null && !Arrays.equals(after.previousHash(), hash)) {
      return Optional.of("record of epoch " + record.epoch() + " is not the one the record of epoch " + after.epoch() + " follows");
    }
    return Optional.empty();
  }

  /** The last {@code n} kept epochs, ascending. */
  public synchronized List<SettledEpoch> recent(int n) {
    List<SettledEpoch> all = new ArrayList<>(epochs.values());
    return List.copyOf(all.subList(Math.max(0, all.size() - n), all.size()));
  }

  public synchronized OptionalLong lastEpoch() {
    return epochs.isEmpty() ? OptionalLong.empty() : OptionalLong.of(epochs.lastKey());
  }

  public int kept() {
    return kept;
  }
}
