package io.canopy.validator.compute;

/**
 * Why a job record, a re-run or a fraud proof was not accepted (spec/compute-verification.md):
 * the one error table of compute verification. Each case says whose fault it is.
 */
public enum VerificationFailure {
  /** The job's input does not hash to the receipt's {@code input_hash} (the gateway's record is wrong). */
  INPUT_HASH_MISMATCH,
  /** The job's params do not hash to the receipt's {@code params_hash}. */
  PARAMS_HASH_MISMATCH,
  /** The job's id or model is not the receipt's. */
  JOB_MISMATCH,
  /** The node's signature on the receipt does not verify. */
  BAD_RECEIPT_SIGNATURE,
  /** The gateway's countersignature does not verify. */
  BAD_COUNTERSIGNATURE,
  /** The delivered output kept with the record does not hash to the receipt's {@code output_hash}. */
  OUTPUT_HASH_MISMATCH,
  /** The receipt belongs to another epoch than the one being verified. */
  WRONG_EPOCH,
  /** A second record for a (node, job id) already seen this epoch. */
  DUPLICATE,
  /** The receipt cannot be checked by a re-run: a non-exact completion, or a non-exact embedding without its output. */
  NOT_CHECKABLE,
  /** This validator holds no bit-exact runtime for the job's model and task; another validator may re-run it. */
  NO_RUNTIME,
  /** The reference runtime refused or failed the job; not the node's fault as far as this validator can prove. */
  RERUN_FAILED,
  /** A fraud proof's validator signature does not verify. */
  BAD_FRAUD_SIGNATURE,
  /** A fraud proof whose re-run matches the receipt: a false accusation. */
  RERUN_MATCHES,
  /** A fraud proof whose re-run hash is not what the checker's own re-run gives. */
  RERUN_DISAGREES,
  /** Bytes that do not decode as the message they claim to be. */
  MALFORMED
}
