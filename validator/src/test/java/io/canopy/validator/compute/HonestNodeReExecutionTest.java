package io.canopy.validator.compute;

import static io.canopy.validator.compute.ComputeFixture.MINILM;
import static io.canopy.validator.compute.ComputeFixture.PROMPTS;
import static io.canopy.validator.compute.ComputeFixture.TINY;
import static io.canopy.validator.compute.ComputeFixture.TINY_MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.compute.embed.OnnxEmbedder;
import io.canopy.compute.job.EmbeddingRuntime;
import io.canopy.compute.job.LlamaRuntime;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.epoch.Beacon;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An honest node's jobs, run through a real {@code ComputeProvider} on the built-in engines, re-run
 * by a validator with its own copy of the models: every sampled receipt verifies and no fraud proof
 * is ever produced (spec/compute-verification.md §6.6).
 */
class HonestNodeReExecutionTest {
  private static final long EPOCH = 7;
  private static final ObjectMapper JSON = new ObjectMapper();

  private static LlamaModel nodeModel;
  private static LlamaModel validatorModel;
  private static OnnxEmbedder nodeEmbedder;
  private static OnnxEmbedder validatorEmbedder;
  private static ComputeFixture.Node node;
  private static ReExecutor executor;

  @BeforeAll
  static void start() throws Exception {
    nodeModel = LlamaModel.load(TINY_MODEL);
    validatorModel = LlamaModel.load(TINY_MODEL);
    nodeEmbedder = OnnxEmbedder.allMiniLmL6V2();
    validatorEmbedder = OnnxEmbedder.allMiniLmL6V2();
    node = new ComputeFixture.Node(ComputeFixture.key(1), ComputeFixture.key(2), List.of(
        new LlamaRuntime(TINY, "tiny", Task.COMPLETION, nodeModel, 1),
        new LlamaRuntime(TINY, "tiny", Task.CHAT, nodeModel, 1),
        new EmbeddingRuntime(MINILM, "all-MiniLM-L6-v2", nodeEmbedder, 1)), EPOCH);
    executor = new ReExecutor(List.of(
        new LlamaRuntime(TINY, "tiny", Task.COMPLETION, validatorModel, 1),
        new LlamaRuntime(TINY, "tiny", Task.CHAT, validatorModel, 1),
        new EmbeddingRuntime(MINILM, "all-MiniLM-L6-v2", validatorEmbedder, 1)));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    for (AutoCloseable c : new AutoCloseable[] {nodeModel, validatorModel, nodeEmbedder, validatorEmbedder}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** 40 jobs of every task with seeded, varied params and inputs. */
  private static List<JobRequest> jobs(long seed) throws Exception {
    Random random = new Random(seed);
    List<JobRequest> jobs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String prompt = PROMPTS[random.nextInt(PROMPTS.length)];
      JobRequest job;
      if (i % 5 == 3) {
        byte[] chat = JSON.writeValueAsBytes(Map.of("messages", List.of(Map.of("role", "user", "content", prompt))));
        job = new JobRequest("job-" + i, TINY, Task.CHAT, chat, ComputeFixture.randomParams(random));
      } else if (i % 5 == 4) {
        byte[] input = JSON.writeValueAsBytes(Map.of("input", List.of(prompt, PROMPTS[random.nextInt(PROMPTS.length)] + " " + i)));
        job = new JobRequest("job-" + i, MINILM, Task.EMBEDDING, input, Params.DEFAULT);
      } else {
        job = new JobRequest("job-" + i, TINY, Task.COMPLETION, (prompt + " " + i).getBytes(StandardCharsets.UTF_8),
            ComputeFixture.randomParams(random));
      }
      jobs.add(job);
    }
    return jobs;
  }

  @Test
  void everyReceiptOfAnHonestNodeVerifiesWhenAllAreSampled() throws Exception {
    List<JobRecord> records = new ArrayList<>();
    for (JobRequest job : jobs(42)) {
      records.add(node.record(job, false));
    }
    assertThat(records).allSatisfy(r -> assertThat(r.receipt().exact()).isTrue());

    ComputeVerifier verifier = new ComputeVerifier(executor, new ReceiptSampler(ReceiptSampler.ALL), ComputeFixture.key(100));
    ComputeVerifier.EpochResult result = verifier.verify(EPOCH, Beacon.genesis("honest"), records);

    assertThat(result.skipped()).isEmpty();
    assertThat(result.fraudProofs()).isEmpty();
    assertThat(result.fraudulentNodes()).isEmpty();
    assertThat(result.unsampled()).isEmpty();
    assertThat(result.verified()).containsExactlyElementsOf(records);
  }

  @Test
  void aReRunReproducesTheOutputBytesTheNodeDelivered() throws Exception {
    Random random = new Random(7);
    for (int i = 0; i < 6; i++) {
      JobRequest job = new JobRequest("bytes-" + i, TINY, Task.COMPLETION,
          PROMPTS[random.nextInt(PROMPTS.length)].getBytes(StandardCharsets.UTF_8), ComputeFixture.randomParams(random));
      byte[] delivered = node.run(job).output();
      assertThat(executor.rerun(job).output()).isEqualTo(delivered);
    }
  }

  @Test
  void withTheDefaultFivePercentOnlyTheDrawnReceiptsAreReRunAndAllVerify() throws Exception {
    List<JobRecord> records = new ArrayList<>();
    for (JobRequest job : jobs(43)) {
      records.add(node.record(job, false));
    }
    ReceiptSampler sampler = ReceiptSampler.defaults();
    // The first of a fixed series of beacons under which at least one of the 40 is drawn (1 - 0.95^40 = 87 % of them are).
    Beacon beacon = Beacon.genesis("five-percent");
    for (int k = 1; sampler.sample(beacon, records).isEmpty(); k++) {
      beacon = Beacon.genesis("five-percent-" + k);
    }
    ComputeVerifier.EpochResult result = new ComputeVerifier(executor, sampler, ComputeFixture.key(100)).verify(EPOCH, beacon, records);

    assertThat(result.verified()).isNotEmpty().containsExactlyElementsOf(sampler.sample(beacon, records));
    assertThat(result.verified().size() + result.unsampled().size()).isEqualTo(records.size());
    assertThat(result.fraudProofs()).isEmpty();
    assertThat(result.skipped()).isEmpty();
  }
}
