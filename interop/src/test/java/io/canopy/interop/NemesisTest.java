package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.cli.rpc.RpcClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The nemesis: a devnet of separate processes ({@code ./canopy devnet}) under a steady S3 upload
 * load while faults hit it in three waves, then a check that nothing acknowledged was lost and that
 * the network recovered. Throughout, a validator's clock runs 2 s ahead and a storage node's 3 s
 * behind ({@code canopy daemon --clock-offset}):
 *
 * <ol>
 *   <li>wave A: {@code kill -9} of a storage node (restarted after the wave), SIGSTOP of a
 *       validator, and a storage node partitioned from every other node (it runs as its own user;
 *       nftables drops everything it sends and everything sent to its libp2p port);</li>
 *   <li>wave B: {@code kill -9} of the gateway in the middle of uploads (restarted at once on the
 *       same ports), {@code kill -9} of a validator just after an epoch boundary, while it settles
 *       (restarted after the wave), SIGSTOP of a storage node;</li>
 *   <li>wave C, lasting to the end: a storage node whose disk is full (its home on a small tmpfs)
 *       and a storage node lost for good ({@code kill -9}, never restarted).</li>
 * </ol>
 *
 * <p>After the waves every fault is healed (except the lost node, the full disk and the skewed
 * clocks) and the test waits until: every acknowledged PUT reads back with its bytes, every deal
 * of the gateway is held by R replicas on live nodes (the repair loop replaced those on the lost
 * node), and every validator's ledger verifies ({@code canopy ledger verify}), lists consecutive
 * epochs with no gap and none twice, agrees with the others on every record hash and has settled
 * up to the current epoch. It prints operations attempted, acknowledged and lost (must be 0) per
 * wave and the time to recover. Needs root (nftables, tmpfs, another user) and {@code nft} (Debian
 * package nftables; {@code .ci/run} installs it).
 *
 * <p>Before the faults it runs {@link LoadTest}'s mixed load and checks on the healthy devnet.
 * {@code -Dcanopy.nemesis.waveSeconds=N} (default 6) sets how long each wave's faults last and
 * {@code -Dcanopy.nemesis.rounds=N} (default 1) how often waves A and B repeat;
 * {@code bench/reliability.sh} runs a longer version (docs/reliability.md).
 */
