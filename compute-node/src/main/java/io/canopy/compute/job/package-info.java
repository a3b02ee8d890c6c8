/**
 * The job protocol {@code /canopy/compute/1.0.0} (protocol-spec/spec/compute.md): {@link
 * io.canopy.compute.job.InferenceRuntime} is what runs a model ({@link
 * io.canopy.compute.job.EmbeddingRuntime} over the ONNX embedder); {@link
 * io.canopy.compute.job.ComputeProvider} is the node side (admission, runs, signed receipts) with
 * its stream binding {@code ComputeProtocol}; {@link io.canopy.compute.job.ComputeClient} is the
 * caller side, which accepts output only with a receipt that matches what it received.
 */
package io.canopy.compute.job;
