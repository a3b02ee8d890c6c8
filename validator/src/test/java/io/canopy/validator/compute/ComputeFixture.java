package io.canopy.validator.compute;

import io.canopy.compute.job.CancellationSignal;
import io.canopy.compute.job.ChunkSink;
import io.canopy.compute.job.ComputeConfig;
import io.canopy.compute.job.ComputeProvider;
import io.canopy.compute.job.InferenceRuntime;
import io.canopy.compute.job.JobResult;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.ModelOffer;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Usage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/** Shared pieces of the compute-verification tests: the tiny model, keys from seeds, a node that signs real receipts. */
final class ComputeFixture {
  static final Path TINY_MODEL = Path.of("..", "compute-node", "src", "test", "resources", "llm", "tiny-f32.gguf");
  static final Cid TINY = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "tiny-f32".getBytes(StandardCharsets.UTF_8));
  static final Cid MINILM = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "all-MiniLM-L6-v2".getBytes(StandardCharsets.UTF_8));
  static final String[] PROMPTS = {"Once upon a time", "The cat sat on", "In a small village", "Hello", "One day, a little girl",
      "The sun was", "Tom and Lily went to the park", "She looked at the sky and"};

  private ComputeFixture() {}

  static Ed25519PrivateKey key(int n) {
    byte[] seed = new byte[32];
    new Random(n).nextBytes(seed);
    return Ed25519PrivateKey.fromSeed(seed);
  }

  /** Varied params drawn from {@code random}: greedy and sampled, with and without top-k / top-p / stop sequences. */
  static Params randomParams(Random random) {
    float[] temperatures = {0f, 0.5f, 0.8f, 1.2f};
    float temperature = temperatures[random.nextInt(temperatures.length)];
    float topP = random.nextBoolean() ? 1f : 0.9f;
    int topK = random.nextBoolean() ? 0 : 1 + random.nextInt(40);
    List<String> stop = random.nextInt(4) == 0 ? List.of(".") : List.of();
    return new Params(4 + random.nextInt(20), temperature, topP, topK, random.nextLong(), stop);
  }

  /** A node with its own key that runs jobs through a real {@link ComputeProvider} and a gateway that countersigns them. */
  static final class Node implements AutoCloseable {
    final Ed25519PrivateKey key;
    final Ed25519PrivateKey gateway;
    final ComputeProvider provider;

    Node(Ed25519PrivateKey key, Ed25519PrivateKey gateway, List<? extends InferenceRuntime> runtimes, long epoch) {
      this.key = key;
      this.gateway = gateway;
      this.provider = new ComputeProvider(key, runtimes, ComputeConfig.DEFAULT.withSlots(1, 8), Clock.systemUTC(), () -> epoch);
    }

    JobResult run(JobRequest job) throws Exception {
      return provider.runHere(job, chunk -> {}).get(120, TimeUnit.SECONDS);
    }

    /** Runs {@code job}, countersigns the receipt as the gateway would, and keeps the output only if {@code keepOutput}. */
    JobRecord record(JobRequest job, boolean keepOutput) throws Exception {
      JobResult result = run(job);
      CountersignedReceipt cs = CountersignedReceipt.sign(gateway, result.receipt(), "acct-1", 1_700_000_000_000L);
      return JobRecord.accept(cs, job, keepOutput ? result.output() : null);
    }

    @Override
    public void close() {
      provider.close();
    }
  }

  /**
   * A runtime that runs {@code inner} but, for the jobs {@code cheatOn} picks, writes {@code alter}
   * of the real output instead; it claims {@code exact}, so the node signs valid exact receipts for
   * the altered output.
   */
  static final class AlteringRuntime implements InferenceRuntime {
    private final InferenceRuntime inner;
    private final Predicate<JobRequest> cheatOn;
    private final UnaryOperator<byte[]> alter;
    private final boolean exact;

    AlteringRuntime(InferenceRuntime inner, Predicate<JobRequest> cheatOn, UnaryOperator<byte[]> alter, boolean exact) {
      this.inner = inner;
      this.cheatOn = cheatOn;
      this.alter = alter;
      this.exact = exact;
    }

    @Override
    public ModelOffer offer() {
      return inner.offer();
    }

    @Override
    public Usage run(JobRequest request, ChunkSink out, CancellationSignal cancel) throws Exception {
      if (!cheatOn.test(request)) {
        return inner.run(request, out, cancel);
      }
      java.io.ByteArrayOutputStream real = new java.io.ByteArrayOutputStream();
      Usage usage = inner.run(request, real::writeBytes, cancel);
      out.write(alter.apply(real.toByteArray()));
      return usage;
    }

    @Override
    public boolean bitExact() {
      return exact;
    }
  }
}
