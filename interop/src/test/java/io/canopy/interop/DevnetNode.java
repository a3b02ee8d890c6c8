package io.canopy.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.cli.rpc.ApiEndpoint;
import io.canopy.cli.rpc.RpcClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One node process of a running devnet ({@code ./canopy devnet}), found by its home {@code DIR/NAME}
 * among the devnet's descendants, and what a nemesis does to it: {@code kill -9}, SIGSTOP/SIGCONT,
 * and a restart with the command line it was started with — on the libp2p port it had, as an
 * operator restarting a node would, optionally wrapped (as another user) or with flags added.
 * A restarted node is the test's child, not the devnet's, so {@link #stop} ends it.
 */
final class DevnetNode {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration READY_TIMEOUT = Duration.ofMinutes(2);
  private static final Pattern TCP_PORT = Pattern.compile("^/ip4/127\\.0\\.0\\.1/tcp/(\\d+)");

  final String name;
  final Path home;
  private final Path log;
  private final List<String> command;
  private volatile ProcessHandle process;
  private volatile Process child;
  private volatile int listenPort;
  private volatile List<String> wrapper = List.of();

  private DevnetNode(String name, Path home, Path log, List<String> command, ProcessHandle process) {
    this.name = name;
    this.home = home;
    this.log = log;
    this.command = command;
    this.process = process;
  }

  /** The devnet's node processes, by name (storage-1, …, gateway), read from their command lines. */
  static List<DevnetNode> of(DevnetProcess devnet, Path dir) throws IOException {
    List<DevnetNode> nodes = new ArrayList<>();
    for (ProcessHandle p : devnet.nodes()) {
      List<String> cmd = commandLine(p);
      int home = cmd.indexOf("--home");
      if (home < 0 || !cmd.contains("daemon")) {
        continue; // the devnet's own JVM, or the bash running ./canopy
      }
      Path h = Path.of(cmd.get(home + 1));
      String name = h.getFileName().toString();
      nodes.add(new DevnetNode(name, h, dir.resolve("logs").resolve(name + ".log"), cmd, p));
    }
    return nodes;
  }

  /** /proc/PID/cmdline: ProcessHandle.Info may truncate long argument lists, the kernel's copy does not. */
  private static List<String> commandLine(ProcessHandle p) throws IOException {
    byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
    List<String> args = new ArrayList<>(List.of(new String(raw, StandardCharsets.UTF_8).split("\0")));
    return args;
  }

  long pid() {
    return process.pid();
  }

  int listenPort() {
    return listenPort;
  }

  /** The -cp the node was started with. */
  String classpath() {
    return command.get(command.indexOf("-cp") + 1);
  }

  /** Restarts add {@code args} to the daemon's command line. */
  void addArgs(String... args) {
    command.addAll(List.of(args));
  }

  /** Restarts use {@code classpath} instead. */
  void useClasspath(String classpath) {
    command.set(command.indexOf("-cp") + 1, classpath);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The node's API (its home's api file), while it runs. */
  RpcClient api() throws IOException {
    Optional<ApiEndpoint> endpoint = ApiEndpoint.read(home.resolve("api"));
    return new RpcClient(endpoint.orElseThrow(() -> new IOException(name + " has no api file: not running")));
  }

  /** Remembers the libp2p port the node listens on now (from its API), so that a restart keeps it. */
  void rememberListenPort() throws IOException {
    for (JsonNode a : api().call("id", RpcClient.Query.of()).path("Addresses")) {
      Matcher m = TCP_PORT.matcher(a.asText());
      if (m.find()) {
        listenPort = Integer.parseInt(m.group(1));
        return;
      }
    }
    throw new IOException(name + " lists no /ip4/127.0.0.1/tcp address");
  }

  /** kill -9: no shutdown hook runs, nothing is flushed. */
  void kill() throws InterruptedException {
    signal("KILL");
    process.onExit().orTimeout(30, TimeUnit.SECONDS).join();
  }

  void pause() throws InterruptedException {
    signal("STOP");
  }

  void resume() throws InterruptedException {
    signal("CONT");
  }

  private void signal(String signal) throws InterruptedException {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
      if (kill.waitFor() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + process.pid() + " (" + name + ") failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Starts the node again as it was last started (see {@link #restart(List)}). */
  JsonNode restart() throws IOException, InterruptedException {
    return restart(wrapper);
  }

  /**
   * Starts the node again with its original command line on its old libp2p port, each element of
   * {@code wrapper} put in front (e.g. {@code setpriv --reuid=…}), also for later restarts; returns its
   * ready line once printed.
   */
  JsonNode restart(List<String> wrapper) throws IOException, InterruptedException {
    if (process.isAlive()) {
      throw new IllegalStateException(name + " still runs (pid " + process.pid() + ")");
    }
    this.wrapper = List.copyOf(wrapper);
    List<String> cmd = new ArrayList<>(wrapper);
    for (int i = 0; i < command.size(); i++) {
      String arg = command.get(i);
      if (i > 0 && command.get(i - 1).equals("--listen") && listenPort > 0) {
        arg = "/ip4/127.0.0.1/tcp/" + listenPort;
      }
      cmd.add(arg);
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
    Process p = pb.start();
    p.getOutputStream().close();
    String ready = DevnetProcess.firstLine(p, READY_TIMEOUT);
    if (ready == null) {
      p.destroyForcibly();
      throw new IOException(name + " did not restart within " + READY_TIMEOUT.toSeconds() + " s; see " + log);
    }
    child = p;
    process = p.toHandle();
    return JSON.readTree(ready);
  }

  /** Ends a node this test restarted (SIGCONT first in case it is paused); the devnet ends the others. */
  void stop() throws InterruptedException {
    Process p = child;
    if (p != null && p.isAlive()) {
      resume();
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Override
  public String toString() {
    return name + "(pid " + process.pid() + ")";
  }
}
