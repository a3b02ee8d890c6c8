package io.canopy.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ./canopy devnet --json} started from the repository root, as a user types it: waits for
 * its one JSON line (the endpoints and keys) and stops it as Ctrl-C does (SIGTERM to the devnet,
 * which stops its node processes). Every face of the gateway is put on a free port (the defaults
 * 9000, 8080, 5001 and 8000 may be taken on a CI machine). Stderr goes to {@code devnet.err} in
 * the folder given.
 */
final class DevnetProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** 4 minutes; {@code -Dcanopy.devnet.startMinutes=N} for a machine loaded by other work. */
  private static final Duration START_TIMEOUT = Duration.ofMinutes(Long.getLong("canopy.devnet.startMinutes", 4));
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration NODE_STOP_TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final JsonNode endpoints;
  private final Path stderr;

  private DevnetProcess(Process process, JsonNode endpoints, Path stderr) {
    this.process = process;
    this.endpoints = endpoints;
    this.stderr = stderr;
  }

  /** The repository root: tests run from interop/ (or from the root). */
  static Path repo() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    return Files.exists(dir.resolve("canopy")) ? dir : dir.getParent();
  }

  /**
   * Starts {@code ./canopy devnet --json --dir DIR --epoch-length 5s} with every face not named in
   * {@code extraArgs} on a free port, plus {@code extraArgs} ({@code --storage 3}, {@code --model NAME=FILE}, …), and returns
   * once it printed its JSON line (at most 4 minutes, or {@code canopy.devnet.startMinutes}).
   *
   * @param logs where {@code devnet.err} (the devnet's stderr) is appended
   */
  static DevnetProcess start(Path dir, Path logs, String... extraArgs) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", "./canopy", "devnet", "--json", "--dir", dir.toString(),
        "--epoch-length", "5s"));
    for (String face : List.of("--s3", "--ipfs-gateway", "--rpc", "--openai")) {
      if (!List.of(extraArgs).contains(face)) { // a caller that restarts the gateway keeps its faces on fixed ports
        command.addAll(List.of(face, "127.0.0.1:0"));
      }
    }
    command.addAll(List.of(extraArgs));
    Files.createDirectories(logs);
    Path err = logs.resolve("devnet.err");
    Process p = new ProcessBuilder(command)
        .directory(repo().toFile())
        .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()))
        .start();
    p.getOutputStream().close();
    String ready = firstLine(p, START_TIMEOUT);
    if (ready == null) {
      destroyTree(p);
      throw new AssertionError("`" + String.join(" ", command) + "` printed no JSON line within " + START_TIMEOUT.toMinutes()
          + " min; stderr:\n" + Files.readString(err));
    }
    return new DevnetProcess(p, JSON.readTree(ready), err);
  }

  /** The first line {@code p} prints on stdout within {@code timeout}, or null (it printed none or exited). */
  static String firstLine(Process p, Duration timeout) {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        return null;
      }
    });
    try {
      return line.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The devnet's JSON line: {@code s3}, {@code accessKeyId}, …, {@code dashboard}. */
  JsonNode endpoints() {
    return endpoints;
  }

  /** The JSON line as printed (compact), for {@code CANOPY_DEVNET}. */
  String line() {
    try {
      return JSON.writeValueAsString(endpoints);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One value of the JSON line; fails if it is missing or empty. */
  String text(String key) {
    String v = endpoints.path(key).asText("");
    if (v.isEmpty()) {
      throw new AssertionError("the devnet's JSON line has no \"" + key + "\": " + endpoints);
    }
    return v;
  }

  /** The node processes the devnet runs now (its descendants). */
  List<ProcessHandle> nodes() {
    return process.descendants().toList();
  }

  /** What the devnet printed on stderr so far. */
  String stderr() throws IOException {
    return Files.readString(stderr);
  }

  /**
   * Ctrl-C: SIGTERM to the devnet, which must exit within a minute and take every node process
   * with it; fails (after killing what is left) otherwise.
   */
  void stop() throws Exception {
    List<ProcessHandle> nodes = nodes();
    process.destroy();
    boolean exited = process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    List<ProcessHandle> left = new ArrayList<>();
    for (ProcessHandle n : nodes) {
      try {
        n.onExit().get(NODE_STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        left.add(n);
      }
    }
    if (!exited || !left.isEmpty()) {
      left.forEach(ProcessHandle::destroyForcibly);
      destroyTree(process);
      throw new AssertionError("after SIGTERM: devnet exited " + exited + ", node processes still running " + left);
    }
  }

  /** Stops the devnet if still running (for cleanup after a failure; {@link #stop} checks the stop). */
  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      stop();
    }
  }

  private static void destroyTree(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }
}
