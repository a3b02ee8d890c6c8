package io.canopy.validator.sim;

import io.canopy.protocol.epoch.EpochClock;
import io.canopy.validator.sim.NetworkSimulation.ComputeStats;
import io.canopy.validator.sim.NetworkSimulation.Config;
import io.canopy.validator.sim.NetworkSimulation.Result;
import io.canopy.validator.sim.NetworkSimulation.StorageStats;
import io.canopy.validator.sim.NetworkSimulation.Totals;
import java.util.Locale;

/**
 * Network simulation benchmark (not a test): {@link NetworkSimulation} at 10,000 nodes × 100
 * epochs by default, printing storage-proof and compute detection rates against the spec's
 * predictions, the payouts, and the run time. Run: {@code mvn -B -o -q -pl validator test-compile
 * exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.canopy.validator.sim.NetworkSimulationMain
 * -Dexec.args="--nodes 10000 --epochs 100 --seed 1"} or with {@code java -cp} on the test
 * classpath. Args: [--nodes N=10000] [--epochs E=100] [--seed S=1].
 */
public final class NetworkSimulationMain {
  private NetworkSimulationMain() {}

  public static void main(String[] args) {
    Config config = parse(args);
    long t0 = System.nanoTime();
    NetworkSimulation sim = new NetworkSimulation(config);
    Result result = sim.run();
    long wall = System.nanoTime() - t0;
    printShape(result);
    printStorage(result);
    printCompute(result);
    printPayouts(result);
    printTimes(result, wall);
    printSummary(result, wall);
  }

