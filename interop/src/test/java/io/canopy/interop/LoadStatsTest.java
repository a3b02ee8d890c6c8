package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The load generator's arithmetic, without a devnet: percentiles, error counting, the mix, boundedness. */
class LoadStatsTest {
  @Test
  void percentilesOfTheLogBucketHistogramAreWithinTwoPercent() {
    LoadGenerator.Stats s = new LoadGenerator.Stats();
    for (int ms = 1000; ms >= 1; ms--) { // order must not matter
      s.ok(ms * 1_000_000L, 10);
    }
    s.error("S3 503 SlowDown");
    s.error(LoadGenerator.DATA_ERROR + "GetObject bytes differ from what was put (SHA-256)");
    LoadReport.Op op = s.op("GetObject");
    assertThat(op.count()).isEqualTo(1002);
    assertThat(op.ok()).isEqualTo(1000);
    assertThat(op.bytes()).isEqualTo(10_000);
    assertThat(op.errorCount()).isEqualTo(2);
    assertThat(op.dataErrors()).isEqualTo(1);
    assertThat(op.p50Ms()).isCloseTo(500, within(10.0));
    assertThat(op.p99Ms()).isCloseTo(990, within(20.0));
    assertThat(op.maxMs()).isEqualTo(1000.0);
  }

  @Test
  void anOperationThatNeverSucceededHasNoLatencies() {
    LoadGenerator.Stats s = new LoadGenerator.Stats();
    s.error("timeout");
    LoadReport.Op op = s.op("IpfsGet");
    assertThat(op.p50Ms()).isNaN();
    assertThat(op.maxMs()).isNaN();
    LoadReport r = new LoadReport(1, 1, List.of(op), op, null, "not sampled");
    assertThat(r.errorRate()).isEqualTo(1.0);
    assertThat(r.otherErrors()).isEqualTo(1);
  }

  @Test
  void theDeckHoldsEachOperationAsOftenAsItsWeight() {
    List<String> deck = LoadGenerator.Mix.DEFAULT.deck(); // 25/30/10/20/15 → 5/6/2/4/3
    assertThat(deck).hasSize(20);
    assertThat(Collections.frequency(deck, LoadGenerator.GET)).isEqualTo(6);
    assertThat(Collections.frequency(deck, LoadGenerator.LIST)).isEqualTo(2);
    assertThat(new LoadGenerator.Mix(1, 0, 0, 0, 0).deck()).containsExactly(LoadGenerator.PUT);
  }

  @Test
  void memoryIsBoundedUnlessTheLastThirdGrewBeyondTheMargin() {
    assertThat(new LoadReport.Memory(1, 30, 100, 150, 300, 320, 1, 1, 160, 89).bounded()).isTrue();
    assertThat(new LoadReport.Memory(1, 30, 100, 190, 300, 400, 50, 60, 200, 89).bounded()).isFalse();
  }
}
