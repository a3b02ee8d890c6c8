package io.canopy.compute.embed;

import java.util.ArrayList;
import java.util.List;

/**
 * Embeddings per second of the bundled all-MiniLM-L6-v2 at batch 1 and batch 32 on this machine,
 * one input per run (what {@code AUTO} does for this model) and in padded batches.
 * Not a test. From the repository root:
 *
 * <pre>
 * mvn -B -o -q -pl compute-node test-compile dependency:build-classpath \
 *     -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/embed-cp.txt
 * java -cp compute-node/target/classes:compute-node/target/test-classes:$(cat /tmp/embed-cp.txt) \
 *     io.canopy.compute.embed.EmbedBenchMain [SECONDS [THREADS]]
 * </pre>
 *
 * SECONDS (default 5) is spent on each measurement; THREADS (default 0: ONNX Runtime's choice)
 * sets intra-op threads. Figures mean little on a machine busy with other work: ONNX Runtime's
 * threads spin, and lose badly when they compete for cores.
 */
public final class EmbedBenchMain {
  private static final String[] SENTENCES = {
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The new movie is awesome.",
    "Community storage and inference cloud nodes pin content by CID and serve embeddings.",
    "The quick brown fox jumps over the lazy dog while the cat watches from the windowsill.",
    "Embeddings map sentences to vectors so that similar meanings land close together, which lets"
        + " a search engine find passages that answer a question even when they share no words with it.",
  };

  private EmbedBenchMain() {}

  public static void main(String[] args) {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    for (OnnxEmbedder.BatchMode mode : OnnxEmbedder.BatchMode.values()) {
      if (mode == OnnxEmbedder.BatchMode.AUTO) {
        continue; // AUTO is ONE_PER_RUN for this model
      }
      OnnxEmbedder.Config config = OnnxEmbedder.Config.defaults()
          .withMaxTokens(OnnxEmbedder.MINILM_MAX_TOKENS)
          .withIntraOpThreads(threads)
          .withBatchMode(mode);
      try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2(config)) {
        System.out.printf("all-MiniLM-L6-v2 (quantised), %s, %d cores, intra-op threads %s%n",
            mode, Runtime.getRuntime().availableProcessors(), threads == 0 ? "auto" : threads);
        for (int batch : new int[] {1, 32}) {
          if (batch == 1 && mode == OnnxEmbedder.BatchMode.PADDED) {
            continue; // same as ONE_PER_RUN
          }
          measure(embedder, batch, seconds);
        }
      }
    }
  }

  private static void measure(OnnxEmbedder embedder, int batch, double seconds) {
    List<String> inputs = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      inputs.add(SENTENCES[i % SENTENCES.length]);
    }
    long tokens = embedder.embedWithUsage(inputs).totalTokens(); // warm-up
    long embedded = 0;
    long start = System.nanoTime();
    long deadline = start + (long) (seconds * 1e9);
    while (System.nanoTime() < deadline) {
      embedder.embed(inputs);
      embedded += batch;
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    System.out.printf("  batch %2d: %8.1f embeddings/s (%d in %.1f s, %.1f tokens/input)%n",
        batch, embedded / elapsed, embedded, elapsed, tokens / (double) batch);
  }
}
