package io.canopy.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.canopy.compute.llm.ContextLengthExceededException;
import io.canopy.compute.llm.Generation;
import io.canopy.compute.llm.GgufFormatException;
import io.canopy.compute.llm.GenerationParams;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.compute.llm.TokenListener;
import io.canopy.multiformats.Cid;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code canopy run MODEL --prompt TEXT}: runs a llama GGUF model on this machine with the built-in
 * engine, as {@code ollama run} or {@code llama-cli} do, printing the text as it is generated.
 * MODEL is a file, or the CID of one in the node's store or the network (it is copied to a
 * temporary file first: the engine maps the file into memory). The same model, prompt, parameters
 * and seed give the same tokens on every machine.
 */
@Command(name = "run", description = "Run a llama GGUF model (a file or a CID) on this machine and print what it generates.")
final class RunCommand extends CanopyCommand implements Callable<Integer> {
  @Parameters(paramLabel = "MODEL", description = "A GGUF file, or the CID of one.")
  String model;

  @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "TEXT", description = "The text to continue.")
  String prompt;

  @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "128",
      description = "Tokens to generate at most (default ${DEFAULT-VALUE}).")
  int maxTokens;

  @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.8",
      description = "Sampling temperature; 0 is greedy (default ${DEFAULT-VALUE}).")
  double temperature;

  @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "Nucleus sampling (default ${DEFAULT-VALUE}).")
  double topP;

  @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "Sample among the K likeliest; 0 for all (default ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--seed", paramLabel = "S", description = "The sampler's seed (default: a random one, shown with --json).")
  Long seed;

  @Option(names = "--stop", paramLabel = "TEXT", description = "Stop before this text (repeatable).")
  List<String> stop = new ArrayList<>();

  @Option(names = "--threads", paramLabel = "N", description = "Threads for the matrix products (default: one per core; the output does not depend on it).")
  Integer threads;

  @Option(names = "--json", description = "Print one JSON line at the end instead of the text as it comes.")
  boolean json;

  @Override
  public Integer call() {
    return run(() -> {
      if (maxTokens < 1) {
        throw new CommandException("--max-tokens must be at least 1, got " + maxTokens);
      }
      GenerationParams params;
      long usedSeed = seed != null ? seed : new SecureRandom().nextLong();
      try {
        params = new GenerationParams(maxTokens, temperature, topP, topK, usedSeed, stop);
      } catch (IllegalArgumentException e) {
        throw new CommandException(e.getMessage(), e);
      }
      Path file = Path.of(model);
      Path copy = null;
      if (!Files.isRegularFile(file)) {
        copy = fetch(model);
        file = copy;
      }
      try (LlamaModel llm = load(file)) {
        List<Integer> promptTokens = llm.tokenizer().encode(prompt, true);
        PrintStream out = out();
        TokenListener onToken = json ? TokenListener.NONE : (token, text) -> {
          out.print(text);
          out.flush();
        };
        Generation g;
        try {
          g = llm.newSession().generate(promptTokens, params, onToken);
        } catch (ContextLengthExceededException e) {
          throw new CommandException(e.getMessage(), e);
        }
        if (json) {
          Map<String, Object> line = new LinkedHashMap<>();
          line.put("prompt_tokens", promptTokens);
          line.put("tokens", g.tokens());
          line.put("text", g.text());
          line.put("finish_reason", finishReason(g.finishReason()));
          line.put("seed", usedSeed);
          println(HomeConfig.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(line));
        } else {
          out.println();
        }
      } finally {
        if (copy != null) {
          Files.deleteIfExists(copy);
        }
      }
    });
  }

  private LlamaModel load(Path file) throws IOException {
    try {
      return threads != null ? LlamaModel.load(file, threads) : LlamaModel.load(file);
    } catch (GgufFormatException | IllegalArgumentException e) {
      throw new CommandException(model + ": not a model this engine can run: " + e.getMessage(), e);
    }
  }

  /** OpenAI's names: "stop" when the model or a stop sequence ended it, "length" when a limit did. */
  static String finishReason(Generation.FinishReason reason) {
    return switch (reason) {
      case END_OF_GENERATION, STOP_SEQUENCE -> "stop";
      case MAX_TOKENS, CONTEXT_FULL -> "length";
    };
  }

  /** Copies the model named by a CID into a temporary file, through the node (and so from peers). */
  private Path fetch(String cidOrPath) throws IOException {
    try {
      Cid.parse(cidOrPath.startsWith("/ipfs/") ? cidOrPath.substring(6).split("/", 2)[0] : cidOrPath.split("/", 2)[0]);
    } catch (IllegalArgumentException e) {
      throw new CommandException(cidOrPath + ": no such file, and not a CID");
    }
    Path copy = Files.createTempFile("canopy-model-", ".gguf");
    try (NodeApi node = node(); OutputStream to = Files.newOutputStream(copy)) {
      node.cat(List.of(cidOrPath), 0, -1, to);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(copy);
      throw e;
    }
    return copy;
  }
}
