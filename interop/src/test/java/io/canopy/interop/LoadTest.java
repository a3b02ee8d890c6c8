package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The devnet's gateway under a mixed load ({@link LoadGenerator}: S3 put/head/get/list, IPFS
 * gateway reads, embeddings) from 8 virtual users for {@code -Dcanopy.load.seconds} (20 s in CI;
 * {@code -Dcanopy.load.concurrency} sets the users). It prints the figures (throughput, latencies,
 * errors, the gateway's memory) and asserts only what must hold however loaded the machine is:
 * every read returned the bytes that were put, under 1 % of the operations failed otherwise,
 * every operation type ran, every acknowledged object reads back afterwards, and the gateway's
 * heap after GC did not grow from the first to the last third of the run beyond the stated
 * margin.
 *
 * <p>The normal test run does not run this class (interop's pom excludes it): {@link NemesisTest}
 * runs the same load and checks on its devnet first. {@code -Dtest=LoadTest} runs it, as
 * {@code bench/reliability.sh} does for 300 s.
 */
@Tag("interop")
class LoadTest {
  /**
   * Each operation type at least this often: the mix was really run and checked, not one op type
   * alone. Low, because on a 2-core machine shared with other builds 20 s may see only ~40 ops.
   */
  private static final int MIN_PER_OP = 3;

  @TempDir static Path tmp;

  @Test
  void mixedLoadReadsBackWhatWasPutWithFewErrorsAndBoundedMemory() throws Exception {
    try (DevnetProcess devnet = DevnetProcess.start(tmp.resolve("devnet"), tmp)) {
      runAndCheck(devnet);
      devnet.stop();
    }
  }

  /**
   * Runs the mixed load against {@code devnet} for {@code canopy.load.seconds} with
   * {@code canopy.load.concurrency} users, prints the report and checks it (the class comment).
   * {@link NemesisTest} runs it too, before its faults: CI's short load test.
   */
  static LoadReport runAndCheck(DevnetProcess devnet) throws Exception {
    int seconds = Integer.getInteger("canopy.load.seconds", 20);
    int concurrency = Integer.getInteger("canopy.load.concurrency", 8);
    LoadGenerator load = new LoadGenerator(LoadGenerator.Mix.DEFAULT, 42);
    LoadReport report = load.run(devnet.endpoints(), Duration.ofSeconds(seconds), concurrency);
    report.print();

    assertThat(report.dataErrors()).as("reads that returned wrong bytes or answers (see the report)").isZero();
    assertThat(report.errorRate()).as("error rate (see the report's errors by kind)").isLessThan(0.01);
    // Too few usually means a machine too loaded for the duration: the load average says so.
    String loadAverage = Files.readString(Path.of("/proc/loadavg")).strip();
    for (LoadReport.Op op : report.ops()) {
      assertThat(op.ok()).as("successful %s operations in %.0f s (load average %s)", op.name(), report.seconds(), loadAverage)
          .isGreaterThanOrEqualTo(MIN_PER_OP);
    }
    assertThat(load.acknowledged()).hasSize((int) report.op(LoadGenerator.HEAD).ok());
    assertThat(load.reverify(devnet.endpoints())).as("acknowledged objects that do not read back").isEmpty();

    LoadReport.Memory memory = report.memory();
    assertThat(memory).as("gateway memory: %s", report.memoryNote()).isNotNull();
    assertThat(devnet.nodes()).as("the sampled process is one of the devnet's nodes")
        .anyMatch(p -> p.pid() == memory.pid());
    assertThat(memory.bounded()).as("heap after GC: first third %.1f MiB, last third %.1f MiB, margin %.0f MiB",
        memory.heapFirstMib(), memory.heapLastMib(), memory.marginMib()).isTrue();
    return report;
  }
}
