package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code canopy daemon --dashboard HOST:PORT} as an operator runs it: a real process whose ready
 * line names the dashboard in its {@code http} map, serving the node's status there; the flag
 * takes loopback addresses only, and log lines on stderr carry the node's short id.
 */
class DashboardDaemonTest {
  @TempDir Path tmp;

  @Test
  void theReadyLineNamesTheDashboardWhichServesTheNodesStatus() throws Exception {
    Path home = tmp.resolve("home");
    CliRun cli = new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
    cli.run("init").ok();
    Path stderr = tmp.resolve("daemon.err");
    Process p = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"),
            Canopy.class.getName(), "--home", home.toString(), "daemon",
            "--listen", "/ip4/127.0.0.1/tcp/0", "--dashboard", "127.0.0.1:0",
            "--bootstrap", "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWGENcVoVPNfPxX9dqQ7P9Qi2w4AC4JM6gcXSJCc3AhEVM")
        .redirectError(stderr.toFile())
        .start();
    try {
      String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
      assertThat(line).as("ready line (stderr in %s)", stderr).isNotNull();
      JsonNode ready = HomeConfig.JSON.readTree(line);
      String peerId = ready.path("peerId").asText();
      URI dashboard = URI.create(ready.path("http").path("dashboard").asText());
      assertThat(dashboard.getScheme()).isEqualTo("http");
      assertThat(dashboard.getHost()).isEqualTo("127.0.0.1");
      assertThat(dashboard.getPort()).isPositive();

      Daemons.Answer status = Daemons.request(dashboard, "GET", "/status.json", Map.of(), null);
      assertThat(status.status()).isEqualTo(200);
      assertThat(status.json().path("peerId").asText()).isEqualTo(peerId);
      assertThat(status.json().path("settlement").path("source").asText()).isEqualTo("none");
      String token = HomeConfig.JSON.readTree(Files.readString(home.resolve("api"))).path("token").asText();
      assertThat(status.body()).doesNotContain(token);
      assertThat(Daemons.request(dashboard, "GET", "/", Map.of(), null).body()).contains("<title>Canopy node</title>");
      assertThat(Daemons.request(dashboard, "DELETE", "/status.json", Map.of(), null).status()).isEqualTo(405);

      // The failed bootstrap is logged on stderr, prefixed with the node's short id, and kept in the status's events.
      String shortId = peerId.substring(peerId.length() - 6);
      DealCommandTest.waitFor(java.time.Duration.ofSeconds(20), () -> Files.readString(stderr).lines()
          .anyMatch(l -> l.startsWith("[" + shortId + "] bootstrap /ip4/127.0.0.1/tcp/1/p2p/")));
      DealCommandTest.waitFor(java.time.Duration.ofSeconds(5), () -> {
        JsonNode now = Daemons.request(dashboard, "GET", "/status.json", Map.of(), null).json().path("events");
        for (JsonNode e : now) {
          if (e.path("line").asText().startsWith("bootstrap /ip4/127.0.0.1/tcp/1/p2p/")) {
            return true;
          }
        }
        return false;
      });
    } finally {
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void theDashboardListensOnLoopbackOnly() {
    Path home = tmp.resolve("home");
    CliRun cli = new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
    cli.run("init").ok();
    cli.run("daemon", "--listen", "/ip4/127.0.0.1/tcp/0", "--dashboard", "0.0.0.0:7070").failsNaming("--dashboard", "loopback");
    cli.run("daemon", "--listen", "/ip4/127.0.0.1/tcp/0", "--dashboard", "nowhere").failsNaming("--dashboard", "HOST:PORT");
  }
}
