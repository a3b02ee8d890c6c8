package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./canopy devnet} as a user meets it, on one devnet of separate processes (the default
 * shape, with the tiny test GGUF as the chat model {@code tiny}), in order:
 *
 * <ol>
 *   <li>the README's quick start: the three pasted commands work — an {@code aws s3 cp}, a {@code
 *       curl /ipfs/CID} of what was put, a {@code curl /v1/embeddings};</li>
 *   <li>every example under {@code examples/}, run exactly as {@code examples/README.md} says
 *       ({@code npm ci} then {@code npm start}, or {@code mvn -q -f examples/s3-java/pom.xml compile
 *       exec:java}) with {@code CANOPY_DEVNET} set to the devnet's JSON line: the CIDs they print
 *       are what {@code canopy add --only-hash} gives the same bytes (and the IPFS gateway serves
 *       those bytes), the search ranks the file that obviously answers each query first, the chat
 *       streams text;</li>
 *   <li>Ctrl-C (SIGTERM) stops every node; started again on the same {@code --dir} it is the same
 *       network: same keys, and the object is still there.</li>
 * </ol>
 *
 * Needs Node.js 20+ with npm, Maven, the AWS CLI and curl on the PATH.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("interop")
class DevnetTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration NPM_CI_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(5);
  private static final Pattern CID_LINE = Pattern.compile("(?m)^cid (\\S+)$");
  private static final Pattern RANK_LINE = Pattern.compile("(?m)^\\s*(\\d+)\\. (-?\\d+\\.\\d+)  (\\S+)$");

  @TempDir static Path tmp;
  private static DevnetProcess devnet;

  private static Path examples() {
    return DevnetProcess.repo().resolve("examples");
  }

  @BeforeAll
  static void startDevnet() throws Exception {
    devnet = DevnetProcess.start(tmp.resolve("devnet"), tmp, devnetArgs());
  }

  /** The README's main command, with the chat model the chat example needs. */
  private static String[] devnetArgs() {
    Path tiny = DevnetProcess.repo().resolve("compute-node/src/test/resources/llm/tiny-f32.gguf").toAbsolutePath();
    return new String[] {"--model", "tiny=" + tiny};
  }

  /** One pasted command line, run by bash with the printed keys exported; its stdout. */
  private static String sh(JsonNode e, String command) throws Exception {
    ProcessBuilder b = new ProcessBuilder("bash", "-c", command).directory(DevnetProcess.repo().toFile())
        .redirectError(ProcessBuilder.Redirect.appendTo(tmp.resolve("commands.err").toFile()));
    b.environment().putAll(Map.of("AWS_ACCESS_KEY_ID", e.path("accessKeyId").asText(), "AWS_SECRET_ACCESS_KEY",
        e.path("secretAccessKey").asText(), "AWS_DEFAULT_REGION", "us-east-1"));
    Process run = b.start();
    String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(run.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(run.exitValue()).as("%s (stderr: %s)", command, Files.readString(tmp.resolve("commands.err"))).isZero();
    return out;
  }

  @Test
  @Order(1)
  void theReadmesQuickStartWorks() throws Exception {
    JsonNode e = devnet.endpoints();
    assertThat(e.fieldNames()).toIterable()
        .contains("s3", "accessKeyId", "secretAccessKey", "ipfsGateway", "rpc", "openai", "apiKey", "dashboard");
    String s3 = e.path("s3").asText();
    sh(e, "aws --endpoint-url " + s3 + " s3 mb s3://demo");
    sh(e, "aws --endpoint-url " + s3 + " s3 cp README.md s3://demo/");
    String cid = sh(e, "aws --endpoint-url " + s3 + " s3api head-object --bucket demo --key README.md --query Metadata.cid --output text")
        .trim();
    assertThat(cid).startsWith("Qm");
    String page = sh(e, "curl -sSf " + e.path("ipfsGateway").asText() + "/ipfs/" + cid);
    assertThat(page).isEqualTo(Files.readString(DevnetProcess.repo().resolve("README.md")));
    JsonNode embedding = JSON.readTree(sh(e, "curl -sSf " + e.path("openai").asText() + "/embeddings -H 'Authorization: Bearer "
        + e.path("apiKey").asText() + "' -H 'Content-Type: application/json' -d '{\"model\":\"all-MiniLM-L6-v2\",\"input\":\"hello\"}'"));
    assertThat(embedding.path("data").get(0).path("embedding").size()).isEqualTo(384);
  }

  @Test
  @Order(9)
  void ctrlCStopsEveryNodeAndARestartOnTheSameDirIsTheSameNetwork() throws Exception {
    JsonNode before = devnet.endpoints();
    assertThat(devnet.nodes()).as("node processes").hasSizeGreaterThanOrEqualTo(10);
    devnet.stop(); // SIGTERM, as Ctrl-C; fails unless the devnet and every node exit
    devnet = null;
    devnet = DevnetProcess.start(tmp.resolve("devnet"), tmp, devnetArgs());
    JsonNode after = devnet.endpoints();
    assertThat(after.path("accessKeyId").asText()).isEqualTo(before.path("accessKeyId").asText());
    String back = sh(after, "aws --endpoint-url " + after.path("s3").asText() + " s3 cp s3://demo/README.md -");
    assertThat(back).isEqualTo(Files.readString(DevnetProcess.repo().resolve("README.md")));
  }

  @AfterAll
  static void stopDevnet() throws Exception {
    if (devnet != null) {
      devnet.stop();
    }
  }

  @Test
  @Order(2)
  void theJavaSdkExampleUploadsAndDownloads() throws Exception {
    // 700 000 bytes: three full 256 KiB chunks and a partial one, so the CID is a DAG's root.
    Path file = tmp.resolve("java-upload.bin");
    Files.write(file, randomBytes(700_000, 1));
    Run run = run(DevnetProcess.repo(), Map.of("CANOPY_DEVNET", devnet.line()), "mvn", "-B", "-q", "-f", "examples/s3-java/pom.xml",
        "compile", "exec:java", "-Dexec.args=" + file);
    run.assertSucceeded();
    String cid = cidIn(run);
    assertThat(cid).isEqualTo(onlyHash(file));
    assertThat(run.stdout()).contains("get: 700000 bytes", "identical", "bytes=233333-237428: identical")
        .containsPattern("(?m)^ok$");
    assertThat(gateway(cid)).as("the IPFS gateway serves the object by its CID").isEqualTo(Files.readAllBytes(file));
  }

  @Test
  @Order(3)
  void theNodeAppPutsThroughS3AndReadsByCidThroughKuboRpc() throws Exception {
    Path app = examples().resolve("node-app");
    npmCi(app);
    Path file = tmp.resolve("node-upload.bin");
    Files.write(file, randomBytes(300_000, 2));
    Run run = run(app, Map.of("CANOPY_DEVNET", devnet.line()), "npm", "start", "--", file.toString());
    run.assertSucceeded();
    String cid = cidIn(run);
    assertThat(cid).isEqualTo(onlyHash(file));
    assertThat(run.stdout())
        .contains("put s3://node-app-example/node-upload.bin (300000 bytes",
            "cat " + cid + ": 300000 bytes, identical to what was put",
            "add --only-hash: " + cid + " (same CID)",
            "block stat " + cid + ": ")
        .containsPattern("(?m)^ok$");
    assertThat(gateway(cid)).isEqualTo(Files.readAllBytes(file));

    // Without a file it uploads a generated text: its CID is that text's.
    Run generated = run(app, Map.of("CANOPY_DEVNET", devnet.line()), "npm", "start");
    generated.assertSucceeded();
    assertThat(generated.stdout()).contains("(same CID)").containsPattern("(?m)^ok$");
    String text = new String(gateway(cidIn(generated)), StandardCharsets.UTF_8);
    assertThat(text).startsWith("Hello from the Canopy node-app example, ");
  }

  @Test
  @Order(4)
  void semanticSearchRanksTheMatchingFileFirst() throws Exception {
    Path search = examples().resolve("semantic-search");
    npmCi(search);
    Map<String, String> queries = Map.of(
        "how do I repair a puncture on my bike", "bicycle.txt",
        "baking a loaf with yeast", "bread.txt",
        "which moons orbit the biggest planet", "astronomy.txt",
        "keeping copies of my files safe", "backups.txt");
    for (Map.Entry<String, String> q : queries.entrySet()) {
      Run run = run(search, Map.of("CANOPY_DEVNET", devnet.line()), "npm", "start", "--", q.getKey());
      run.assertSucceeded();
      assertThat(run.stdout()).contains("query: " + q.getKey(), "5 files in ", "all-MiniLM-L6-v2 (384 dimensions");
      List<String> files = new ArrayList<>();
      List<Double> scores = new ArrayList<>();
      Matcher m = RANK_LINE.matcher(run.stdout());
      while (m.find()) {
        files.add(m.group(3));
        scores.add(Double.parseDouble(m.group(2)));
      }
      assertThat(files).as("ranking for %s:%n%s", q.getKey(), run.stdout())
          .containsExactlyInAnyOrder("astronomy.txt", "backups.txt", "bicycle.txt", "bread.txt", "garden.txt")
          .first().isEqualTo(q.getValue());
      assertThat(scores).as("best first").isSortedAccordingTo((a, b) -> Double.compare(b, a));
      assertThat(scores.get(0) - scores.get(1)).as("a clear winner for %s:%n%s", q.getKey(), run.stdout()).isGreaterThan(0.05);
    }
  }

  @Test
  @Order(5)
  void theChatExampleStreamsAnAnswer() throws Exception {
    Path chat = examples().resolve("chat");
    npmCi(chat);
    awaitModel("tiny");
    Map<String, String> env = Map.of("CANOPY_DEVNET", devnet.line(), "CANOPY_CHAT_MODEL", "tiny", "MAX_TOKENS", "16",
        "TEMPERATURE", "0");
    Run run = run(chat, env, "npm", "start", "--", "Name a tree.");
    run.assertSucceeded();
    String answer = answerIn(run);
    assertThat(answer).as("the streamed answer:%n%s", run.stdout()).isNotBlank();
    Matcher stats = Pattern.compile("\\[tiny: finish_reason (stop|length), (\\d+) prompt \\+ (\\d+) completion tokens")
        .matcher(run.stderr());
    assertThat(stats.find()).as("the usage line on stderr: %s", run.stderr()).isTrue();
    assertThat(Integer.parseInt(stats.group(3))).isBetween(1, 16);

    // Greedy decoding on a deterministic engine: the same answer again.
    Run again = run(chat, env, "npm", "start", "--", "Name a tree.");
    again.assertSucceeded();
    assertThat(answerIn(again)).isEqualTo(answer);

    // No model named: it says which models the devnet serves.
    Run unnamed = run(chat, Map.of("CANOPY_DEVNET", devnet.line()), "npm", "start");
    assertThat(unnamed.exit()).isNotZero();
    assertThat(unnamed.stderr()).contains("set CANOPY_CHAT_MODEL", "tiny", "all-MiniLM-L6-v2");
  }

  // ---- helpers ----

  /** What one command printed and how it ended. */
  private record Run(List<String> command, int exit, String stdout, String stderr) {
    void assertSucceeded() {
      assertThat(exit).as("`%s` exit code%nstdout:%n%s%nstderr:%n%s", String.join(" ", command), stdout, stderr).isZero();
    }
  }

  /** Runs a command in {@code dir} with {@code env} added, to its end (at most 5 minutes). */
  private static Run run(Path dir, Map<String, String> env, String... command) throws Exception {
    ProcessBuilder b = new ProcessBuilder(command).directory(dir.toFile());
    b.environment().putAll(env);
    b.environment().put("NO_COLOR", "1");
    Process p;
    try {
      p = b.start();
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command[0] + " (is it on the PATH?)", e);
    }
    p.getOutputStream().close();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    Duration timeout = command[0].equals("npm") && command.length > 1 && command[1].equals("ci") ? NPM_CI_TIMEOUT : RUN_TIMEOUT;
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      throw new AssertionError("`" + String.join(" ", command) + "` in " + dir + " did not finish within " + timeout.toMinutes()
          + " min; stderr so far:\n" + err.getNow(""));
    }
    return new Run(List.of(command), p.exitValue(), out.get(), err.get());
  }

  /** The example's README step: {@code npm ci} from its committed lockfile. */
  private static void npmCi(Path dir) throws Exception {
    assertThat(dir.resolve("package-lock.json")).exists();
    run(dir, Map.of(), "npm", "ci", "--no-audit", "--no-fund").assertSucceeded();
  }

  private static String cidIn(Run run) {
    Matcher m = CID_LINE.matcher(run.stdout());
    assertThat(m.find()).as("a `cid …` line in:%n%s", run.stdout()).isTrue();
    return m.group(1);
  }

  /** The chat's stdout without npm's own "> name start" header lines. */
  private static String answerIn(Run run) {
    StringBuilder answer = new StringBuilder();
    for (String line : run.stdout().split("\n", -1)) {
      if (!line.startsWith("> ")) {
        answer.append(line).append('\n');
      }
    }
    return answer.toString().strip();
  }

  /** {@code canopy add -Q --only-hash FILE}: the CID Kubo's {@code ipfs add} gives the bytes. */
  private static String onlyHash(Path file) throws Exception {
    Run run = run(tmp, Map.of(), Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), "io.canopy.cli.Canopy", "--home", tmp.resolve("hash-home").toString(), "add", "-Q",
        "--only-hash", file.toString());
    run.assertSucceeded();
    return run.stdout().strip();
  }

  /** GET {ipfsGateway}/ipfs/CID. */
  private static byte[] gateway(String cid) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create(devnet.text("ipfsGateway") + "/ipfs/" + cid))
        .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).as("GET /ipfs/%s", cid).isEqualTo(200);
    return r.body();
  }

  /** Waits (2 min at most) until the gateway lists {@code model}: the compute node has loaded it. */
  private static void awaitModel(String model) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create(devnet.text("openai") + "/models/" + model))
        .header("Authorization", "Bearer " + devnet.text("apiKey")).timeout(Duration.ofSeconds(10)).build();
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    int status = 0;
    while (System.nanoTime() < deadline) {
      status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      if (status == 200) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("the gateway did not list " + model + " within 2 min (last status " + status + ")");
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static String readAll(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
