package io.canopy.interop;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@code node js/<script> args...} child process that prints one JSON ready line on stdout and
 * then answers newline-delimited JSON commands on stdin with one JSON line each: the process
 * handling shared by {@link JsLibp2pPeer} and {@link HeliaPeer}.
 *
 * <p>The ready line must hold {@code "peerId"} (text) and {@code "addrs"} (array). Every command
 * gets an {@code "id"} (the key is reserved), so the answer to a command that timed out here is
 * recognised and skipped if it arrives later. Commands run one at a time; this class is
 * thread-safe. Stderr is read continuously and its last {@code stderrKeptChars} characters kept,
 * and printed with every failure.
 */
final class NodeScriptProcess implements AutoCloseable {
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Queued by the stdout reader when the child's stdout ends. */
  private static final Object EOF = new Object();

  /**
   * What differs between the scripts.
   *
   * @param script the script, relative to the interop module ({@code js/libp2p-peer.mjs})
   * @param requiredModule a package that must be in {@code node_modules} ({@code libp2p})
   * @param environment extra environment variables for the child
   * @param stderrKeptChars how much of the child's stderr to keep
   * @param threadPrefix prefix of the reader threads' names
   * @param processLabel names the child in process failures ({@code "JS libp2p peer"})
   * @param peerLabel names the peer in command failures ({@code "JS peer"})
   * @param ownerClass the class using this one, for the reserved-"id" message
   */
  record Spec(
      String script,
      String requiredModule,
      Map<String, String> environment,
      int stderrKeptChars,
      String threadPrefix,
      String processLabel,
      String peerLabel,
      String ownerClass) {
    /** This spec with {@code environment} instead. */
    Spec withEnvironment(Map<String, String> environment) {
      return new Spec(script, requiredModule, environment, stderrKeptChars, threadPrefix, processLabel,
          peerLabel, ownerClass);
    }
  }

  private final Spec spec;
  private final Process process;
  private final List<String> commandLine;
  private final OutputStream stdin;
  private final BlockingQueue<Object> stdoutLines = new LinkedBlockingQueue<>();
  private final StringBuilder stderr = new StringBuilder();
  private final Thread stdoutReader;
  private final Thread stderrReader;
  private final JsonNode ready;
  private final String peerId;
  private final List<String> addrs;
  private final List<String> protocols;
  private long nextId = 1;
  private boolean stdoutEnded;
  private boolean closed;

