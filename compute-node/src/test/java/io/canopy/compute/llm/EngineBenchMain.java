package io.canopy.compute.llm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Tokens per second of the llama engine, single-threaded and on all cores. Not a test.
 *
 * <pre>
 * java -cp compute-node/target/classes:compute-node/target/test-classes \
 *     io.canopy.compute.llm.EngineBenchMain model.gguf [generatedTokens=128] [prompt]
 * java -cp ... io.canopy.compute.llm.EngineBenchMain --synthetic Q8_0 tiny-f32.gguf 2048 4 5632 32 8 [tokens]
 * </pre>
 * The synthetic form writes a temporary GGUF of that shape with random weights (and the given
 * file's vocabulary) to measure speed at realistic sizes.
 */
public final class EngineBenchMain {
  private EngineBenchMain() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: EngineBenchMain <model.gguf> [generatedTokens] [prompt]\n"
          + "       EngineBenchMain --synthetic <F32|F16|Q8_0|Q4_0> <vocabulary.gguf> <dim> <layers> <ffn> <heads> <kvHeads>"
          + " [generatedTokens]");
      System.exit(2);
    }
    if (args[0].equals("--synthetic")) {
      Path tmp = Files.createTempFile("synthetic-llama", ".gguf");
      try {
        SyntheticLlamaGguf.write(tmp, Path.of(args[2]), GgmlType.valueOf(args[1]), Integer.parseInt(args[3]),
            Integer.parseInt(args[4]), Integer.parseInt(args[5]), Integer.parseInt(args[6]), Integer.parseInt(args[7]), 1);
        System.out.printf("synthetic %s dim %s layers %s ffn %s heads %s/%s: %d MB%n", args[1], args[3], args[4], args[5],
            args[6], args[7], Files.size(tmp) >> 20);
        main(args.length > 8 ? new String[] {tmp.toString(), args[8]} : new String[] {tmp.toString()});
      } finally {
        Files.deleteIfExists(tmp);
      }
      return;
    }
    Path path = Path.of(args[0]);
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    String prompt = args.length > 2 ? args[2]
        : "The old lighthouse keeper climbed the spiral stairs every evening at dusk, counting each step.";
    int cores = Runtime.getRuntime().availableProcessors();
    for (int threads : cores > 1 ? new int[] {1, cores} : new int[] {1}) {
      try (LlamaModel model = LlamaModel.load(path, threads)) {
        List<Integer> ids = model.tokenizer().encode(prompt, true);
        int ctx = Math.min(model.config().contextLength(), ids.size() + n + 1);
        for (int i = 0; i < 5; i++) {
          run(model, ids, n, ctx); // warm-up: JIT compilation
        }
        long t0 = System.nanoTime();
        Session s = model.newSession(ctx);
        for (int t : ids) {
          s.forward(t);
        }
        long t1 = System.nanoTime();
        Generation g = s.generate(ids, GenerationParams.greedy(n), TokenListener.NONE);
        long t2 = System.nanoTime();
        double promptSecs = (t1 - t0) / 1e9;
        // generate() evaluates the prompt again; subtract that to get decode time alone.
        double genSecs = Math.max(1e-9, (t2 - t1) / 1e9 - promptSecs);
        System.out.printf("%s threads=%d prompt %d tok: %.1f tok/s | generate %d tok: %.1f tok/s%n",
            path.getFileName(), threads, ids.size(), ids.size() / promptSecs, g.tokens().size(),
            g.tokens().size() / genSecs);
      }
    }
  }

  private static void run(LlamaModel model, List<Integer> ids, int n, int ctx) {
    model.newSession(ctx).generate(ids, GenerationParams.greedy(n), TokenListener.NONE);
  }
}
