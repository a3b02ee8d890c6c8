package io.canopy.compute.bench;

import io.canopy.compute.embed.OnnxEmbedder;
import io.canopy.compute.llm.Generation;
import io.canopy.compute.llm.GenerationParams;
import io.canopy.compute.llm.LlamaModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The compute benchmark behind {@code bench/compute.sh} (issue #6). Not a test: a main on the
 * test classpath, so it neither ships nor runs with {@code mvn test}.
 *
 * <pre>
 * java -cp ... io.canopy.compute.bench.ComputeBenchMain MODEL.gguf [TOKENS=128] [REPS=5] [PROMPT]
 * </pre>
 *
 * <p>{@code -Dcanopy.bench.parts=llm} (or {@code embed}) runs one of the two parts alone.
 *
 * <p>Prints two JSON lines of medians over REPS timed repetitions, each after untimed warm-ups
 * (at least 3 runs and 2 s, for the JIT):
 *
 * <ul>
 *   <li>{@code "bench":"llm"}: the built-in llama engine, loaded with 1 thread and with one per
 *       core. Every repetition is a fresh session that greedily generates TOKENS tokens after BOS
 *       + PROMPT. Prompt eval is timed from the start to the first generated token (the engine
 *       evaluates the prompt one token at a time); generation tokens/s counts the TOKENS - 1
 *       tokens after that, each one a forward pass plus sampling and detokenisation.
 *   <li>{@code "bench":"embed"}: the bundled all-MiniLM-L6-v2 (quantised) on a fixed corpus of 64
 *       sentences of mixed length: every repetition embeds the whole corpus in calls of 1 input
 *       and in calls of 32. With the default config (batch mode {@code AUTO}, which for this
 *       model runs one input per ONNX run so that a vector depends on its text alone) and with
 *       {@code PADDED} batches (one run per call, inputs padded to the longest).
 * </ul>
 *
 * The prompt text and the timing points match {@code bench/llama-cpp/bench.mjs}, so the two can be
 * set side by side.
 */
public final class ComputeBenchMain {
  static final String DEFAULT_PROMPT =
      "The old lighthouse keeper climbed the spiral stairs every evening at dusk, counting each step.";

  private static final long WARM_UP_NANOS = 2_000_000_000L;

  private ComputeBenchMain() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: ComputeBenchMain MODEL.gguf [TOKENS=128] [REPS=5] [PROMPT]");
      System.exit(2);
    }
    Path model = Path.of(args[0]);
    int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    int reps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    String prompt = args.length > 3 ? args[3] : DEFAULT_PROMPT;
    if (tokens < 2 || reps < 1) {
      System.err.println("TOKENS must be >= 2 and REPS >= 1");
      System.exit(2);
    }
    String parts = System.getProperty("canopy.bench.parts", "llm,embed");
    if (parts.contains("llm")) {
      System.out.println(llm(model, tokens, reps, prompt));
    }
    if (parts.contains("embed")) {
      System.out.println(embed(reps));
    }
  }

  // ---- llama engine ------------------------------------------------------------------------

  private record GenRun(double promptTps, double genTps, List<Integer> tokens) {}

  static String llm(Path path, int tokens, int reps, String prompt) throws IOException {
    int cores = Runtime.getRuntime().availableProcessors();
    StringBuilder json = new StringBuilder();
    json.append("{\"bench\":\"llm\",\"engine\":\"canopy\",\"model\":\"").append(path.getFileName())
        .append("\",\"cores\":").append(cores).append(",\"tokens\":").append(tokens)
        .append(",\"reps\":").append(reps);
    List<Integer> first = null;
    for (int threads : cores > 1 ? new int[] {1, cores} : new int[] {1}) {
      try (LlamaModel model = LlamaModel.load(path, threads)) {
        List<Integer> ids = model.tokenizer().encode(prompt, true);
        if (ids.size() + tokens > model.config().contextLength()) {
          throw new IllegalArgumentException("prompt (" + ids.size() + " tokens) + " + tokens
              + " tokens do not fit the model's context of " + model.config().contextLength());
        }
        int ctx = ids.size() + tokens + 1;
        long warmStart = System.nanoTime();
        GenRun warm = null;
        for (int i = 0; i < 3 || System.nanoTime() - warmStart < WARM_UP_NANOS; i++) {
          warm = generateOnce(model, ids, tokens, ctx);
        }
        if (warm.tokens().size() < tokens) {
          System.err.printf("warning: the model ended generation after %d of %d tokens%n", warm.tokens().size(), tokens);
        }
        List<GenRun> runs = new ArrayList<>();
        for (int i = 0; i < reps; i++) {
          runs.add(generateOnce(model, ids, tokens, ctx));
        }
        String key = threads == 1 ? "1" : "All";
        json.append(",\"genTokensPerSec").append(key).append("\":")
            .append(num(median(runs.stream().mapToDouble(GenRun::genTps).toArray())));
        json.append(",\"promptTokensPerSec").append(key).append("\":")
            .append(num(median(runs.stream().mapToDouble(GenRun::promptTps).toArray())));
        json.append(",\"genRuns").append(key).append("\":")
            .append(runs.stream().map(r -> String.format(Locale.ROOT, "%.1f", r.genTps()))
                .collect(Collectors.joining(",", "[", "]")));
        if (first == null) {
          first = warm.tokens();
          json.append(",\"promptTokens\":").append(ids.size()).append(",\"generated\":").append(first.size())
              .append(",\"firstTokens\":").append(first.subList(0, Math.min(16, first.size())).stream()
                  .map(String::valueOf).collect(Collectors.joining(",", "[", "]")));
        }
      }
    }
    return json.append('}').toString();
  }

  private static GenRun generateOnce(LlamaModel model, List<Integer> ids, int tokens, int ctx) {
    long[] firstToken = {0};
    long t0 = System.nanoTime();
    Generation g = model.newSession(ctx).generate(ids, GenerationParams.greedy(tokens), (id, text) -> {
      if (firstToken[0] == 0) {
        firstToken[0] = System.nanoTime();
      }
    });
    long end = System.nanoTime();
    double promptSecs = (firstToken[0] - t0) / 1e9;
    double genSecs = Math.max(1e-9, (end - firstToken[0]) / 1e9);
    return new GenRun(ids.size() / promptSecs, (g.tokens().size() - 1) / genSecs, g.tokens());
  }

  // ---- embeddings --------------------------------------------------------------------------

  /** 64 sentences from 3 to about 90 words, so batches hold inputs of mixed length. */
  static final List<String> CORPUS = List.of(
      "A man is eating food.",
      "A man is eating a piece of bread.",
      "The new movie is awesome.",
      "It rained all night.",
      "The cat sleeps.",
      "Two dogs are running through a field of tall grass.",
      "Community storage and inference cloud nodes pin content by CID and serve embeddings.",
      "The quick brown fox jumps over the lazy dog while the cat watches from the windowsill.",
      "Stock markets fell sharply on Tuesday after the central bank raised interest rates again.",
      "Please restart the router.",
      "How do I reset my password if I no longer have access to the email address on my account?",
      "Photosynthesis converts light energy into chemical energy stored in glucose.",
      "She plays the violin.",
      "The committee will meet next Thursday to review the budget proposal for the coming year.",
      "Water boils at one hundred degrees Celsius at sea level.",
      "Embeddings map sentences to vectors so that similar meanings land close together, which lets a search engine"
          + " find passages that answer a question even when they share no words with it.",
      "A content identifier names a block by the hash of its bytes, so anyone can check that the bytes they"
          + " received are the bytes that were asked for, without trusting whoever sent them.",
      "Hello!",
      "The train to Edinburgh leaves from platform nine at half past seven.",
      "Children were building a sandcastle near the water's edge.",
      "The recipe calls for two cups of flour, one egg, a pinch of salt and a cup of milk, whisked until smooth.",
      "Is this seat taken?",
      "The museum's new wing displays sculptures from the early twentieth century.",
      "Our quarterly revenue grew by twelve percent, driven mostly by subscriptions in Europe and Asia.",
      "The patient reported mild headaches and occasional dizziness over the past two weeks.",
      "Turn left at the second traffic light.",
      "Volcanic eruptions can cool the global climate for a year or two by filling the upper atmosphere with"
          + " sulphate aerosols that reflect sunlight back into space.",
      "He forgot his umbrella.",
      "The library extended its opening hours during the examination period.",
      "A distributed hash table spreads keys across many nodes so that no single machine has to store or"
          + " answer for all of them, and lookups take a logarithmic number of hops.",
      "The bakery on the corner sells the best croissants in town.",
      "Where is the nearest pharmacy?",
      "The spacecraft entered orbit around Jupiter after a five-year journey.",
      "Regular exercise lowers blood pressure and improves sleep.",
      "The orchestra tuned their instruments while the audience took their seats.",
      "Battery life depends on screen brightness, background apps and signal strength.",
      "I love this song.",
      "The contract may be terminated by either party with thirty days' written notice.",
      "Glaciers in the Alps have lost more than half of their volume since 1900.",
      "The software update fixes a bug that caused the application to crash when opening large files.",
      "Bees communicate the location of flowers through a waggle dance.",
      "Dinner is ready.",
      "The city council approved a plan to add protected bike lanes along the main avenue, despite objections"
          + " from some shop owners who worried about losing parking spaces in front of their stores.",
      "The novel follows three generations of a family living on a remote island.",
      "Translate this paragraph into French.",
      "The goalkeeper saved a penalty in the final minute of the match.",
      "Fresh snow covered the mountain pass overnight, closing the road until noon.",
      "Quantum computers use qubits, which can be in a superposition of states.",
      "Thanks for your help yesterday.",
      "The river flooded the low-lying fields after a week of heavy rain.",
      "A greedy decoder always picks the most likely next token, so the same model and prompt give the same text"
          + " every time, which is what makes a result checkable by anyone who runs it again.",
      "Our flight was delayed by three hours because of fog.",
      "The teacher asked the students to write an essay about their summer holidays.",
      "Coffee prices rose after a poor harvest in Brazil.",
      "Open the window, please.",
      "The detective noticed a faint scratch on the lock of the back door.",
      "Solar panels on the roof supply most of the building's electricity in summer.",
      "The marathon route passes the cathedral, crosses the old bridge twice and finishes in the park by the"
          + " river, where volunteers hand out water, bananas and foil blankets to the runners.",
      "My phone is out of battery.",
      "The archaeologists uncovered pottery shards dating back three thousand years.",
      "Vaccines train the immune system to recognise a pathogen without causing the disease.",
      "The hotel room had a view of the harbour.",
      "The band announced a farewell tour across twenty cities next spring.",
      "Good morning, everyone.");

  static String embed(int reps) {
    int cores = Runtime.getRuntime().availableProcessors();
    StringBuilder json = new StringBuilder();
    json.append("{\"bench\":\"embed\",\"model\":\"all-MiniLM-L6-v2-q\",\"cores\":").append(cores)
        .append(",\"inputs\":").append(CORPUS.size()).append(",\"reps\":").append(reps);
    for (OnnxEmbedder.BatchMode mode : new OnnxEmbedder.BatchMode[] {OnnxEmbedder.BatchMode.AUTO,
        OnnxEmbedder.BatchMode.PADDED}) {
      OnnxEmbedder.Config config = OnnxEmbedder.Config.defaults().withBatchMode(mode);
      try (OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2(config)) {
        String m = mode == OnnxEmbedder.BatchMode.AUTO ? "" : "Padded";
        if (mode == OnnxEmbedder.BatchMode.AUTO) {
          long tokens = embedder.embedWithUsage(CORPUS).totalTokens();
          json.append(",\"tokensPerInput\":").append(num(tokens / (double) CORPUS.size()));
        }
        for (int batch : new int[] {1, 32}) {
          if (batch == 1 && mode == OnnxEmbedder.BatchMode.PADDED) {
            continue; // a call of one input is one run in every mode
          }
          long warmStart = System.nanoTime();
          for (int i = 0; i < 3 || System.nanoTime() - warmStart < WARM_UP_NANOS; i++) {
            embedCorpus(embedder, batch);
          }
          double[] rates = new double[reps];
          for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            embedCorpus(embedder, batch);
            rates[i] = CORPUS.size() / ((System.nanoTime() - t0) / 1e9);
          }
          json.append(",\"embedPerSecBatch").append(batch).append(m).append("\":").append(num(median(rates)));
        }
      }
    }
    return json.append('}').toString();
  }

  private static void embedCorpus(OnnxEmbedder embedder, int batch) {
    for (int from = 0; from < CORPUS.size(); from += batch) {
      List<String> inputs = CORPUS.subList(from, Math.min(CORPUS.size(), from + batch));
      if (embedder.embedWithUsage(inputs).vectors().length != inputs.size()) {
        throw new IllegalStateException("wrong number of vectors");
      }
    }
  }

  // ---- helpers -----------------------------------------------------------------------------

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  }

  private static String num(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
