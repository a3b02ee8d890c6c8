package io.canopy.validator.compute;

import io.canopy.compute.job.ReceiptLog;
import io.canopy.protocol.compute.ComputeMessageException;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Task;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.ledger.LedgerException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What a gateway hands a validator for one job (spec/compute-verification.md §6.1): the
 * countersigned receipt and the job it is for (input and params, which the receipt only names by
 * hash), plus, for a non-exact embedding receipt only, the output the gateway delivered, so the
 * validator can compare vectors within a tolerance.
 *
 * <p>The constructor only checks for nulls; {@link #check} (or {@link #accept}) checks that the
 * parts belong together and both signatures hold, and every record is checked before use.
 *
 * <p>On the wire ({@code /canopy/jobs/1.0.0}, §6.8) a record is encoded as the gateway logs it, a
 * {@link ReceiptLog.Entry}: {@code {1: countersigned receipt, 2: job request, 3: output, absent when
 * not kept}}.
 *
 * @param output the delivered output, or {@code null} when not kept (always for exact receipts)
 */
public record JobRecord(CountersignedReceipt countersigned, JobRequest job, byte[] output) {
  /** Largest encoding accepted: the largest input and kept output, plus the receipt and envelope. */
  public static final int MAX_SIZE = ReceiptLog.MAX_RECORD;

  public JobRecord {
    Objects.requireNonNull(countersigned, "countersigned");
    Objects.requireNonNull(job, "job");
  }

  public JobRecord(CountersignedReceipt countersigned, JobRequest job) {
    this(countersigned, job, null);
  }

  /** A record that passed {@link #check}; {@link VerificationException} with the reason otherwise. */
  public static JobRecord accept(CountersignedReceipt countersigned, JobRequest job, byte[] output) {
    JobRecord record = new JobRecord(countersigned, job, output);
    record.check();
    return record;
  }

  public static JobRecord accept(CountersignedReceipt countersigned, JobRequest job) {
    return accept(countersigned, job, null);
  }

  public Receipt receipt() {
    return countersigned.receipt();
  }

  /** The record as the gateway's log keeps it and {@code /canopy/jobs/1.0.0} carries it. */
  public byte[] encode() {
    return new ReceiptLog.Entry(countersigned, job, output).encode();
  }

  /**
   * Decodes a record of at most {@link #MAX_SIZE} bytes without checking it (a validator still
   * calls {@link #check}).
   *
   * @throws VerificationException {@code MALFORMED} with the reason for bytes that are not a record
   */
  public static JobRecord decode(byte[] bytes) {
    try {
      ReceiptLog.Entry entry = ReceiptLog.Entry.decode(bytes);
      return new JobRecord(entry.countersigned(), entry.job(), entry.output());
    } catch (ComputeMessageException e) {
      throw new VerificationException(VerificationFailure.MALFORMED, "job record does not decode: " + e.getMessage(), e);
    }
  }

  /**
   * Checks §6.1: job id and model are the receipt's, SHA-256 of the input and of the params
   * encoding are the receipt's hashes, a kept output hashes to {@code output_hash}, and the node's
   * and the gateway's signatures verify; the account it is billed to is one the ledger can name.
   * Cheap checks first, signatures last.
   */
  public void check() {
    Receipt r = receipt();
    if (!r.jobId().equals(job.jobId())) {
      throw new VerificationException(VerificationFailure.JOB_MISMATCH,
          "job id " + job.jobId() + " is not the receipt's " + r.jobId());
    }
    if (!r.model().equals(job.model())) {
      throw new VerificationException(VerificationFailure.JOB_MISMATCH,
          "job " + job.jobId() + ": model " + job.model() + " is not the receipt's " + r.model());
    }
    byte[] inputHash = Receipt.sha256(job.input());
    if (!MessageDigest.isEqual(inputHash, r.inputHash())) {
      throw new VerificationException(VerificationFailure.INPUT_HASH_MISMATCH,
          "job " + job.jobId() + ": input hashes to " + hex(inputHash) + ", the receipt names " + hex(r.inputHash()));
    }
    byte[] paramsHash = Receipt.sha256(job.params().encode());
    if (!MessageDigest.isEqual(paramsHash, r.paramsHash())) {
      throw new VerificationException(VerificationFailure.PARAMS_HASH_MISMATCH,
          "job " + job.jobId() + ": params hash to " + hex(paramsHash) + ", the receipt names " + hex(r.paramsHash()));
    }
    if (output != null && !MessageDigest.isEqual(Receipt.sha256(output), r.outputHash())) {
      throw new VerificationException(VerificationFailure.OUTPUT_HASH_MISMATCH,
          "job " + job.jobId() + ": the kept output does not hash to the receipt's output_hash");
    }
    try {
      Accounts.payer(countersigned);
    } catch (LedgerException e) {
      // A countersigned account no ledger account can name would fail the whole epoch's settlement.
      throw new VerificationException(VerificationFailure.MALFORMED, "job " + job.jobId() + ": " + e.getMessage());
    }
    if (!r.verify()) {
      throw new VerificationException(VerificationFailure.BAD_RECEIPT_SIGNATURE,
          "job " + job.jobId() + ": the node's signature on the receipt does not verify");
    }
    // Only the gateway's signature: CountersignedReceipt.verify() would check the node's a second time.
    if (!gatewaySignatureHolds()) {
      throw new VerificationException(VerificationFailure.BAD_COUNTERSIGNATURE,
          "job " + job.jobId() + ": the countersignature of " + countersigned.gateway() + " does not verify");
    }
  }

  private boolean gatewaySignatureHolds() {
    try {
      return countersigned.gateway().ed25519PublicKey()
          .map(key -> key.verify(countersigned.signedBytes(), countersigned.signature()))
          .orElse(false);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether a re-run can settle this receipt (§6.3): an exact receipt always; a non-exact embedding
   * receipt when its output was kept; a non-exact completion or chat never.
   */
  public boolean checkable() {
    if (receipt().exact()) {
      return true;
    }
    return job.task() == Task.EMBEDDING && output != null;
  }

  static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof JobRecord r && countersigned.equals(r.countersigned) && Arrays.equals(job.encode(), r.job.encode())
        && Arrays.equals(output, r.output);
  }

  @Override
  public int hashCode() {
    return Objects.hash(countersigned, Arrays.hashCode(job.encode()), Arrays.hashCode(output));
  }

  @Override
  public String toString() {
    return "JobRecord[" + job.jobId() + " by " + receipt().node() + ", epoch " + receipt().epoch()
        + (output != null ? ", output kept" : "") + "]";
  }
}