  private static Config parse(String[] args) {
    Config config = new Config();
    for (int i = 0; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + args[i]);
      }
      String value = args[i + 1];
      switch (args[i]) {
        case "--nodes" -> config.nodes(Integer.parseInt(value));
        case "--epochs" -> config.epochs(Integer.parseInt(value));
        case "--seed" -> config.seed(Long.parseLong(value));
        default -> throw new IllegalArgumentException("usage: NetworkSimulationMain [--nodes N] [--epochs E] [--seed S]; got " + args[i]);
      }
    }
    return config;
  }

  private static void printShape(Result r) {
    Config c = r.config();
    System.out.printf("network: %,d nodes, %,d deals, %,d replicas (%d per deal, files %s–%s log-uniform, leaves of %d KiB), "
            + "%d validators, %,d epochs (%,d h of network time)%n", c.nodes, r.deals(), r.replicas(), c.replication,
        bytes(c.minFileBytes), bytes(c.maxFileBytes), NetworkSimulation.LEAF_BYTES / 1024, c.validators, c.epochs,
        c.epochs * EpochClock.DEFAULT_LENGTH_MILLIS / 3_600_000);
    System.out.printf("behaviour: k = %d draws, %.1f %% storage cheaters (one deal each), %.1f %% offline per epoch, "
            + "%.0f %% compute nodes × %d jobs/epoch, %.0f %% of them cheat, sample p = %,d ppm, seed %d%n", c.draws,
        100 * c.storageCheaterShare, 100 * c.offlineChance, 100 * c.computeShare, c.jobsPerEpoch, 100 * c.computeCheaterShare,
        c.samplePpm, c.seed);
  }

  private static void printStorage(Result r) {
    System.out.println();
    System.out.println("storage proofs, per cheater replica-epoch with the node online (spec/proofs.md §5.9):");
    System.out.println("  f      replicas  challenged  caught  measured   expected(f') ± σ    nominal 1-(1-f)^k  mean f'   "
        + "first-detection median  never  | files ≥ 1/f leaves: replicas measured expected first-detection median");
    for (double f : r.config().deletedFractions) {
      StorageStats all = r.storageStats(f, 1);
      StorageStats large = r.storageStats(f, (int) Math.ceil(1 / f));
      System.out.printf(Locale.ROOT, "  %-5s  %8d  %10d  %6d  %8.4f   %8.4f ± %.4f   %8.4f           %.4f   epoch %-16.1f %5d  | %8d  %8.4f %8.4f epoch %.1f%n",
          f, all.replicas(), all.challenged(), all.failures(), all.measured(), all.expected(), all.sigma(), all.nominal(),
          all.meanMissingShare(), all.medianFirstDetection(), all.neverDetected(), large.replicas(), large.measured(), large.expected(),
          large.medianFirstDetection());
    }
    System.out.println("  (draws are uniform over bytes, and a cheater deletes ⌈f·leaves⌉ ≥ 1 whole leaves, so what counts is its missing"
        + " byte share f': a file of fewer than 1/f leaves loses 1/leaves > f, a one-leaf file everything (caught every epoch),"
        + " rounding up raises f' on files of a few times 1/f leaves, and a deleted short last leaf lowers it; 'expected' averages"
        + " 1-(1-f')^k over the challenges, with its σ.)");
    System.out.printf("  honest replicas online: %,d false failures (must be 0); offline replica-epochs failed by TIMEOUT: %,d%n",
        r.honestFalseFailures(), r.offlineFailures());
  }

  private static void printCompute(Result r) {
    System.out.println();
    System.out.println("compute sampling, per cheater node-epoch with settled jobs (spec/compute-verification.md §6.6: 1-(1-p·c)^n):");
    System.out.println("  c      nodes  node-epochs  caught  measured   expected ± σ        nominal (n = jobs/epoch)");
    for (double c : r.config().wrongFractions) {
      ComputeStats s = r.computeStats(c);
      System.out.printf(Locale.ROOT, "  %-5s  %5d  %11d  %6d  %8.4f   %8.4f ± %.4f   %8.4f%n", c, s.nodes(), s.nodeEpochs(), s.caught(),
          s.measured(), s.expected(), s.sigma(), s.nominal());
    }
    System.out.printf("  fraud proofs against honest nodes: %d (must be 0)%n", r.honestFalseFrauds());
  }

  private static void printPayouts(Result r) {
    Totals t = r.total();
    System.out.println();
    System.out.println("payouts, micro-credits over the run (spec/settlement.md §7.4):");
    System.out.printf("  owed %,d = charged %,d + forfeited %,d + unfunded %,d%n", t.owed(), t.charged(), t.forfeited(), t.unfunded());
    System.out.printf("  charged %,d = operators %,d + validators %,d + network %,d (fees %,d)%n", t.charged(), t.toOperators(),
        t.toValidators(), t.toNetwork(), t.fees());
    System.out.printf("  per-epoch median paid to operators %,.0f; ledger holds %,d = deposits %,d%n", r.medianOperatorPayoutPerEpoch(),
        r.ledgerBalance(), r.deposits());
  }

  private static void printTimes(Result r, long wallNanos) {
    long challenges = r.challengesAnswered();
    System.out.println();
    System.out.printf(Locale.ROOT, "time: %.1f s wall (setup with %,d keys %.1f s, run %.1f s), per epoch %.0f ms mean / %.0f ms median, "
            + "storage challenges %.1f µs wall per replica-challenge (%,d answered, drawn in parallel on %d cores)%n", wallNanos / 1e9,
        r.config().nodes + r.config().validators, r.setupNanos() / 1e9, r.runNanos() / 1e9, r.runNanos() / 1e6 / r.epochs().size(),
        r.medianEpochMillis(), r.storageNanos() / 1e3 / challenges, challenges, Runtime.getRuntime().availableProcessors());
  }

  private static void printSummary(Result r, long wallNanos) {
    StringBuilder rates = new StringBuilder();
    for (double f : r.config().deletedFractions) {
      StorageStats s = r.storageStats(f, 1);
      rates.append(String.format(Locale.ROOT, "%sf=%s %.3f (exp %.3f)", rates.length() == 0 ? "" : ", ", f, s.measured(), s.expected()));
    }
    ComputeStats full = r.computeStats(1.0);
    Totals t = r.total();
    System.out.println();
    System.out.printf(Locale.ROOT, "summary: NetworkSimulationMain %,d nodes × %d epochs (%,d replicas): storage detection/epoch %s; "
            + "compute c=1 %.3f (exp %.3f); honest false failures %d, false frauds %d; operators %,d µc, fees %,d, forfeited %,d; "
            + "%.1f s wall, %.0f ms/epoch, %.1f µs/replica-challenge%n", r.config().nodes, r.epochs().size(), r.replicas(), rates,
        full.measured(), full.expected(), r.honestFalseFailures(), r.honestFalseFrauds(), t.toOperators(), t.fees(), t.forfeited(),
        wallNanos / 1e9, r.runNanos() / 1e6 / r.epochs().size(), r.storageNanos() / 1e3 / r.challengesAnswered());
  }

  private static String bytes(long b) {
    return b >= 1 << 20 ? (b >> 20) + " MiB" : b >= 1 << 10 ? (b >> 10) + " KiB" : b + " B";
  }
}
