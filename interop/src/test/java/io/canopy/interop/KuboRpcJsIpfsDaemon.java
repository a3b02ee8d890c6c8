package io.canopy.interop;

import io.canopy.storage.kubo.KuboRpcConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real js-ipfs daemon ({@code jsipfs daemon}, npm {@code ipfs} 0.66.1 from {@code
 * interop/js-ipfs}) serving the Kubo RPC API on 127.0.0.1, for the tests of the
 * existing-IPFS-daemon backend.
 *
 * <p>Hermetic: a fresh {@code IPFS_PATH} in a temporary folder; the API, gateway and gRPC servers on
 * 127.0.0.1 port 0 (the daemon picks, and prints, free ports: no race for a port chosen here); no
 * swarm listen address, no bootstrap peers, no mDNS, no delegates, no preload, {@code --offline}.
 * It never dials out: it has no address to dial.
 *
 * <p>Needs {@code node} on the PATH (or {@code -Dcanopy.node=...}) and {@code
 * interop/js-ipfs/node_modules} (the build's {@code npm ci}).
 */
final class KuboRpcJsIpfsDaemon implements AutoCloseable {
  static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  private static final String API_LINE = "HTTP API listening on ";
  private static final String READY_LINE = "Daemon is ready";
  private static final int OUTPUT_KEPT_CHARS = 64 * 1024;

  /**
   * Merged into js-ipfs's defaults by {@code --init-config} when it creates the repo. RPC is the
   * gRPC-over-websocket server js-ipfs adds (fixed port 5003 by default: would clash between runs).
   */
  private static final String INIT_CONFIG = """
      {
        "Addresses": {
          "Swarm": [],
          "Announce": [],
          "NoAnnounce": [],
          "API": "/ip4/127.0.0.1/tcp/0",
          "Gateway": "/ip4/127.0.0.1/tcp/0",
          "RPC": "/ip4/127.0.0.1/tcp/0",
          "Delegates": []
        },
        "Bootstrap": [],
        "Discovery": { "MDNS": { "Enabled": false }, "webRTCStar": { "Enabled": false } }
      }
      """;

  private final Path home;
  private final Process process;
  private final StringBuilder output = new StringBuilder();
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final URI apiUrl;
  private volatile boolean stopped;

  private KuboRpcJsIpfsDaemon(Path home, Process process) {
    this.home = home;
    this.process = process;
    Thread reader = new Thread(() -> pump(process.getInputStream()), "js-ipfs-output");
    reader.setDaemon(true);
    reader.start();
    this.apiUrl = awaitReady();
  }

  /** Starts a daemon on a fresh repo and waits until its API answers. */
  static KuboRpcJsIpfsDaemon start() throws IOException {
    Path dir = packageDir();
    Path home = Files.createTempDirectory("canopy-js-ipfs-");
    Path config = home.resolve("init-config.json");
    Files.writeString(config, INIT_CONFIG);
    List<String> command = new ArrayList<>(List.of(
        System.getProperty("canopy.node", "node"), dir.resolve("daemon.mjs").toString(),
        "daemon", "--offline", "--enable-preload=false", "--init-profile", "test",
        "--init-config", config.toString()));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("IPFS_") || k.equals("DEBUG"));
    env.put("IPFS_PATH", home.resolve("repo").toString());
    env.put("HOME", home.toString()); // nothing of the user's ~/.jsipfs is read or written
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      deleteTree(home);
      throw new IllegalStateException("cannot start '" + command.get(0) + "' (install Node.js or pass -Dcanopy.node=...)", e);
    }
    try {
      return new KuboRpcJsIpfsDaemon(home, process);
    } catch (RuntimeException e) {
      process.destroyForcibly();
      deleteTree(home);
      throw e;
    }
  }

  /** {@code http://127.0.0.1:<port>}, as the daemon printed it. */
  URI apiUrl() {
    return apiUrl;
  }

  KuboRpcConfig.Builder config() {
    return KuboRpcConfig.builder().apiUrl(apiUrl);
  }

  /** What the daemon printed so far (stdout and stderr, the last 64 KiB). */
  String output() {
    synchronized (output) {
      return output.toString();
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Stops the daemon (SIGTERM, then SIGKILL after 10 s) and keeps its repo until {@link #close}. */
  void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
    deleteTree(home);
  }

  private URI awaitReady() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    URI api = null;
    while (true) {
      String line;
      try {
        line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw failure("interrupted while starting");
      }
      if (line == null) {
        throw failure(process.isAlive() ? "not ready within " + READY_TIMEOUT.toSeconds() + " s" : "exited while starting");
      }
      if (line.startsWith(API_LINE)) {
        api = KuboRpcConfig.parseApiAddress(line.substring(API_LINE.length()).trim());
      } else if (line.startsWith(READY_LINE)) {
        if (api == null) {
          throw failure("ready, but it printed no API address");
        }
        return api;
      }
    }
  }

  private void pump(InputStream in) {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        lines.add(line);
        synchronized (output) {
          output.append(line).append('\n');
          if (output.length() > OUTPUT_KEPT_CHARS) {
            output.delete(0, output.length() - OUTPUT_KEPT_CHARS);
          }
        }
      }
    } catch (IOException e) {
      // the process is gone
    }
  }

  private IllegalStateException failure(String what) {
    return new IllegalStateException("js-ipfs daemon (IPFS_PATH " + home.resolve("repo") + "): " + what + "\n--- its output ---\n" + output());
  }

  private static Path packageDir() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    if (!Files.exists(dir.resolve("js-ipfs/daemon.mjs")) && Files.exists(dir.resolve("interop/js-ipfs/daemon.mjs"))) {
      dir = dir.resolve("interop"); // run from the repository root
    }
    Path pkg = dir.resolve("js-ipfs");
    if (!Files.exists(pkg.resolve("daemon.mjs"))) {
      throw new IllegalStateException("js-ipfs/daemon.mjs not found from " + dir);
    }
    if (!Files.isDirectory(pkg.resolve("node_modules/ipfs"))) {
      throw new IllegalStateException("no " + pkg.resolve("node_modules/ipfs")
          + ": run the build without -Dcanopy.skipNpm=true, or `npm ci` in interop/js-ipfs/");
    }
    return pkg;
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort: it is a temporary folder
        }
      });
    } catch (IOException e) {
      // best effort
    }
  }
}
