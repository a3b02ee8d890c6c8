package io.canopy.validator.compute;

import io.canopy.identity.PeerId;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.epoch.Beacon;
import io.canopy.protocol.epoch.Draw;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Which receipts of an epoch are re-run (spec/compute-verification.md §6.2): receipt (job id, node)
 * of epoch {@code e} is selected iff {@code Draw.chance(Draw.seed("canopy-sample-v1", beacon(e+1),
 * job_id, node), 0, p_ppm)}. {@code beacon(e+1)} exists only once epoch {@code e} is settled, so a
 * node cannot know while it runs a job whether that job will be checked.
 */
public final class ReceiptSampler {
  /** The draw domain (spec/epochs.md §4.3). */
  public static final String SAMPLE_DOMAIN = "canopy-sample-v1";
  /** 5 %: the default sampling probability, in parts per million. */
  public static final long DEFAULT_PPM = 50_000;
  public static final long ALL = 1_000_000;

  private final long ppm;

  /** @param ppm the sampling probability p, in parts per million (0..1 000 000) */
  public ReceiptSampler(long ppm) {
    if (ppm < 0 || ppm > ALL) {
      throw new IllegalArgumentException("p must be 0..1000000 ppm, got " + ppm);
    }
    this.ppm = ppm;
  }

  public static ReceiptSampler defaults() {
    return new ReceiptSampler(DEFAULT_PPM);
  }

  public long ppm() {
    return ppm;
  }

  /** Whether the job {@code jobId} run by {@code node} is selected under {@code beacon}. */
  public boolean selects(Beacon beacon, String jobId, PeerId node) {
    byte[] seed = Draw.seed(SAMPLE_DOMAIN, beacon, jobId.getBytes(StandardCharsets.UTF_8), node.toBytes());
    return Draw.chance(seed, 0, ppm);
  }

  public boolean selects(Beacon beacon, Receipt receipt) {
    return selects(beacon, receipt.jobId(), receipt.node());
  }

  /** The records of {@code records} that are selected, in their order. */
  public List<JobRecord> sample(Beacon beacon, List<JobRecord> records) {
    List<JobRecord> out = new ArrayList<>();
    for (JobRecord r : records) {
      if (selects(beacon, r.receipt())) {
        out.add(r);
      }
    }
    return out;
  }
}
