package io.canopy.validator.compute;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.epoch.Beacon;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Compute verification of one epoch (spec/compute-verification.md): checks every job record a
 * gateway handed in, draws the sample from the beacon, re-runs the sampled jobs on this validator's
 * reference runtimes and signs a fraud proof for every re-run that disagrees with its receipt. One
 * bad record never stops the epoch: it is reported in {@link EpochResult#skipped} and the rest go
 * on. No networking here; the caller feeds records in and hands the result to settlement.
 */
public final class ComputeVerifier {
  private final ReExecutor executor;
  private final ReceiptSampler sampler;
  private final Ed25519PrivateKey validatorKey;

  public ComputeVerifier(ReExecutor executor, ReceiptSampler sampler, Ed25519PrivateKey validatorKey) {
    this.executor = Objects.requireNonNull(executor, "executor");
    this.sampler = Objects.requireNonNull(sampler, "sampler");
    this.validatorKey = Objects.requireNonNull(validatorKey, "validatorKey");
  }

  /** A record left out, and why. */
  public record Skipped(JobRecord record, VerificationFailure failure, String reason) {}

  /**
   * What verification found for epoch {@code epoch}.
   *
   * @param verified sampled records whose re-run agreed with the receipt
   * @param unsampled valid, checkable records the draw did not select (paid unchallenged, §6.5)
   * @param uncheckable valid records no re-run can settle (non-exact completions; paid at the operator's risk)
   * @param fraudProofs one per sampled record whose re-run disagreed, signed by this validator
   * @param skipped records rejected (§6.1), of another epoch, duplicated, or that this validator could not re-run
   */
  public record EpochResult(long epoch, List<JobRecord> verified, List<JobRecord> unsampled, List<JobRecord> uncheckable,
                            List<FraudProof> fraudProofs, List<Skipped> skipped) {
    public EpochResult {
      verified = List.copyOf(verified);
      unsampled = List.copyOf(unsampled);
      uncheckable = List.copyOf(uncheckable);
      fraudProofs = List.copyOf(fraudProofs);
      skipped = List.copyOf(skipped);
    }

    /** The nodes with a fraud proof this epoch: each forfeits all its rewards of the epoch (§6.5). */
    public Set<PeerId> fraudulentNodes() {
      Set<PeerId> nodes = new LinkedHashSet<>();
      fraudProofs.forEach(p -> nodes.add(p.node()));
      return nodes;
    }

    /** How many records were selected and re-run to a verdict (agreeing or not). */
    public int sampledAndChecked() {
      return verified.size() + fraudProofs.size();
    }
  }

  /**
   * Verifies the records of epoch {@code epoch} with {@code sampleBeacon} = {@code beacon(epoch + 1)}
   * (§6.2). Never throws for a bad record.
   */
  public EpochResult verify(long epoch, Beacon sampleBeacon, List<JobRecord> records) {
    List<JobRecord> verified = new ArrayList<>();
    List<JobRecord> unsampled = new ArrayList<>();
    List<JobRecord> uncheckable = new ArrayList<>();
    List<FraudProof> proofs = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (JobRecord record : records) {
      try {
        record.check();
        Receipt receipt = record.receipt();
        if (receipt.epoch() != epoch) {
          throw new VerificationException(VerificationFailure.WRONG_EPOCH,
              "receipt of " + receipt.jobId() + " is of epoch " + receipt.epoch() + ", not " + epoch);
        }
        // One record per (node, job id): the node signed one receipt per job, a second record could bill it twice.
        if (!seen.add(receipt.node() + "\u0000" + receipt.jobId())) {
          throw new VerificationException(VerificationFailure.DUPLICATE, "a second record of " + receipt.jobId() + " by " + receipt.node());
        }
        if (!record.checkable()) {
          uncheckable.add(record);
          continue;
        }
        if (!sampler.selects(sampleBeacon, receipt)) {
          unsampled.add(record);
          continue;
        }
        ReExecutor.ReRun rerun = executor.rerun(record.job());
        if (ReExecutor.agrees(record, rerun)) {
          verified.add(record);
        } else {
          proofs.add(FraudProof.sign(validatorKey, record, rerun.outputHash()));
        }
      } catch (VerificationException e) {
        skipped.add(new Skipped(record, e.failure(), e.getMessage()));
      } catch (RuntimeException e) {
        skipped.add(new Skipped(record, VerificationFailure.RERUN_FAILED, String.valueOf(e)));
      }
    }
    return new EpochResult(epoch, verified, unsampled, uncheckable, proofs, skipped);
  }

  /**
   * Checks someone's fraud proof by re-running its job (§6.4), in the spec's order: the record,
   * the validator's signature, that the receipt can be checked by a re-run, that this re-run
   * disagrees with the receipt, and that it gives the hash the proof names. Returns normally iff
   * the proof holds.
   *
   * @throws VerificationException with the reason it does not
   */
  public void confirm(FraudProof proof) {
    JobRecord record = proof.record();
    record.check();
    if (!proof.verifySignature()) {
      throw new VerificationException(VerificationFailure.BAD_FRAUD_SIGNATURE,
          "the signature of validator " + proof.validator() + " on the fraud proof does not verify");
    }
    if (!record.checkable()) {
      throw new VerificationException(VerificationFailure.NOT_CHECKABLE, record + " cannot be fraud-proven by a re-run");
    }
    ReExecutor.ReRun rerun = executor.rerun(record.job());
    if (ReExecutor.agrees(record, rerun)) {
      throw new VerificationException(VerificationFailure.RERUN_MATCHES,
          "a re-run of " + record.job().jobId() + " agrees with the receipt: a false accusation by " + proof.validator());
    }
    if (!MessageDigest.isEqual(rerun.outputHash(), proof.rerunOutputHash())) {
      throw new VerificationException(VerificationFailure.RERUN_DISAGREES,
          "a re-run of " + record.job().jobId() + " hashes to " + JobRecord.hex(rerun.outputHash()) + ", the proof names "
              + JobRecord.hex(proof.rerunOutputHash()));
    }
  }
}
