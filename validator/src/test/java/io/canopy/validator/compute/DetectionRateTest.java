package io.canopy.validator.compute;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.PeerId;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.epoch.Beacon;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The detection maths of spec/compute-verification.md §6.6, measured with the real {@link
 * ReceiptSampler}: a node that cheats on each of its {@code n} jobs with probability {@code c} is
 * caught in an epoch (at least one cheated job sampled) with probability {@code 1-(1-p·c)^n}. No
 * engine is needed: which jobs were cheated is known, and a cheated job that is sampled always
 * yields a fraud proof (CheatingNodeTest).
 */
class DetectionRateTest {
  private static final int TRIALS = 2000;

  /** A fresh beacon per simulated epoch, derived from a seed (as if from a settlement hash). */
  private static Beacon beacon(long seed, int trial) {
    return Beacon.afterSettlement(Receipt.sha256(ByteBuffer.allocate(12).putLong(seed).putInt(trial).array()));
  }

  /** Fraction of {@link #TRIALS} epochs in which a cheater is caught. */
  private static double measuredCatchRate(long ppm, double c, int n, long seed) {
    ReceiptSampler sampler = new ReceiptSampler(ppm);
    PeerId node = ComputeFixture.key((int) seed).peerId();
    java.util.Random cheats = new java.util.Random(seed);
    int caught = 0;
    for (int t = 0; t < TRIALS; t++) {
      Beacon beacon = beacon(seed, t);
      boolean hit = false;
      for (int i = 0; i < n; i++) {
        boolean cheated = cheats.nextDouble() < c;
        // Draw every job (not only cheated ones): the sampler cannot tell them apart, and this keeps the draws honest.
        boolean sampled = sampler.selects(beacon, "epoch-" + t + "-job-" + i, node);
        hit |= cheated && sampled;
      }
      if (hit) {
        caught++;
      }
    }
    return (double) caught / TRIALS;
  }

  private static void assertWithinFourSigma(long ppm, double c, int n, long seed) {
    double p = ppm / 1_000_000.0;
    double predicted = 1 - Math.pow(1 - p * c, n);
    double sigma = Math.sqrt(predicted * (1 - predicted) / TRIALS);
    double measured = measuredCatchRate(ppm, c, n, seed);
    assertThat(measured)
        .as("p=%s c=%s n=%d: predicted %.4f ± %.4f (4σ)", p, c, n, predicted, 4 * sigma)
        .isBetween(predicted - 4 * sigma - 1e-9, predicted + 4 * sigma + 1e-9);
  }

  @Test
  void fivePercentSampleTenPercentCheatingHundredJobs() {
    assertWithinFourSigma(50_000, 0.10, 100, 1); // ≈ 0.394
  }

  @Test
  void fivePercentSampleOnePercentCheatingThousandJobs() {
    assertWithinFourSigma(50_000, 0.01, 1000, 2); // ≈ 0.394
  }

  @Test
  void fivePercentSampleOnePercentCheatingHundredJobs() {
    assertWithinFourSigma(50_000, 0.01, 100, 3); // ≈ 0.049
  }

  @Test
  void twentyPercentSampleTenPercentCheatingFiftyJobs() {
    assertWithinFourSigma(200_000, 0.10, 50, 4); // ≈ 0.636
  }

  @Test
  void theSampledFractionIsP() {
    ReceiptSampler sampler = ReceiptSampler.defaults();
    PeerId node = ComputeFixture.key(9).peerId();
    int n = 40_000;
    int sampled = 0;
    for (int i = 0; i < n; i++) {
      if (sampler.selects(beacon(9, i / 1000), "job-" + i, node)) {
        sampled++;
      }
    }
    double p = 0.05;
    double sigma = Math.sqrt(p * (1 - p) / n);
    assertThat((double) sampled / n).isBetween(p - 4 * sigma, p + 4 * sigma);
  }
}
