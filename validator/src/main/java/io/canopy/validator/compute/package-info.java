/**
 * Compute verification (protocol-spec/spec/compute-verification.md): job records handed in by
 * gateways ({@link io.canopy.validator.compute.JobRecord}), the beacon-drawn sample ({@link
 * io.canopy.validator.compute.ReceiptSampler}), re-execution on the validator's own bit-exact
 * runtimes ({@link io.canopy.validator.compute.ReExecutor}), signed fraud proofs ({@link
 * io.canopy.validator.compute.FraudProof}) and the per-epoch run ({@link
 * io.canopy.validator.compute.ComputeVerifier}). No networking here.
 */
package io.canopy.validator.compute;