@Tag("interop")
class NemesisTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int WAVE_SECONDS = Integer.getInteger("canopy.nemesis.waveSeconds", 6);
  private static final int ROUNDS = Integer.getInteger("canopy.nemesis.rounds", 1);
  private static final Duration RECOVERY_TIMEOUT = Duration.ofMinutes(4);
  private static final Duration REPAIR_INTERVAL = Duration.ofSeconds(2);
  private static final Duration REPLICA_GRACE = Duration.ofSeconds(10);
  /** The user the partitioned node runs as, so that nftables can tell its packets apart on loopback. */
  private static final int PARTITIONED_UID = 47_011;
  private static final String NFT_TABLE = "canopy_nemesis";

  private final Map<String, DevnetNode> nodes = new LinkedHashMap<>();
  private final Map<String, String> peerIds = new LinkedHashMap<>();
  private final List<String> report = new ArrayList<>();
  /**
   * Restarts of nodes whose fault is over, still waiting for their ready line: the next wave does
   * not wait for them (a node coming back is part of what the network lives through), the recovery
   * clock starts once they are all up.
   */
  private final List<CompletableFuture<Void>> restarts = new ArrayList<>();
  private Path tmpfs;

  @Test
  void nothingAcknowledgedIsLostAndTheNetworkRecovers() throws Exception {
    Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
        "the nemesis needs root for nftables, tmpfs and a second user");
    Path root = Files.createTempDirectory("canopy-nemesis");
    sh("chmod 755 " + root); // the partitioned node's user must reach its home and the jar
    Path dir = root.resolve("devnet");
    Path logs = root.resolve("logs");
    int[] ports = freePorts(4);
    try (DevnetProcess devnet = DevnetProcess.start(dir, logs, "--s3", "127.0.0.1:" + ports[0], "--ipfs-gateway",
        "127.0.0.1:" + ports[1], "--rpc", "127.0.0.1:" + ports[2], "--openai", "127.0.0.1:" + ports[3], "--repair-interval",
        REPAIR_INTERVAL.toSeconds() + "s", "--replica-grace", REPLICA_GRACE.toSeconds() + "s")) {
      JsonNode layout = JSON.readTree(dir.resolve("devnet.json").toFile());
      for (DevnetNode n : DevnetNode.of(devnet, dir)) {
        nodes.put(n.name, n);
        n.rememberListenPort();
        peerIds.put(n.name, n.api().call("id", RpcClient.Query.of()).path("ID").asText());
      }
      assertThat(nodes).containsKeys("storage-5", "validator-3", "gateway");
      // Restarts before the load, not faults: the node to be partitioned runs as its own user, and
      // two nodes run with skewed clocks from here to the end.
      CompletableFuture.allOf(
          async(() -> runAsOwnUser(node("storage-4"), root)),
          async(() -> restartSkewed(node("validator-1"), "2s")),
          async(() -> restartSkewed(node("storage-5"), "-3s"))).join();

      try (Uploads uploads = new Uploads(URI.create(devnet.text("s3")), devnet.text("accessKeyId"),
          devnet.text("secretAccessKey"), "nemesis")) {
        // The load test first, on the healthy network (its figures are CI's load figures), then
        // the upload load the faults run under.
        LoadTest.runAndCheck(devnet);
        uploads.start(2);
        wave("baseline, no fault", uploads, () -> sleep(WAVE_SECONDS));
        for (int round = 1; round <= ROUNDS; round++) {
          wave("A" + round + ": kill -9 storage-2, SIGSTOP validator-3, partition storage-4", uploads, this::waveA);
          wave("B" + round + ": kill -9 gateway and validator-2 (settling), SIGSTOP storage-3", uploads,
              () -> waveB(layout));
        }
        wave("C: full disk storage-5, storage-3 lost (clocks: validator-1 +2 s, storage-5 -3 s throughout)", uploads,
            this::waveC);
        // the writers go on while the last faulted nodes come back up
        wave("restarts of the faulted nodes, no new fault", uploads, this::awaitRestarts);
        uploads.stop();
        long healed = System.nanoTime();
        String failure = awaitRecovery(uploads, layout);
        double recoverySeconds = (System.nanoTime() - healed) / 1e9;

        Uploads.Counts total = uploads.counts();
        List<String> unreadable = uploads.unreadable();
        report.add(String.format("total: PUT attempted %d, acknowledged %d, failed %d, lost %d; GET %d, failed %d, wrong bytes %d",
            total.attempted(), total.acknowledged(), total.failed(), unreadable.size(), total.reads(), total.readFailures(),
            total.wrongBytes()));
        report.add(String.format("time to recover after the last fault: %.1f s%s", recoverySeconds,
            failure == null ? "" : " (NOT recovered: " + failure + ")"));
        System.out.println("nemesis report (" + WAVE_SECONDS + " s waves, " + ROUNDS + " round(s)):\n  "
            + String.join("\n  ", report));

        assertThat(unreadable).as("acknowledged PUTs that do not read back with their bytes").isEmpty();
        assertThat(total.wrongBytes()).as("GETs that returned other bytes than were put").isZero();
        assertThat(total.acknowledged()).as("PUTs acknowledged over the run").isGreaterThan(20);
        assertThat(failure).as("recovery within " + RECOVERY_TIMEOUT.toMinutes() + " min").isNull();
        // Whether deals reach the full node before the run ends depends on placement, so its log is
        // not checked for a refusal (DiskFullTest checks that); it must survive the full disk.
        assertThat(node("storage-5").isAlive()).as("the storage node with the full disk still runs").isTrue();
      }
    } finally {
      sh("nft delete table inet " + NFT_TABLE + " 2>/dev/null || true");
      for (DevnetNode n : nodes.values()) {
        n.stop();
      }
      if (tmpfs != null) {
        sh("umount -l " + tmpfs + " || true");
      }
      // The node logs outlive the run, for a failure's post-mortem.
      sh("rm -rf target/nemesis-logs && mkdir -p target/nemesis-logs && cp -r " + dir.resolve("logs") + " target/nemesis-logs/nodes; cp -r "
          + logs + " target/nemesis-logs/test; rm -rf " + root);
    }
  }

  private void waveA() throws Exception {
    awaitRestarts(); // a later round's faults hit nodes that are up again
    DevnetNode storage2 = node("storage-2");
    storage2.kill();
    node("validator-3").pause();
    partition(node("storage-4"));
    sleep(WAVE_SECONDS);
    heal();
    node("validator-3").resume();
    restarts.add(async(storage2::restart));
  }

  private void waveB(JsonNode layout) throws Exception {
    DevnetNode gateway = node("gateway");
    DevnetNode validator2 = node("validator-2");
    node("storage-3").pause();
    // kill -9 right after an epoch boundary: the validators are settling the epoch that just ended.
    sleepUntilEpochBoundary(layout, 300);
    validator2.kill();
    gateway.kill();
    long down = System.nanoTime();
    gateway.restart();
    report.add(String.format("  gateway restarted %.1f s after kill -9", (System.nanoTime() - down) / 1e9));
    sleep(WAVE_SECONDS);
    node("storage-3").resume();
    restarts.add(async(validator2::restart));
  }

  private void waveC() throws Exception {
    DevnetNode storage5 = node("storage-5");
    storage5.kill();
    fillUp(storage5);
    restarts.add(async(storage5::restart));
    node("storage-3").kill();
    sleep(WAVE_SECONDS);
  }

  private void awaitRestarts() {
    CompletableFuture.allOf(restarts.toArray(CompletableFuture[]::new)).join();
    restarts.clear();
  }

  /** What a wave does to the devnet. */
  private interface Faults {
    void inflict() throws Exception;
  }

  /** Runs {@code faults} under the upload load and reports what the load saw meanwhile. */
  private void wave(String name, Uploads uploads, Faults faults) throws Exception {
    Uploads.Counts before = uploads.counts();
    long start = System.nanoTime();
    faults.inflict();
    Uploads.Counts d = uploads.counts().minus(before);
    report.add(String.format("%s: %.1f s, PUT attempted %d, acknowledged %d, failed %d; GET %d, failed %d", name,
        (System.nanoTime() - start) / 1e9, d.attempted(), d.acknowledged(), d.failed(), d.reads(), d.readFailures()));
  }

  /**
   * Restarts {@code node} with the network's time read {@code offset} off (e.g. "2s", "-3s"), with the
   * daemon's fault-injection flag --clock-offset: libfaketime would skew the whole process, but under
   * it the JVM's timed waits return at once and every thread spins.
   */
  private static void restartSkewed(DevnetNode node, String offset) throws Exception {
    node.kill();
    node.addArgs("--clock-offset", offset);
    node.restart(List.of());
  }

  private static CompletableFuture<Void> async(Faults restart) {
    return CompletableFuture.runAsync(() -> {
      try {
        restart.inflict();
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
  }

  /** Restarts {@code node} as {@link #PARTITIONED_UID}, owner of its home, so that nftables can single it out. */
  private void runAsOwnUser(DevnetNode node, Path root) throws Exception {
    node.kill();
    // Its own copy of the jar: the checkout may sit in a folder only root can read (/root on CI).
    Path jar = root.resolve("canopy.jar");
    Files.copy(Path.of(node.classpath()), jar);
    node.useClasspath(jar.toString());
    sh("chmod 644 " + jar + " && chown -R " + PARTITIONED_UID + ":" + PARTITIONED_UID + " " + node.home);
    node.restart(List.of("setpriv", "--reuid=" + PARTITIONED_UID, "--regid=" + PARTITIONED_UID, "--clear-groups"));
  }

  /** Cuts {@code node} off: drops every packet it sends and every packet others send to its libp2p port. */
  private void partition(DevnetNode node) throws Exception {
    sh("nft add table inet " + NFT_TABLE
        + " && nft add chain inet " + NFT_TABLE + " out '{ type filter hook output priority 0; }'"
        + " && nft add rule inet " + NFT_TABLE + " out meta skuid " + PARTITIONED_UID + " drop"
        + " && nft add rule inet " + NFT_TABLE + " out tcp dport " + node.listenPort() + " drop");
  }

  private void heal() throws Exception {
    sh("nft delete table inet " + NFT_TABLE);
  }

  /** Moves the node's home onto a tmpfs with 4 MiB to spare: the next deals fill its disk. */
  private void fillUp(DevnetNode node) throws Exception {
    Path staging = node.home.resolveSibling(node.home.getFileName() + ".staging");
    long used = Long.parseLong(sh("du -sb " + node.home + " | cut -f1").trim());
    sh("cp -a " + node.home + " " + staging + " && mount -t tmpfs -o size=" + (used + (4 << 20)) + " tmpfs " + node.home
        + " && cp -a " + staging + "/. " + node.home + "/ && rm -rf " + staging);
    tmpfs = node.home;
  }

  /**
   * Polls until every acknowledged object reads back, every deal has R replicas on live nodes and the
   * validators agree on a verified, gap-free ledger up to the current epoch; returns null then, or
   * what still fails when {@link #RECOVERY_TIMEOUT} passes.
   */
  private String awaitRecovery(Uploads uploads, JsonNode layout) throws Exception {
    long deadline = System.nanoTime() + RECOVERY_TIMEOUT.toNanos();
    String failure;
    do {
      failure = unrecovered(uploads, layout);
      if (failure == null) {
        return null;
      }
      Thread.sleep(1000);
    } while (System.nanoTime() < deadline);
    return failure;
  }

  private String unrecovered(Uploads uploads, JsonNode layout) throws Exception {
    Set<String> live = nodes.values().stream().filter(DevnetNode::isAlive).map(n -> peerIds.get(n.name))
        .collect(Collectors.toSet());
    JsonNode deals = node("gateway").api().call("deal/ls", RpcClient.Query.of()).path("Deals");
    if (deals.isEmpty()) {
      return "the gateway lists no deals";
    }
    for (JsonNode d : deals) {
      long held = 0;
      for (JsonNode h : d.path("Holders")) {
        if (h.path("State").asText().equals("ACTIVE") && live.contains(h.path("Peer").asText())) {
          held++;
        }
      }
      if (held < d.path("Replicas").asLong()) {
        return "deal " + d.path("ID").asText() + " has " + held + " of " + d.path("Replicas").asLong() + " replicas on live nodes: " + d;
      }
    }
    long epochLength = layout.path("epochLengthMillis").asLong();
    long current = (System.currentTimeMillis() - layout.path("genesis").asLong()) / epochLength;
    Map<Long, String> agreed = new LinkedHashMap<>();
    for (String v : List.of("validator-1", "validator-2", "validator-3")) {
      String verify = canopy(node(v).home, "ledger", "verify");
      if (!verify.startsWith("ledger OK")) {
        return v + ": " + verify;
      }
      Long previous = null;
      for (String line : canopy(node(v).home, "ledger", "epochs").split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        String[] words = line.trim().split("\\s+");
        long epoch = Long.parseLong(words[0]);
        if (previous != null && epoch != previous + 1) {
          return v + " settled epoch " + epoch + " after " + previous + " (a gap or a repeat)";
        }
        previous = epoch;
        String other = agreed.putIfAbsent(epoch, words[1]);
        if (other != null && !other.equals(words[1])) {
          return v + " disagrees on the record of epoch " + epoch;
        }
      }
      if (previous == null || previous < current - 2) {
        return v + " has settled up to epoch " + previous + "; the network is in epoch " + current;
      }
    }
    List<String> unreadable = uploads.unreadable();
    return unreadable.isEmpty() ? null : unreadable.size() + " acknowledged objects unreadable, e.g. " + unreadable.get(0);
  }

  /** {@code canopy --home HOME ARGS…} in its own JVM (what an operator types); its stdout, or its stderr if it failed. */
  private static String canopy(Path home, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), "io.canopy.cli.Canopy", "--home", home.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
      try {
        return p.getErrorStream().readAllBytes();
      } catch (IOException e) {
        return new byte[0];
      }
    });
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return "canopy " + String.join(" ", args) + " did not finish";
    }
    return p.exitValue() == 0 ? out : "canopy " + String.join(" ", args) + " failed: " + new String(err.get(), StandardCharsets.UTF_8);
  }

  private void sleepUntilEpochBoundary(JsonNode layout, long afterMillis) throws InterruptedException {
    long epochLength = layout.path("epochLengthMillis").asLong();
    long sinceGenesis = System.currentTimeMillis() - layout.path("genesis").asLong();
    Thread.sleep(epochLength - Math.floorMod(sinceGenesis, epochLength) + afterMillis);
  }

  private DevnetNode node(String name) {
    DevnetNode n = nodes.get(name);
    if (n == null) {
      throw new AssertionError("the devnet has no node " + name + "; it has " + nodes.keySet());
    }
    return n;
  }

  private static void sleep(int seconds) throws InterruptedException {
    Thread.sleep(seconds * 1000L);
  }

  private static String sh(String script) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("`" + script + "` failed: " + out);
    }
    return out;
  }

  private static int[] freePorts(int n) throws IOException {
    int[] ports = new int[n];
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0);
        held.add(s);
        ports[i] = s.getLocalPort();
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return ports;
  }
}
