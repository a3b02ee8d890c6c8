package io.canopy.validator.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.PeerId;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.epoch.Beacon;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** spec/compute-verification.md §6.2: the sample is reproducible from the beacon alone and changes with it. */
class ReceiptSamplerTest {
  private static final PeerId NODE = ComputeFixture.key(1).peerId();

  private static List<String> selected(ReceiptSampler sampler, Beacon beacon, PeerId node, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (sampler.selects(beacon, "job-" + i, node)) {
        out.add("job-" + i);
      }
    }
    return out;
  }

  @Test
  void theSampleIsReproducibleFromTheBeaconAloneAndDependsOnIt() {
    Beacon beacon = Beacon.genesis("canopy-test");
    List<String> first = selected(new ReceiptSampler(200_000), beacon, NODE, 2000);
    List<String> again = selected(new ReceiptSampler(200_000), Beacon.of(beacon.bytes()), NODE, 2000);
    assertThat(first).isEqualTo(again).isNotEmpty();

    Beacon next = Beacon.afterSettlement(Receipt.sha256("settlement".getBytes(StandardCharsets.US_ASCII)));
    assertThat(selected(new ReceiptSampler(200_000), next, NODE, 2000)).isNotEqualTo(first);
    // ... and on the node: another node's jobs of the same ids are drawn independently.
    assertThat(selected(new ReceiptSampler(200_000), beacon, ComputeFixture.key(2).peerId(), 2000)).isNotEqualTo(first);
  }

  @Test
  void zeroSamplesNothingAndAMillionPpmSamplesEverything() {
    Beacon beacon = Beacon.genesis("bounds");
    assertThat(selected(new ReceiptSampler(0), beacon, NODE, 500)).isEmpty();
    assertThat(selected(new ReceiptSampler(ReceiptSampler.ALL), beacon, NODE, 500)).hasSize(500);
    assertThatThrownBy(() -> new ReceiptSampler(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ReceiptSampler(1_000_001)).isInstanceOf(IllegalArgumentException.class);
  }

  /** The rule recomputed from the spec's text with plain SHA-256, independently of {@code Draw}. */
  @Test
  void selectionFollowsTheSpecFormula() throws Exception {
    Beacon beacon = Beacon.genesis("formula");
    ReceiptSampler sampler = new ReceiptSampler(ReceiptSampler.DEFAULT_PPM);
    for (int i = 0; i < 300; i++) {
      String jobId = "job-" + i;
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update("canopy-sample-v1".getBytes(StandardCharsets.US_ASCII));
      d.update(beacon.bytes());
      byte[] id = jobId.getBytes(StandardCharsets.UTF_8);
      d.update(ByteBuffer.allocate(4).putInt(id.length).array());
      d.update(id);
      byte[] node = NODE.toBytes();
      d.update(ByteBuffer.allocate(4).putInt(node.length).array());
      d.update(node);
      byte[] seed = d.digest();
      long draw = -1;
      for (int attempt = 0; draw < 0; attempt++) {
        MessageDigest w = MessageDigest.getInstance("SHA-256");
        w.update(seed);
        w.update(ByteBuffer.allocate(8).putInt(0).putInt(attempt).array());
        long word = ByteBuffer.wrap(w.digest()).getLong();
        long limit = -Long.remainderUnsigned(-1L, 1_000_000L) - 1; // 2^64 - (2^64 mod 10^6)
        if (Long.compareUnsigned(word, limit) < 0) {
          draw = Long.remainderUnsigned(word, 1_000_000L);
        }
      }
      assertThat(sampler.selects(beacon, jobId, NODE)).as(jobId).isEqualTo(draw < ReceiptSampler.DEFAULT_PPM);
    }
  }
}
