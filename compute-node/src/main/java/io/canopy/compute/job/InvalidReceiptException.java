package io.canopy.compute.job;

/**
 * The node's receipt does not match the job and the bytes the client actually received (spec/compute.md
 * §3.6): a wrong signer, job, model, input, params or output hash, or a bad signature. The node is at fault.
 */
public final class InvalidReceiptException extends RuntimeException {
  public InvalidReceiptException(String message) {
    super(message);
  }
}
