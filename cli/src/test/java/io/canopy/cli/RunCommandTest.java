package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code canopy run}: the built-in engine from the command line, checked against what llama.cpp
 * generated for the same model and prompt (compute-node's test vectors), from a file and by CID.
 */
class RunCommandTest {
  private static final Path MODEL =
      Path.of("..", "compute-node", "src", "test", "resources", "llm", "tiny-f32.gguf").toAbsolutePath().normalize();
  private static final Path VECTORS = MODEL.resolveSibling("tiny-f32.vectors.json");

  @TempDir Path tmp;

  CliRun cli() {
    return new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", tmp.resolve("home").toString());
  }

  private static JsonNode llamaCppCase(String name) throws Exception {
    for (JsonNode c : HomeConfig.JSON.readTree(VECTORS.toFile()).path("cases")) {
      if (c.path("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no case " + name);
  }

  private static List<Integer> ints(JsonNode array) {
    List<Integer> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asInt()));
    return out;
  }

  @Test
  void greedyRunsReproduceLlamaCpp() throws Exception {
    JsonNode english = llamaCppCase("english");
    String prompt = english.path("prompt").asText();
    JsonNode line = HomeConfig.JSON.readTree(cli().run("run", MODEL.toString(), "--prompt", prompt,
        "--temperature", "0", "--max-tokens", "32", "--json").ok().out());
    assertThat(ints(line.path("prompt_tokens"))).isEqualTo(ints(english.path("prompt_tokens")));
    assertThat(ints(line.path("tokens"))).isEqualTo(ints(english.path("completion_tokens")));
    assertThat(line.path("text").asText()).isEqualTo(english.path("completion_text").asText());
    assertThat(line.path("finish_reason").asText()).isEqualTo("length");

    // Without --json the text streams out as it is generated: the same text.
    String streamed = cli().run("run", MODEL.toString(), "-p", prompt, "--temperature", "0", "-n", "32").ok().out();
    assertThat(streamed).isEqualTo(english.path("completion_text").asText() + "\n");
  }

  @Test
  void aModelByCidAndSeededSamplingRepeat() throws Exception {
    cli().run("init").ok();
    String cid = cli().run("add", "-q", MODEL.toString()).ok().out().trim();
    String[] args = {"run", cid, "--prompt", "Once upon a time", "--temperature", "0.8", "--top-p", "0.9", "--seed", "7",
        "--max-tokens", "16", "--json"};
    JsonNode first = HomeConfig.JSON.readTree(cli().run(args).ok().out());
    JsonNode again = HomeConfig.JSON.readTree(cli().run(args).ok().out());
    assertThat(first.path("tokens").size()).isEqualTo(16);
    assertThat(again.path("tokens")).isEqualTo(first.path("tokens"));
    assertThat(first.path("seed").asLong()).isEqualTo(7);
    args[args.length - 4] = "8";
    JsonNode otherSeed = HomeConfig.JSON.readTree(cli().run(args).ok().out());
    assertThat(otherSeed.path("tokens")).isNotEqualTo(first.path("tokens"));
  }

  @Test
  void badInputIsRefusedWithAReason() throws Exception {
    cli().run("run", tmp.resolve("nope.gguf").toString(), "--prompt", "x").failsNaming("nope.gguf", "not a CID");
    cli().run("run", MODEL.toString(), "--prompt", "x", "--max-tokens", "0").failsNaming("--max-tokens");
    cli().run("run", MODEL.toString(), "--prompt", "x", "--top-p", "2").failsNaming("top");
    Path truncated = tmp.resolve("truncated.gguf");
    byte[] head = new byte[4096];
    try (var in = Files.newInputStream(MODEL)) {
      assertThat(in.readNBytes(head, 0, head.length)).isEqualTo(head.length);
    }
    Files.write(truncated, head);
    cli().run("run", truncated.toString(), "--prompt", "x").failsNaming("truncated.gguf");
    cli().run("run", MODEL.toString(), "--prompt", "word ".repeat(400), "-n", "1").failsNaming("context");
  }
}
