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
 * A js-libp2p peer ({@code js/libp2p-peer.mjs}: TCP, Noise, Yamux, identify, ping and the
 * {@code /canopy/echo/1.0.0} echo protocol; with {@link #KAD_DHT_FLAG} also @libp2p/kad-dht in
 * server mode) running in a {@code node} child process, driven over its stdin/stdout JSON-lines
 * protocol (documented at the top of the script).
 *
 * <pre>{@code
 * try (JsLibp2pPeer js = JsLibp2pPeer.start()) {
 *   JsonNode dial = js.commandOk(Map.of("cmd", "dial", "addr", someAddr));
 * }
 * }</pre>
 *
 * <p>Needs {@code node} on the PATH (or {@code -Dcanopy.node=/path/to/node}) and
 * {@code interop/node_modules} (the build's {@code npm ci}). The working directory must be the
 * interop module (as under Surefire) or the repository root. The child exits by itself when its
 * stdin closes, so a JVM that dies does not leave peers behind.
 *
 * <p>Commands run one at a time in the child; this class is thread-safe, but callers share that
 * single queue. Every command gets an {@code "id"} (the key is reserved), so the answer to a
 * command that timed out here is recognised and skipped if it arrives later.
 */
public final class JsLibp2pPeer implements AutoCloseable {
  public static final String ECHO_PROTOCOL = "/canopy/echo/1.0.0";
  public static final String IDENTIFY_PROTOCOL = "/ipfs/id/1.0.0";
  public static final String PING_PROTOCOL = "/ipfs/ping/1.0.0";
  public static final String KAD_PROTOCOL = "/ipfs/kad/1.0.0";
  /** Starts the peer with @libp2p/kad-dht in server mode ({@code --kad-dht}). */
  public static final String KAD_DHT_FLAG = "--kad-dht";

  public static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
  private static final int STDERR_KEPT_CHARS = 64 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Queued by the stdout reader when the child's stdout ends. */
  private static final Object EOF = new Object();

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

  /** Starts a peer with a random key listening on {@code /ip4/127.0.0.1/tcp/0}. */
  public static JsLibp2pPeer start(String... args) {
    return start(List.of(args), READY_TIMEOUT);
  }

  /** Starts a peer whose Ed25519 private key is derived from this 32-byte seed. */
  public static JsLibp2pPeer startWithSeed(byte[] seed, String... moreArgs) {
    List<String> args = new ArrayList<>(List.of("--seed", HexFormat.of().formatHex(seed)));
    args.addAll(List.of(moreArgs));
    return start(args, READY_TIMEOUT);
  }

  /**
   * Starts {@code node js/libp2p-peer.mjs args...} and waits for its ready line.
   *
   * @throws IllegalStateException if node cannot start, dies or is not ready within {@code timeout}
   *     (the message holds its stderr)
   */
  public static JsLibp2pPeer start(List<String> args, Duration timeout) {
    Path moduleDir = moduleDir();
    String node = System.getProperty("canopy.node", "node");
    List<String> command = new ArrayList<>();
    command.add(node);
    command.add(moduleDir.resolve("js/libp2p-peer.mjs").toString());
    command.addAll(args);
    Process process;
    try {
      process = new ProcessBuilder(command).directory(moduleDir.toFile()).start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot start '" + node + "' (install Node.js or pass -Dcanopy.node=...)", e);
    }
    return new JsLibp2pPeer(process, command, timeout);
  }

  private JsLibp2pPeer(Process process, List<String> commandLine, Duration readyTimeout) {
    this.process = process;
    this.commandLine = List.copyOf(commandLine);
    this.stdin = process.getOutputStream();
    this.stdoutReader = daemon("js-peer-stdout", () -> readStdout(process.getInputStream()));
    this.stderrReader = daemon("js-peer-stderr", () -> readStderr(process.getErrorStream()));
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

  /** The peer's ID, base58btc ({@code 12D3KooW...}). */
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

  /** What the child printed on stderr so far (the last 64 KiB). */
  public String stderr() {
    synchronized (stderr) {
      return stderr.toString();
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Sends one command and returns its answer, {@code ok} true or false, waiting 60 s at most. */
  public JsonNode command(Map<String, ?> command) {
    return command(command, COMMAND_TIMEOUT);
  }

  /**
   * Sends one command ({@code "cmd"} plus its arguments) and returns the child's answer, whether
   * {@code ok} is true or false.
   *
   * @throws IllegalStateException if the child has died or does not answer within {@code timeout}
   */
  public synchronized JsonNode command(Map<String, ?> command, Duration timeout) {
    if (closed) {
      throw new IllegalStateException("JS peer " + peerId + " is closed");
    }
    if (command.containsKey("id")) {
      throw new IllegalArgumentException("\"id\" is set by JsLibp2pPeer");
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

  /** {@link #command(Map)}, failing unless the answer has {@code "ok": true}. */
  public JsonNode commandOk(Map<String, ?> command) {
    return commandOk(command, COMMAND_TIMEOUT);
  }

  /** {@link #command(Map, Duration)}, failing unless the answer has {@code "ok": true}. */
  public JsonNode commandOk(Map<String, ?> command, Duration timeout) {
    JsonNode answer = command(command, timeout);
    if (!answer.path("ok").asBoolean(false)) {
      throw new AssertionError(
          "JS peer " + peerId + ": " + command + " failed: " + answer.path("error").asText(answer.toString())
              + "\n--- node stderr ---\n" + stderr());
    }
    return answer;
  }

  /** Dials {@code addr} and waits for identify: peerId, protocols, agentVersion, listenAddrs. */
  public JsonNode dial(String addr) {
    return command(Map.of("cmd", "dial", "addr", addr));
  }

  /** Pings {@code addr} {@code count} times over new streams: rttMs. */
  public JsonNode ping(String addr, int count) {
    return command(Map.of("cmd", "ping", "addr", addr, "count", count));
  }

  /** Opens {@code streams} concurrent echo streams to {@code addr}, {@code bytes} each. */
  public JsonNode echo(String addr, int streams, long bytes) {
    return command(Map.of("cmd", "echo", "addr", addr, "streams", streams, "bytes", bytes));
  }

  /** The IDs of the peers it is connected to. */
  public List<String> peers() {
    return texts(commandOk(Map.of("cmd", "peers")).get("peers"));
  }

  /** Announces that it provides {@code cid} (a CID string) on the DHT. Needs {@link #KAD_DHT_FLAG}. */
  public void kadProvide(String cid) {
    commandOk(Map.of("cmd", "kadProvide", "cid", cid));
  }

  /** Up to {@code max} providers of {@code cid} found on the DHT: each {@code {"id", "addrs"}}. */
  public JsonNode kadFindProviders(String cid, int max) {
    return commandOk(Map.of("cmd", "kadFindProviders", "cid", cid, "max", max)).get("providers");
  }

  /** The peer's {@code {"id", "addrs"}} as a DHT lookup finds it, or a JSON null. */
  public JsonNode kadFindPeer(String peerId) {
    return commandOk(Map.of("cmd", "kadFindPeer", "peerId", peerId)).get("peer");
  }

  /** The IDs of the peers in its DHT routing table. */
  public List<String> kadRoutingTable() {
    return texts(commandOk(Map.of("cmd", "kadRoutingTable")).get("peers"));
  }

  /**
   * Sends {@code stop} and waits for the child to exit; destroys it if it does not. Idempotent.
   */
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
    return "JsLibp2pPeer[" + peerId + " " + addrs + "]";
  }

  private static Path moduleDir() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    if (!Files.exists(dir.resolve("js/libp2p-peer.mjs")) && Files.exists(dir.resolve("interop/js/libp2p-peer.mjs"))) {
      dir = dir.resolve("interop"); // run from the repository root
    }
    if (!Files.exists(dir.resolve("js/libp2p-peer.mjs"))) {
      throw new IllegalStateException("js/libp2p-peer.mjs not found from " + dir);
    }
    if (!Files.isDirectory(dir.resolve("node_modules/libp2p"))) {
      throw new IllegalStateException("no " + dir.resolve("node_modules/libp2p")
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
        "JS libp2p peer (" + String.join(" ", commandLine) + "; " + status + "): " + what
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
