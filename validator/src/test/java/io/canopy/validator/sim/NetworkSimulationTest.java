package io.canopy.validator.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.canopy.validator.poa.Quorum;
import io.canopy.validator.sim.NetworkSimulation.EpochReport;
import io.canopy.validator.sim.NetworkSimulation.Result;
import io.canopy.validator.sim.NetworkSimulation.StorageStats;
import io.canopy.validator.sim.NetworkSimulation.Totals;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link NetworkSimulation} at a small scale (300 nodes, 30 epochs): the invariants the benchmark's
 * figures rest on. Every file is 10 MiB = 40 full leaves, so a cheater's deleted byte share is
 * exactly f for f = 0.1 and the nominal rate of spec/proofs.md §5.9 applies; deposits are small so
 * that payers run dry and the unfunded path is exercised.
 */
class NetworkSimulationTest {
  private static final byte PASS = (byte) Quorum.Outcome.PASS.ordinal();
  private static final byte FAIL = (byte) Quorum.Outcome.FAIL.ordinal();
  private static Result result;

  @BeforeAll
  static void run() {
    result = new NetworkSimulation(new NetworkSimulation.Config().nodes(300).epochs(30).seed(7).fileBytes(10L << 20, 10L << 20)
        .cheaters(0.2, 0.3).deposit(3_000_000)).run();
  }

  @Test
  void honestOnlineReplicasNeverFailAndOfflineOnesAlwaysDo() {
    assertThat(result.honestFalseFailures()).isZero();
    long offline = 0;
    for (EpochReport e : result.epochs()) {
      for (int r = 0; r < result.replicas(); r++) {
        if (e.offline()[result.replicaNode(r)]) {
          assertThat(e.outcomes()[r]).as("epoch %d replica %d: offline, TIMEOUT from every validator", e.epoch(), r).isEqualTo(FAIL);
          offline++;
        } else if (result.deletedFraction(r) == 0) {
          assertThat(e.outcomes()[r]).isEqualTo(PASS);
        }
      }
    }
    assertThat(offline).isPositive();
  }

  @Test
  void aReplicaThatDeletedEverythingFailsEveryEpochItIsChallenged() {
    int cheaters = 0;
    for (int r = 0; r < result.replicas(); r++) {
      if (result.deletedFraction(r) != 1.0) {
        continue;
      }
      cheaters++;
      for (EpochReport e : result.epochs()) {
        assertThat(e.outcomes()[r]).as("epoch %d replica %d", e.epoch(), r).isEqualTo(FAIL);
      }
    }
    assertThat(cheaters).isPositive();
  }

  @Test
  void detectionAtTenPercentIsWithinFourSigmaOfOneMinusNinetyPercentToTheK() {
    StorageStats s = result.storageStats(0.1, 1);
    double p = s.nominal();
    double sigma = Math.sqrt(p * (1 - p) / s.challenged());
    assertThat(s.meanMissingShare()).isCloseTo(0.1, offset(1e-12)); // 4 of 40 equal leaves
    assertThat(s.challenged()).isGreaterThan(200);
    assertThat(p).isCloseTo(1 - Math.pow(0.9, 20), offset(1e-12));
    assertThat(Math.abs(s.measured() - p)).as("measured %s, predicted %s ± 4σ = %s", s.measured(), p, 4 * sigma)
        .isLessThanOrEqualTo(4 * sigma);
  }

  @Test
  void anHonestComputeNodeIsNeverAccused() {
    long honestSampled = 0;
    for (EpochReport e : result.epochs()) {
      for (int node = 0; node < e.fraud().length; node++) {
        if (result.computes(node) && result.wrongChance(node) == 0) {
          assertThat(e.fraud()[node]).as("epoch %d node %d", e.epoch(), node).isFalse();
          honestSampled += e.jobsSampled()[node];
        }
      }
    }
    assertThat(result.honestFalseFrauds()).isZero();
    assertThat(honestSampled).as("honest jobs were re-run").isPositive();
  }

  @Test
  void anAlwaysWrongComputeNodeIsCaughtExactlyWhenOneOfItsJobsIsSampled() {
    long sampledEpochs = 0;
    for (EpochReport e : result.epochs()) {
      for (int node = 0; node < e.fraud().length; node++) {
        if (result.wrongChance(node) == 1.0) {
          assertThat(e.fraud()[node]).as("epoch %d node %d", e.epoch(), node).isEqualTo(e.jobsSampled()[node] > 0);
          sampledEpochs += e.jobsSampled()[node] > 0 ? 1 : 0;
        }
      }
    }
    assertThat(sampledEpochs).isPositive();
  }

  /** spec/settlement.md §7.4: forfeited and unfunded rewards stay with the payers; the rest goes to operators, validators and network. */
  @Test
  void everyEpochChargesExactlyWhatItPays() {
    for (EpochReport e : result.epochs()) {
      Totals t = e.totals();
      assertThat(t.charged()).as("epoch %d", e.epoch()).isEqualTo(t.toOperators() + t.toValidators() + t.toNetwork());
      assertThat(t.owed()).as("epoch %d", e.epoch()).isEqualTo(t.charged() + t.forfeited() + t.unfunded());
      assertThat(t.toValidators() + t.toNetwork()).as("epoch %d", e.epoch()).isEqualTo(t.fees());
      assertThat(t.toNetwork()).isBetween(0L, 2L); // the remainder of splitting the fees three ways
    }
    Totals total = result.total();
    assertThat(total.forfeited()).isPositive();
    assertThat(total.unfunded()).isPositive();
    assertThat(result.ledgerBalance()).isEqualTo(result.deposits());
  }

  /** The majority rule used at scale decides exactly as {@link Quorum} does on signed verdicts, beacon chain included. */
  @Test
  void theUnsignedQuorumRuleAgreesWithTheRealQuorumOnSignedVerdicts() {
    List<EpochReport> fast = smallRun(false);
    List<EpochReport> signed = smallRun(true);
    boolean sawFail = false;
    for (int e = 0; e < fast.size(); e++) {
      assertThat(signed.get(e).beacon()).isEqualTo(fast.get(e).beacon());
      assertThat(signed.get(e).outcomes()).isEqualTo(fast.get(e).outcomes());
      for (byte b : fast.get(e).outcomes()) {
        sawFail |= b == FAIL;
      }
    }
    assertThat(sawFail).isTrue();
  }

  private static List<EpochReport> smallRun(boolean signedVerdicts) {
    NetworkSimulation.Config config = new NetworkSimulation.Config().nodes(40).epochs(3).seed(11).cheaters(0.5, 0.5);
    return new NetworkSimulation(config.signedVerdicts(signedVerdicts)).run().epochs();
  }
}
