package io.canopy.compute.job;

import io.canopy.protocol.compute.Receipt;

/** A finished job: every output byte received, in order, and the node's receipt, verified against them. */
public record JobResult(byte[] output, Receipt receipt) {}
