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
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Helia node ({@code js/helia-peer.mjs}: libp2p with TCP, Noise, Yamux, identify and ping, an
 * in-memory blockstore, Bitswap 1.2.0 as its only block broker, no routers) running in a
 * {@code node} child process, driven over its stdin/stdout JSON-lines protocol (documented at the
 * top of the script). Same process handling as {@link JsLibp2pPeer}.
 *
 * <pre>{@code
 * try (HeliaPeer helia = HeliaPeer.start()) {
 *   helia.dial(canopyAddr);
 *   HeliaPeer.CatResult got = helia.cat(cid);
 * }
 * }</pre>
 *
 * <p>Needs {@code node} on the PATH (or {@code -Dcanopy.node=/path/to/node}) and
 * {@code interop/node_modules} (the build's {@code npm ci}). {@code -Dcanopy.heliaDebug=helia:bitswap*}
 * passes {@code DEBUG} to the child, whose Bitswap then logs every message on stderr (kept in
 * {@link #stderr()}, and printed with every failure).
 */
public final class HeliaPeer implements AutoCloseable {
  public static final String BITSWAP_PROTOCOL = "/ipfs/bitswap/1.2.0";

  public static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final int STDERR_KEPT_CHARS = 256 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Object EOF = new Object();

  /** What {@code add} answered: Helia's CID for the file and how many bytes it read. */
  public record AddResult(String cid, long bytes) {}

  /** What {@code cat} answered: the file's length and SHA-256 (hex) as Helia read it. */
  public record CatResult(long bytes, String sha256, double ms) {}

  private final Process process;
  private final List<String> commandLine;
  private final OutputStream stdin;
  private final BlockingQueue<Object> stdoutLines = new LinkedBlockingQueue<>();
  private final StringBuilder stderr = new StringBuilder();
  private final Thread stdoutReader;
  private final Thread stderrReader;
  private final String peerId;
  private final List<String> addrs;
  private final List<String> protocols;
  private long nextId = 1;
  private boolean stdoutEnded;
  private boolean closed;

  /** Starts a Helia node with a random key listening on {@code /ip4/127.0.0.1/tcp/0}. */
  public static HeliaPeer start(String... args) {
    return start(List.of(args), READY_TIMEOUT);
  }

  /** Starts a node whose Ed25519 private key is derived from this 32-byte seed. */
  public static HeliaPeer startWithSeed(byte[] seed, String... moreArgs) {
    List<String> args = new ArrayList<>(List.of("--seed", HexFormat.of().formatHex(seed)));
    args.addAll(List.of(moreArgs));
    return start(args, READY_TIMEOUT);
  }

  /**
   * Starts {@code node js/helia-peer.mjs args...} and waits for its ready line.
   *
   * @throws IllegalStateException if node cannot start, dies or is not ready within {@code timeout}
   */
  public static HeliaPeer start(List<String> args, Duration timeout) {
    Path moduleDir = moduleDir();
    String node = System.getProperty("canopy.node", "node");
    List<String> command = new ArrayList<>();
    command.add(node);
    command.add(moduleDir.resolve("js/helia-peer.mjs").toString());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).directory(moduleDir.toFile());
    String debug = System.getProperty("canopy.heliaDebug");
    if (debug != null && !debug.isBlank()) {
      builder.environment().put("DEBUG", debug);
    }
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot start '" + node + "' (install Node.js or pass -Dcanopy.node=...)", e);
    }
    return new HeliaPeer(process, command, timeout);
  }

  private HeliaPeer(Process process, List<String> commandLine, Duration readyTimeout) {
    this.process = process;
    this.commandLine = List.copyOf(commandLine);
    this.stdin = process.getOutputStream();
    this.stdoutReader = daemon("helia-stdout", () -> readStdout(process.getInputStream()));
    this.stderrReader = daemon("helia-stderr", () -> readStderr(process.getErrorStream()));
    JsonNode ready;
    try {
      String line = nextLine(readyTimeout);
      if (line == null) {
        throw failure("not ready within " + readyTimeout.toSeconds() + " s", null);
      }
      ready = parse(line);
      if (!ready.path("peerId").isTextual() || !ready.path("addrs").isArray()) {
        throw failure("unexpected ready line: " + line, null);
      }
    } catch (RuntimeException e) {
      destroy();
      throw e;
    }
    this.peerId = ready.get("peerId").asText();
    this.addrs = texts(ready.get("addrs"));
    this.protocols = texts(ready.path("protocols"));
  }

  /** The node's peer ID, base58btc ({@code 12D3KooW...}). */
  public String peerId() {
    return peerId;
  }

  /** Its listen addresses, each ending in {@code /p2p/<peerId>}. */
  public List<String> addrs() {
    return addrs;
  }

  /** The first listen address (with {@code /p2p/<peerId>}). */
  public String addr() {
    return addrs.get(0);
  }

  /** The protocols it serves, as it listed them when ready. */
  public List<String> protocols() {
    return protocols;
  }

  /** What the child printed on stderr so far (the last 256 KiB). */
  public String stderr() {
    synchronized (stderr) {
      return stderr.toString();
    }
  }

  /** Dials {@code addr} and waits for identify on that connection: peerId, protocols, agentVersion. */
  public JsonNode dial(String addr) {
    return commandOk(Map.of("cmd", "dial", "addr", addr));
  }

  /**
   * Imports {@code file} with @helia/unixfs into the node's blockstore: fixed {@code chunkSize}
   * chunks, balanced layout with 174 links per node; {@code rawLeaves} null means Kubo's default
   * (raw leaves with CIDv1 only).
   */
  public AddResult add(Path file, int cidVersion, Boolean rawLeaves, int chunkSize) {
    Map<String, Object> cmd = new HashMap<>();
    cmd.put("cmd", "add");
    cmd.put("path", file.toAbsolutePath().toString());
    cmd.put("cidVersion", cidVersion);
    cmd.put("chunkSize", chunkSize);
    if (rawLeaves != null) {
      cmd.put("rawLeaves", rawLeaves);
    }
    JsonNode a = commandOk(cmd);
    return new AddResult(a.get("cid").asText(), a.get("bytes").asLong());
  }

  /**
   * Reads the UnixFS file {@code cid} with @helia/unixfs {@code cat}, fetching missing blocks over
   * Bitswap from connected peers, and writes it to {@code out} if not null.
   */
  public CatResult cat(String cid, Path out, Duration timeout) {
    Map<String, Object> cmd = new HashMap<>();
    cmd.put("cmd", "cat");
    cmd.put("cid", cid);
    cmd.put("timeoutMs", timeout.toMillis());
    if (out != null) {
      cmd.put("out", out.toAbsolutePath().toString());
    }
    JsonNode a = commandOk(cmd, timeout.plusSeconds(10));
    return new CatResult(a.get("bytes").asLong(), a.get("sha256").asText(), a.get("ms").asDouble());
  }

  /** Whether the block is in the node's own blockstore (no network). */
  public boolean has(String cid) {
    return commandOk(Map.of("cmd", "has", "cid", cid)).get("has").asBoolean();
  }

  /** How many blocks the node's blockstore holds. */
  public long blockCount() {
    return commandOk(Map.of("cmd", "blocks")).get("count").asLong();
  }

  /** The IDs of the peers it is connected to. */
  public List<String> peers() {
    return texts(commandOk(Map.of("cmd", "peers")).get("peers"));
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Sends one command and returns its answer, {@code ok} true or false. */
  public synchronized JsonNode command(Map<String, ?> command, Duration timeout) {
    if (closed) {
      throw new IllegalStateException("Helia peer " + peerId + " is closed");
    }
    if (command.containsKey("id")) {
      throw new IllegalArgumentException("\"id\" is set by HeliaPeer");
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

  public JsonNode commandOk(Map<String, ?> command) {
    return commandOk(command, COMMAND_TIMEOUT);
  }

  /** {@link #command}, failing unless the answer has {@code "ok": true}. */
  public JsonNode commandOk(Map<String, ?> command, Duration timeout) {
    JsonNode answer = command(command, timeout);
    if (!answer.path("ok").asBoolean(false)) {
      throw new AssertionError(
          "Helia peer " + peerId + ": " + command + " failed: " + answer.path("error").asText(answer.toString())
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

  @Override
  public String toString() {
    return "HeliaPeer[" + peerId + " " + addrs + "]";
  }

  private static Path moduleDir() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    if (!Files.exists(dir.resolve("js/helia-peer.mjs")) && Files.exists(dir.resolve("interop/js/helia-peer.mjs"))) {
      dir = dir.resolve("interop"); // run from the repository root
    }
    if (!Files.exists(dir.resolve("js/helia-peer.mjs"))) {
      throw new IllegalStateException("js/helia-peer.mjs not found from " + dir);
    }
    if (!Files.isDirectory(dir.resolve("node_modules/helia"))) {
      throw new IllegalStateException("no " + dir.resolve("node_modules/helia")
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
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        synchronized (stderr) {
          stderr.append(line).append('\n');
          if (stderr.length() > STDERR_KEPT_CHARS) {
            stderr.delete(0, stderr.length() - STDERR_KEPT_CHARS);
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
        "Helia peer (" + String.join(" ", commandLine) + "; " + status + "): " + what
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

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array != null) {
      array.forEach(n -> out.add(n.asText()));
    }
    return Collections.unmodifiableList(out);
  }
}
