package io.canopy.validator.poa;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.Challenge;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.Verdict;
import io.canopy.storage.poa.PoaProver;
import io.canopy.testing.MutableClock;
import io.canopy.validator.poa.PoaFixtures.Dag;
import io.canopy.validator.poa.PoaFixtures.Leaf;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * spec/proofs.md §5.9: a replica missing a fraction f of the file's bytes passes one challenge of k
 * uniform draws with probability (1−f)^k. Measured over seeded beacons through the whole path
 * (derivation, prover on the node's blockstore, verifier, verdict), the catch rate must lie within
 * four binomial standard deviations of 1−(1−f)^k.
 */
class DetectionSimulationTest {
  private static final int TRIALS = 2_000;
  private static final int K = 20;
  private static final int LEAVES = 1_000;
  private static final int LEAF_SIZE = 1_000;
  private static final Ed25519PrivateKey VALIDATOR = key(1);
  private static final Ed25519PrivateKey NODE = key(2); // fixed keys: the node's peer ID is part of every draw
  private final MutableClock clock = new MutableClock(Instant.ofEpochMilli(3 * 3_600_000L + 10));
  private final StorageChallenger challenger = new StorageChallenger(null, VALIDATOR, clock, new StorageChallenger.Config(K,
      io.canopy.protocol.poa.DeadlineRule.DEFAULT));

  @Test
  void catchRateMatchesOneMinusOneMinusFToTheK() throws Exception {
    for (double f : new double[] {0.05, 0.1, 0.3}) {
      Dag dag = PoaFixtures.file((long) LEAVES * LEAF_SIZE, LEAF_SIZE, 40);
      List<Leaf> leaves = new ArrayList<>(PoaFixtures.leaves(dag.store(), dag.root()));
      assertThat(leaves).hasSize(LEAVES);
      Collections.shuffle(leaves, new Random(41));
      int deleted = (int) Math.round(f * LEAVES);
      for (Leaf l : leaves.subList(0, deleted)) {
        dag.store().delete(l.cid());
      }
      double missing = (double) deleted * LEAF_SIZE / dag.fileSize(); // every leaf holds LEAF_SIZE bytes
      int caught = run(dag, 1_000 * (long) (f * 100), TRIALS);
      double p = 1 - Math.pow(1 - missing, K);
      double sigma = Math.sqrt(p * (1 - p) / TRIALS);
      double rate = (double) caught / TRIALS;
      System.out.printf("f=%.2f k=%d trials=%d caught=%.4f predicted=%.4f (4σ=%.4f)%n", missing, K, TRIALS, rate, p, 4 * sigma);
      assertThat(Math.abs(rate - p)).as("f=%s: measured %s, predicted %s", missing, rate, p).isLessThanOrEqualTo(4 * sigma);
    }
  }

  @Test
  void aNodeThatDeletedEverythingFailsEveryTrialAndAnHonestOneNone() throws Exception {
    Dag honest = PoaFixtures.file((long) LEAVES * LEAF_SIZE, LEAF_SIZE, 42);
    assertThat(run(honest, 7, 500)).isZero();
    for (Leaf l : PoaFixtures.leaves(honest.store(), honest.root())) {
      honest.store().delete(l.cid());
    }
    assertThat(run(honest, 8, 500)).isEqualTo(500);
  }

  private static Ed25519PrivateKey key(int b) {
    byte[] seed = new byte[32];
    java.util.Arrays.fill(seed, (byte) b);
    return Ed25519PrivateKey.fromSeed(seed);
  }

  /** Trials with beacons drawn from {@code seed}; the number of non-PASS verdicts. */
  private int run(Dag dag, long seed, int trials) {
    PoaProver prover = new PoaProver(NODE.peerId(), dag.store(), id -> Optional.of(dag.root()), new EpochClock(0, 3_600_000), clock,
        p -> true);
    StorageChallenger.Target target = new StorageChallenger.Target("deal-sim", dag.root(), dag.fileSize(), dag.dagSize());
    int caught = 0;
    for (int t = 0; t < trials; t++) {
      Challenge c = challenger.issue(NODE.peerId(), 3, PoaFixtures.beacon(seed * 1_000_003 + t), target);
      byte[] reply = prover.answer(VALIDATOR.peerId(), PoaCodec.encode(new PoaMessage.ChallengeRequest(c)));
      Verdict v = challenger.judge(c, reply, clock.millis());
      if (v.result() != Verdict.Result.PASS) {
        assertThat(v.reason()).contains("MISSING_BLOCK");
        caught++;
      }
    }
    return caught;
  }
}
