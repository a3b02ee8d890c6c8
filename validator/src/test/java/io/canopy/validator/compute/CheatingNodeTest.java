package io.canopy.validator.compute;

import static io.canopy.validator.compute.ComputeFixture.MINILM;
import static io.canopy.validator.compute.ComputeFixture.PROMPTS;
import static io.canopy.validator.compute.ComputeFixture.TINY;
import static io.canopy.validator.compute.ComputeFixture.TINY_MODEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.compute.embed.OnnxEmbedder;
import io.canopy.compute.job.EmbeddingRuntime;
import io.canopy.compute.job.LlamaRuntime;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.epoch.Beacon;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node that returns altered output for some jobs and signs valid receipts for it: with every
 * receipt sampled, each altered job yields a fraud proof that anyone can confirm by re-running and
 * that names the node, and no honest job does (spec/compute-verification.md §6.4, §6.6).
 */
class CheatingNodeTest {
  private static final long EPOCH = 12;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] MADE_UP = " and they lived happily ever after".getBytes(StandardCharsets.UTF_8);

  private static LlamaModel nodeModel;
  private static LlamaModel validatorModel;
  private static OnnxEmbedder nodeEmbedder;
  private static OnnxEmbedder validatorEmbedder;
  private static ReExecutor executor;

  @BeforeAll
  static void start() throws Exception {
    nodeModel = LlamaModel.load(TINY_MODEL);
    validatorModel = LlamaModel.load(TINY_MODEL);
    nodeEmbedder = OnnxEmbedder.allMiniLmL6V2();
    validatorEmbedder = OnnxEmbedder.allMiniLmL6V2();
    executor = new ReExecutor(List.of(
        new LlamaRuntime(TINY, "tiny", Task.COMPLETION, validatorModel, 1),
        new EmbeddingRuntime(MINILM, "all-MiniLM-L6-v2", validatorEmbedder, 1)));
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {nodeModel, validatorModel, nodeEmbedder, validatorEmbedder}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private static byte[] append(byte[] real) {
    byte[] out = java.util.Arrays.copyOf(real, real.length + MADE_UP.length);
    System.arraycopy(MADE_UP, 0, out, real.length, MADE_UP.length);
    return out;
  }

  private static JobRequest embedding(String id, String... texts) throws Exception {
    return new JobRequest(id, MINILM, Task.EMBEDDING, JSON.writeValueAsBytes(Map.of("input", List.of(texts))), Params.DEFAULT);
  }

  @Test
  void everyAlteredJobYieldsAFraudProofThatVerifiesAndNamesTheNodeAndNoHonestJobDoes() throws Exception {
    // c = 30 %: which jobs are altered is drawn up front from a seeded Random.
    Random random = new Random(2026);
    List<JobRequest> jobs = new ArrayList<>();
    Set<String> cheated = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      JobRequest job = i % 6 == 5
          ? embedding("job-" + i, PROMPTS[random.nextInt(PROMPTS.length)])
          : new JobRequest("job-" + i, TINY, Task.COMPLETION, PROMPTS[random.nextInt(PROMPTS.length)].getBytes(StandardCharsets.UTF_8),
              ComputeFixture.randomParams(random));
      jobs.add(job);
      if (random.nextDouble() < 0.3) {
        cheated.add(job.jobId());
      }
    }
    assertThat(cheated).isNotEmpty().hasSizeLessThan(jobs.size());

    Ed25519PrivateKey nodeKey = ComputeFixture.key(11);
    List<JobRecord> records = new ArrayList<>();
    try (ComputeFixture.Node node = new ComputeFixture.Node(nodeKey, ComputeFixture.key(12), List.of(
        new ComputeFixture.AlteringRuntime(new LlamaRuntime(TINY, "tiny", Task.COMPLETION, nodeModel, 1),
            j -> cheated.contains(j.jobId()), CheatingNodeTest::append, true),
        new ComputeFixture.AlteringRuntime(new EmbeddingRuntime(MINILM, "all-MiniLM-L6-v2", nodeEmbedder, 1),
            j -> cheated.contains(j.jobId()), CheatingNodeTest::append, true)), EPOCH)) {
      for (JobRequest job : jobs) {
        records.add(node.record(job, false)); // accepted: both signatures hold, the hashes match the job
      }
    }

    Ed25519PrivateKey validatorKey = ComputeFixture.key(100);
    ComputeVerifier verifier = new ComputeVerifier(executor, new ReceiptSampler(ReceiptSampler.ALL), validatorKey);
    ComputeVerifier.EpochResult result = verifier.verify(EPOCH, Beacon.genesis("cheat"), records);

    assertThat(result.skipped()).isEmpty();
    assertThat(result.fraudProofs().stream().map(p -> p.record().job().jobId()).collect(Collectors.toSet())).isEqualTo(cheated);
    assertThat(result.verified().stream().map(r -> r.job().jobId()).collect(Collectors.toSet()))
        .doesNotContainAnyElementsOf(cheated).hasSize(jobs.size() - cheated.size());
    assertThat(result.fraudulentNodes()).containsExactly(nodeKey.peerId());

    // Anyone can check each proof from its bytes alone, by re-running the job (here: another validator).
    ComputeVerifier other = new ComputeVerifier(executor, new ReceiptSampler(ReceiptSampler.ALL), ComputeFixture.key(101));
    for (FraudProof proof : result.fraudProofs()) {
      FraudProof decoded = FraudProof.decode(proof.encode());
      assertThat(decoded).isEqualTo(proof);
      assertThat(decoded.verifySignature()).isTrue();
      assertThat(decoded.node()).isEqualTo(nodeKey.peerId());
      assertThat(decoded.validator()).isEqualTo(validatorKey.peerId());
      assertThat(decoded.epoch()).isEqualTo(EPOCH);
      other.confirm(decoded);
    }
  }

  /** Rewrites an embedding output with every vector changed by {@code change}, in the spec's output format. */
  private static UnaryOperator<byte[]> vectors(UnaryOperator<float[]> change) {
    return real -> {
      float[][] v = ReExecutor.vectors(real).orElseThrow();
      StringBuilder sb = new StringBuilder("{\"data\":[");
      for (int i = 0; i < v.length; i++) {
        float[] w = change.apply(v[i].clone());
        sb.append(i > 0 ? "," : "").append("{\"index\":").append(i).append(",\"embedding\":[");
        for (int j = 0; j < w.length; j++) {
          sb.append(j > 0 ? "," : "").append(Float.toString(w[j]));
        }
        sb.append("]}");
      }
      return sb.append("],\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}").toString().getBytes(StandardCharsets.UTF_8);
    };
  }

  @Test
  void nonExactEmbeddingsAreComparedByCosineAndOnlyAFarOffVectorIsFraud() throws Exception {
    Random noise = new Random(5);
    UnaryOperator<float[]> jitter = w -> {
      for (int j = 0; j < w.length; j++) {
        w[j] += (float) (noise.nextGaussian() * 1e-4);
      }
      return w;
    };
    UnaryOperator<float[]> reverse = w -> {
      for (int a = 0, b = w.length - 1; a < b; a++, b--) {
        float t = w[a];
        w[a] = w[b];
        w[b] = t;
      }
      return w;
    };
    Ed25519PrivateKey closeKey = ComputeFixture.key(21);
    Ed25519PrivateKey farKey = ComputeFixture.key(22);
    List<JobRecord> records = new ArrayList<>();
    try (ComputeFixture.Node close = new ComputeFixture.Node(closeKey, ComputeFixture.key(12), List.of(
        new ComputeFixture.AlteringRuntime(new EmbeddingRuntime(MINILM, "m", nodeEmbedder, 1), j -> true, vectors(jitter), false)), EPOCH);
         ComputeFixture.Node far = new ComputeFixture.Node(farKey, ComputeFixture.key(12), List.of(
             new ComputeFixture.AlteringRuntime(new EmbeddingRuntime(MINILM, "m", nodeEmbedder, 1), j -> true, vectors(reverse), false)),
             EPOCH)) {
      for (int i = 0; i < 4; i++) {
        records.add(close.record(embedding("close-" + i, PROMPTS[i], PROMPTS[i + 1]), true));
        records.add(far.record(embedding("far-" + i, PROMPTS[i], PROMPTS[i + 1]), true));
      }
      // Without the delivered output a non-exact embedding cannot be compared: not checkable.
      records.add(close.record(embedding("close-no-output", PROMPTS[0]), false));
    }
    assertThat(records).allSatisfy(r -> assertThat(r.receipt().exact()).isFalse());

    ComputeVerifier.EpochResult result = new ComputeVerifier(executor, new ReceiptSampler(ReceiptSampler.ALL), ComputeFixture.key(100))
        .verify(EPOCH, Beacon.genesis("tolerance"), records);

    assertThat(result.skipped()).isEmpty();
    assertThat(result.verified()).extracting(r -> r.job().jobId()).allMatch(id -> id.startsWith("close-")).hasSize(4);
    assertThat(result.fraudProofs()).extracting(p -> p.record().job().jobId()).allMatch(id -> id.startsWith("far-")).hasSize(4);
    assertThat(result.uncheckable()).extracting(r -> r.job().jobId()).containsExactly("close-no-output");
    assertThat(result.fraudulentNodes()).containsExactly(farKey.peerId());
    for (JobRecord r : result.verified()) {
      assertThat(ReExecutor.minCosine(r.output(), executor.rerun(r.job()).output()))
          .isGreaterThanOrEqualTo(ReExecutor.EMBEDDING_MIN_COSINE).isLessThan(1.0);
    }
    for (FraudProof proof : result.fraudProofs()) {
      new ComputeVerifier(executor, new ReceiptSampler(0), ComputeFixture.key(101)).confirm(FraudProof.decode(proof.encode()));
    }
  }

  @Test
  void nonExactCompletionsAreNeverSampledForFraudEvenWhenWrong() throws Exception {
    Ed25519PrivateKey nodeKey = ComputeFixture.key(31);
    List<JobRecord> records = new ArrayList<>();
    try (ComputeFixture.Node node = new ComputeFixture.Node(nodeKey, ComputeFixture.key(12), List.of(
        new ComputeFixture.AlteringRuntime(new LlamaRuntime(TINY, "tiny", Task.COMPLETION, nodeModel, 1), j -> true,
            CheatingNodeTest::append, false)), EPOCH)) {
      for (int i = 0; i < 3; i++) {
        records.add(node.record(new JobRequest("ext-" + i, TINY, Task.COMPLETION, PROMPTS[i].getBytes(StandardCharsets.UTF_8),
            new Params(6, 0f, 1f, 0, i, List.of())), true));
      }
    }
    ComputeVerifier verifier = new ComputeVerifier(executor, new ReceiptSampler(ReceiptSampler.ALL), ComputeFixture.key(100));
    ComputeVerifier.EpochResult result = verifier.verify(EPOCH, Beacon.genesis("external"), records);

    assertThat(result.uncheckable()).containsExactlyElementsOf(records);
    assertThat(result.fraudProofs()).isEmpty();
    assertThat(result.verified()).isEmpty();
    // Even a validator that signs a proof anyway is refused: the receipt never claimed to be reproducible.
    FraudProof forced = FraudProof.sign(ComputeFixture.key(100), records.get(0), executor.rerun(records.get(0).job()).outputHash());
    assertThatThrownBy(() -> verifier.confirm(forced))
        .isInstanceOfSatisfying(VerificationException.class, e -> assertThat(e.failure()).isEqualTo(VerificationFailure.NOT_CHECKABLE));
  }
}