  /**
   * Starts {@code node <script> args...} and waits for its ready line.
   *
   * @throws IllegalStateException if node cannot start, dies or is not ready within {@code timeout}
   *     (the message holds its stderr)
   */
  static NodeScriptProcess start(Spec spec, List<String> args, Duration timeout) {
    Path moduleDir = moduleDir(spec);
    String node = System.getProperty("canopy.node", "node");
    List<String> command = new ArrayList<>();
    command.add(node);
    command.add(moduleDir.resolve(spec.script()).toString());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).directory(moduleDir.toFile());
    builder.environment().putAll(spec.environment());
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot start '" + node + "' (install Node.js or pass -Dcanopy.node=...)", e);
    }
    return new NodeScriptProcess(spec, process, command, timeout);
  }

  private NodeScriptProcess(Spec spec, Process process, List<String> commandLine, Duration readyTimeout) {
    this.spec = spec;
    this.process = process;
    this.commandLine = List.copyOf(commandLine);
    this.stdin = process.getOutputStream();
    this.stdoutReader = daemon(spec.threadPrefix() + "-stdout", () -> readStdout(process.getInputStream()));
    this.stderrReader = daemon(spec.threadPrefix() + "-stderr", () -> readStderr(process.getErrorStream()));
    JsonNode readyLine;
    try {
      String line = nextLine(readyTimeout);
      if (line == null) {
        throw failure("not ready within " + readyTimeout.toSeconds() + " s", null);
      }
      readyLine = parse(line);
      if (!readyLine.path("peerId").isTextual() || !readyLine.path("addrs").isArray()) {
        throw failure("unexpected ready line: " + line, null);
      }
    } catch (RuntimeException e) {
      destroy();
      throw e;
    }
    this.ready = readyLine;
    this.peerId = readyLine.get("peerId").asText();
    this.addrs = texts(readyLine.get("addrs"));
    this.protocols = texts(readyLine.path("protocols"));
  }

  /** {@code --seed <hex>} (the 32-byte Ed25519 key seed) followed by {@code moreArgs}. */
  static List<String> seedArgs(byte[] seed, String... moreArgs) {
    List<String> args = new ArrayList<>(List.of("--seed", HexFormat.of().formatHex(seed)));
    args.addAll(List.of(moreArgs));
    return args;
  }

  /** The ready line: at least {@code peerId} and {@code addrs}. */
  JsonNode ready() {
    return ready;
  }

  /** The peer ID from the ready line. */
  String peerId() {
    return peerId;
  }

  /** The listen addresses from the ready line. */
  List<String> addrs() {
    return addrs;
  }

  /** The protocols from the ready line (none if it listed none). */
  List<String> protocols() {
    return protocols;
  }

  /** What the child printed on stderr so far (the last {@code stderrKeptChars} characters). */
  String stderr() {
    synchronized (stderr) {
      return stderr.toString();
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Sends one command ({@code "cmd"} plus its arguments) and returns the child's answer, whether
   * {@code ok} is true or false.
   *
   * @throws IllegalStateException if the child has died or does not answer within {@code timeout}
   */
  synchronized JsonNode command(Map<String, ?> command, Duration timeout) {
    if (closed) {
      throw new IllegalStateException(spec.peerLabel() + " " + peerId + " is closed");
    }
    if (command.containsKey("id")) {
      throw new IllegalArgumentException("\"id\" is set by " + spec.ownerClass());
    }
    long id = nextId++;
    Map<String, Object> message = new LinkedHashMap<>(command);
    message.put("id", id);
    String line;
    try {
      line = JSON.writeValueAsString(message);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("command is not serialisable as JSON: " + command, e);
    }
    try {
      stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    } catch (IOException e) {
      throw failure("cannot send " + line, e);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String answerLine = nextLine(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      if (answerLine == null) {
        throw failure("no answer within " + timeout.toMillis() + " ms to " + line, null);
      }
      JsonNode answer = parse(answerLine);
      if (answer.path("id").asLong(-1) == id) {
        return answer;
      }
      // the late answer to an earlier command that timed out here: skip it
    }
  }

  /** {@link #command}, failing unless the answer has {@code "ok": true}. */
  JsonNode commandOk(Map<String, ?> command, Duration timeout) {
    JsonNode answer = command(command, timeout);
    if (!answer.path("ok").asBoolean(false)) {
      throw new AssertionError(
          spec.peerLabel() + " " + peerId + ": " + command + " failed: "
              + answer.path("error").asText(answer.toString())
              + "\n--- node stderr ---\n" + stderr());
    }
    return answer;
  }

  /** Sends {@code stop} and waits for the child to exit; destroys it if it does not. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      if (process.isAlive()) {
        try {
          command(Map.of("cmd", "stop"), STOP_TIMEOUT);
        } catch (RuntimeException e) {
          // dead or hung: destroyed below
        }
      }
      closed = true;
    }
    try {
      stdin.close();
    } catch (IOException e) {
      // already gone
    }
    try {
      if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        destroy();
      }
      stdoutReader.join(1000);
      stderrReader.join(1000);
    } catch (InterruptedException e) {
      destroy();
      Thread.currentThread().interrupt();
    }
  }

  /** The texts of a JSON array (none if null), unmodifiable. */
  static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array != null) {
      array.forEach(n -> out.add(n.asText()));
    }
    return Collections.unmodifiableList(out);
  }

  private static Path moduleDir(Spec spec) {
    String script = spec.script();
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    if (!Files.exists(dir.resolve(script)) && Files.exists(dir.resolve("interop").resolve(script))) {
      dir = dir.resolve("interop"); // run from the repository root
    }
    if (!Files.exists(dir.resolve(script))) {
      throw new IllegalStateException(script + " not found from " + dir);
    }
    Path required = dir.resolve("node_modules").resolve(spec.requiredModule());
    if (!Files.isDirectory(required)) {
      throw new IllegalStateException("no " + required
          + ": run the build without -Dcanopy.skipNpm=true, or `npm ci` in interop/");
    }
    return dir;
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void readStdout(InputStream in) {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        stdoutLines.add(line);
      }
    } catch (IOException e) {
      // the process was destroyed
    } finally {
      stdoutLines.add(EOF);
    }
  }

  private void readStderr(InputStream in) {
    int kept = spec.stderrKeptChars();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        synchronized (stderr) {
          stderr.append(line).append('\n');
          if (stderr.length() > kept) {
            stderr.delete(0, stderr.length() - kept);
          }
        }
      }
    } catch (IOException e) {
      // the process was destroyed
    }
  }

  /** The next stdout line, or null on timeout; fails if stdout has ended (the child died). */
  private String nextLine(Duration timeout) {
    if (stdoutEnded) {
      throw failure("it has exited", null);
    }
    Object line;
    try {
      line = stdoutLines.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    if (line == EOF) {
      stdoutEnded = true;
      try {
        process.waitFor(5, TimeUnit.SECONDS);
        stderrReader.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw failure("it has exited", null);
    }
    return (String) line;
  }

  private JsonNode parse(String line) {
    try {
      return JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw failure("non-JSON line on stdout: " + line, e);
    }
  }

  private IllegalStateException failure(String what, Throwable cause) {
    String status = process.isAlive() ? "running" : "exit status " + process.exitValue();
    return new IllegalStateException(
        spec.processLabel() + " (" + String.join(" ", commandLine) + "; " + status + "): " + what
            + "\n--- node stderr ---\n" + stderr(),
        cause);
  }

  private void destroy() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
