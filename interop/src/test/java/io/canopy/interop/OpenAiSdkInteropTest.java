package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.compute.job.ReceiptLog;
import io.canopy.protocol.compute.CountersignedReceipt;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official {@code openai} npm SDK (7.55.0), unchanged, against {@code canopy daemon --openai}:
 * a real daemon process with the gateway and compute roles (every port ephemeral) serving the tiny
 * test model as {@code tiny} and the built-in {@code all-MiniLM-L6-v2} embedder, and
 * {@code js/openai-sdk.mjs}, which lists models, chats (plain and streamed, with a usage chunk),
 * completes (plain and streamed), embeds (floats and base64) and asks for a model nobody serves.
 * The gateway must keep a verifiable, countersigned receipt for the work it paid for.
 *
 * <p>Needs {@code node} on the PATH (or {@code -Dcanopy.node=/path/to/node}) and the module's
 * {@code node_modules}.
 */
@Tag("interop")
class OpenAiSdkInteropTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path TINY =
      Path.of("..", "compute-node", "src", "test", "resources", "llm", "tiny-f32.gguf").toAbsolutePath();
  private static final String EMBEDDER = "all-MiniLM-L6-v2";

  @TempDir Path tmp;

  @Test
  void theOpenAiSdkWorksAgainstTheDaemonsOpenAiFace() throws Exception {
    assertThat(TINY).exists();
    Path home = tmp.resolve("home");
    Process init = canopy(home, "init");
    assertThat(init.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(init.exitValue()).isZero();

    Process daemon = canopy(home, "daemon", "--listen", "/ip4/127.0.0.1/tcp/0", "--roles", "gateway,compute",
        "--rpc", "127.0.0.1:0", "--s3", "127.0.0.1:0", "--ipfs-gateway", "127.0.0.1:0", "--openai", "127.0.0.1:0",
        "--model", "tiny=" + TINY);
    try {
      String line = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8)).readLine();
      assertThat(line).as("the daemon's ready line (stderr in %s)", tmp.resolve("daemon-stderr.txt")).isNotNull();
      JsonNode ready = JSON.readTree(line);
      String openai = ready.at("/http/openai").asText();
      assertThat(openai).as("the OpenAI face in the ready line %s", line).startsWith("http://");

      JsonNode key = JSON.readTree(run(home, "gateway", "keys", "create", "--account", "alice"));
      String apiKey = key.path("apiKey").asText();
      assertThat(apiKey).isNotEmpty();
      awaitServing(home, "tiny", EMBEDDER);

      JsonNode out = runScript(openai + "/v1", apiKey, "tiny");

      List<String> models = NodeScriptProcess.texts(out.get("models"));
      assertThat(models).contains("tiny", EMBEDDER);

      String content = out.at("/chat/content").asText();
      assertThat(content).as("chat content").isNotEmpty();
      assertThat(out.at("/chat/role").asText()).isEqualTo("assistant");
      assertThat(out.at("/chat/object").asText()).isEqualTo("chat.completion");
      assertThat(out.at("/chatStream/content").asText()).as("greedy: the stream says the same").isEqualTo(content);
      assertThat(out.at("/chatStream/finishReason").asText()).isIn("stop", "length");
      JsonNode usage = out.at("/chatStream/usage");
      assertThat(usage.isObject()).as("a usage chunk (stream_options.include_usage)").isTrue();
      assertThat(usage.path("completion_tokens").asInt()).isPositive();
      assertThat(usage.path("prompt_tokens").asInt()).isPositive();
      assertThat(usage.path("total_tokens").asInt())
          .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt());

      String text = out.at("/completion/text").asText();
      assertThat(text).as("completion text").isNotEmpty();
      assertThat(out.at("/completionStream/text").asText()).isEqualTo(text);

      JsonNode embeddings = out.get("embeddings");
      assertThat(embeddings.path("count").asInt()).isEqualTo(3);
      embeddings.get("lengths").forEach(n -> assertThat(n.asInt()).isEqualTo(384));
      double catKitten = embeddings.path("catKitten").asDouble();
      double catTax = embeddings.path("catTax").asDouble();
      assertThat(catKitten).as("cos(cat, kitten) vs cos(cat, tax) = %s", catTax).isGreaterThan(catTax + 0.2);

      // No encoding_format: the SDK asks for base64 and decodes it itself; an explicit "base64"
      // is handed back as the string (the script decodes it); both must match the floats.
      JsonNode base64 = out.get("base64");
      assertThat(base64.path("defaultDecoded").asBoolean()).as("%s", base64).isTrue();
      assertThat(base64.path("explicitIsString").asBoolean()).as("%s", base64).isTrue();
      assertThat(base64.path("floatLength").asInt()).isEqualTo(384);
      assertThat(base64.path("defaultLength").asInt()).isEqualTo(384);
      assertThat(base64.path("base64Length").asInt()).isEqualTo(384);
      for (int i = 0; i < 3; i++) {
        double expected = base64.at("/floatFirst/" + i).asDouble();
        assertThat(base64.at("/defaultFirst/" + i).asDouble()).as("value %d, SDK-decoded", i).isCloseTo(expected, within(1e-6));
        assertThat(base64.at("/base64First/" + i).asDouble()).as("value %d from base64", i).isCloseTo(expected, within(1e-6));
      }

      JsonNode unknown = out.get("unknownModel");
      assertThat(unknown.path("thrown").asBoolean()).as("unknown model: %s", unknown).isTrue();
      assertThat(unknown.path("status").asInt()).as("unknown model: %s", unknown).isEqualTo(404);
      assertThat(unknown.path("code").asText()).as("unknown model: %s", unknown).isEqualTo("model_not_found");

      Path receiptsFile = home.resolve("receipts.log");
      assertThat(receiptsFile).exists();
      assertThat(Files.size(receiptsFile)).isPositive();
      List<CountersignedReceipt> receipts = ReceiptLog.read(receiptsFile);
      assertThat(receipts).isNotEmpty().allSatisfy(r -> {
        assertThat(r.verify()).isTrue();
        assertThat(r.account()).isEqualTo("alice");
      });
    } finally {
      daemon.destroy();
      if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
        daemon.destroyForcibly();
      }
    }
  }

  /** Polls {@code canopy model ls} until every one of {@code names} is serving (90 s). */
  private void awaitServing(Path home, String... names) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    String last = "";
    while (System.nanoTime() < deadline) {
      last = run(home, "model", "ls");
      String listing = last;
      if (java.util.Arrays.stream(names).allMatch(n -> listing.lines().anyMatch(l -> l.startsWith(n + "  serving")))) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("not all of " + List.of(names) + " serving within 90 s; last `canopy model ls`:\n" + last);
  }

  /** Runs a short canopy command to its end and returns its stdout; fails unless it exits 0. */
  private String run(Path home, String... args) throws Exception {
    Process p = canopy(home, args);
    p.getOutputStream().close();
    CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("canopy %s finished", String.join(" ", args)).isTrue();
    String out = new String(stdout.get(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("canopy %s (stderr in %s): %s", String.join(" ", args),
        tmp.resolve(args[0] + "-stderr.txt"), out).isZero();
    return out;
  }

  private Process canopy(Path home, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "io.canopy.cli.Canopy", "--home", home.toString()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectError(tmp.resolve(args[0] + "-stderr.txt").toFile())
        .start();
  }

  private static JsonNode runScript(String baseUrl, String apiKey, String model) throws Exception {
    Path moduleDir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    if (!Files.exists(moduleDir.resolve("js/openai-sdk.mjs")) && Files.exists(moduleDir.resolve("interop/js"))) {
      moduleDir = moduleDir.resolve("interop"); // run from the repository root
    }
    Path script = moduleDir.resolve("js/openai-sdk.mjs");
    assertThat(script).exists();
    assertThat(moduleDir.resolve("node_modules/openai")).as("npm ci has run in interop/").exists();
    String node = System.getProperty("canopy.node", "node");
    Process process;
    try {
      process = new ProcessBuilder(node, script.toString(), baseUrl, apiKey, model).directory(moduleDir.toFile()).start();
    } catch (IOException e) {
      throw new AssertionError("cannot start '" + node + "' (install Node.js or pass -Dcanopy.node=...)", e);
    }
    process.getOutputStream().close();
    CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
    if (!process.waitFor(180, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("openai-sdk script timed out; stderr:\n"
          + new String(stderr.getNow(new byte[0]), StandardCharsets.UTF_8));
    }
    String err = new String(stderr.get(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as("openai-sdk script exit code; stderr:%n%s", err).isZero();
    return JSON.readTree(stdout.get());
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
