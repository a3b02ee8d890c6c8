package io.canopy.validator.compute;

import static io.canopy.validator.compute.ComputeFixture.TINY;
import static io.canopy.validator.compute.ComputeFixture.TINY_MODEL;

import io.canopy.compute.job.LlamaRuntime;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import io.canopy.protocol.epoch.Beacon;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Not a test: prints what compute verification costs per receipt — checking a record (two Ed25519
 * verifications and three hashes), drawing the sample, and re-running a tiny-model job — and the
 * time to verify one epoch of {@code N} receipts at the default p = 5 % with synthetic exact
 * receipts of a model this validator does not hold (so no engine time is counted; the sampled ones
 * report NO_RUNTIME). Run: {@code java -cp … io.canopy.validator.compute.ComputeVerificationBenchMain [N]}.
 */
public final class ComputeVerificationBenchMain {
  private ComputeVerificationBenchMain() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    Ed25519PrivateKey node = ComputeFixture.key(1);
    Ed25519PrivateKey gateway = ComputeFixture.key(2);
    List<JobRecord> records = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      JobRequest job = new JobRequest("job-" + i, ComputeFixture.MINILM, Task.EMBEDDING,
          ("{\"input\":\"text " + i + "\"}").getBytes(StandardCharsets.UTF_8), Params.DEFAULT);
      Receipt r = Receipt.sign(node, job, Receipt.sha256(new byte[] {(byte) i}), new Usage(3, 0), 0, 0, 0, true);
      records.add(new JobRecord(CountersignedReceipt.sign(gateway, r, "acct", 1L), job));
    }
    Beacon beacon = Beacon.genesis("bench");
    ReceiptSampler sampler = ReceiptSampler.defaults();

    long t0 = System.nanoTime();
    int selected = sampler.sample(beacon, records).size();
    long t1 = System.nanoTime();
    records.forEach(JobRecord::check);
    long t2 = System.nanoTime();
    try (LlamaModel model = LlamaModel.load(TINY_MODEL)) {
      ReExecutor executor = new ReExecutor(List.of(new LlamaRuntime(TINY, "tiny", Task.COMPLETION, model, 1)));
      ComputeVerifier verifier = new ComputeVerifier(executor, sampler, ComputeFixture.key(100));
      long t3 = System.nanoTime();
      ComputeVerifier.EpochResult result = verifier.verify(0, beacon, records);
      long t4 = System.nanoTime();
      int jobs = 20;
      long t5 = System.nanoTime();
      for (int i = 0; i < jobs; i++) {
        executor.rerun(new JobRequest("r" + i, TINY, Task.COMPLETION, "Once upon a time".getBytes(StandardCharsets.UTF_8),
            new Params(32, 0.8f, 0.9f, 40, i, List.of())));
      }
      long t6 = System.nanoTime();
      System.out.printf("receipts: %d, sampled at p=5%%: %d%n", n, selected);
      System.out.printf("sample draw:   %.2f µs/receipt%n", (t1 - t0) / 1e3 / n);
      System.out.printf("record check:  %.2f µs/receipt (2 Ed25519 verifies + hashes)%n", (t2 - t1) / 1e3 / n);
      System.out.printf("epoch verify:  %.2f s for %d receipts (unsampled %d, skipped %d; no engine time)%n", (t4 - t3) / 1e9, n,
          result.unsampled().size(), result.skipped().size());
      System.out.printf("tiny re-run:   %.2f ms/job (32 tokens, sampled)%n", (t6 - t5) / 1e6 / jobs);
    }
  }
}
