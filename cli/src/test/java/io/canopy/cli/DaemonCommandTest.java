package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code canopy daemon} as a real process: it prints its ready line, answers {@code canopy ping},
 * and stops cleanly on SIGTERM, releasing its port.
 */
class DaemonCommandTest {
  @TempDir Path tmp;

  @Test
  void daemonPrintsOneReadyLineAnswersPingAndStopsOnSigterm() throws Exception {
    Path home = tmp.resolve("home");
    CliRun cli = new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
    cli.run("init").ok();
    String peerId = HomeConfig.JSON.readTree(cli.run("id").ok().out()).get("ID").asText();

    Process daemon = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"),
            Canopy.class.getName(), "--home", home.toString(), "daemon", "--listen", "/ip4/127.0.0.1/tcp/0")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8));
      String readyLine = out.readLine();
      assertThat(readyLine).as("the daemon's ready line").isNotNull().doesNotContain("\n");
      JsonNode ready = HomeConfig.JSON.readTree(readyLine);
      assertThat(ready.get("peerId").asText()).isEqualTo(peerId);
      String addr = ready.get("addrs").get(0).asText();
      assertThat(addr).startsWith("/ip4/127.0.0.1/tcp/").endsWith("/p2p/" + peerId);
      JsonNode api = HomeConfig.JSON.readTree(home.resolve("api").toFile());
      assertThat(ready.get("api").asText()).startsWith("http://127.0.0.1:").isEqualTo(api.get("url").asText());
      assertThat(api.get("token").asText()).hasSizeGreaterThan(40);

      CliRun.Result ping = cli.run("ping", "-n", "2", addr).ok();
      assertThat(ping.out()).startsWith("PING " + peerId + ".");
      assertThat(ping.out().lines().filter(l -> l.startsWith("Pong received: time="))).hasSize(2);

      daemon.destroy(); // SIGTERM
      assertThat(daemon.waitFor(20, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
      assertThat(home.resolve("api")).as("api file removed on a clean stop").doesNotExist();
      int port = Integer.parseInt(addr.split("/")[4]);
      try (Socket s = new Socket("127.0.0.1", port)) {
        throw new AssertionError("port " + port + " still accepts connections after the daemon stopped");
      } catch (ConnectException expected) {
        // the listener is closed
      }
    } finally {
      daemon.destroyForcibly();
    }
  }

  @Test
  void afterKillMinus9CommandsFallBackToTheStores() throws Exception {
    Path home = tmp.resolve("home");
    CliRun cli = new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
    cli.run("init").ok();
    java.nio.file.Files.writeString(tmp.resolve("f.txt"), "kept\n");
    String cid;
    try (Daemons.Proc daemon = Daemons.process(home, tmp.resolve("daemon.err"))) {
      cid = cli.run("add", "-Q", "f.txt").ok().out().strip();
      cli.run("--home", home.toString(), "pin", "ls").ok(); // through the daemon, which holds the lock
      daemon.process().destroyForcibly(); // SIGKILL: no shutdown hook runs
      assertThat(daemon.process().waitFor(20, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(home.resolve("api")).as("left behind by the killed daemon").exists();

    assertThat(cli.run("cat", cid).ok().out()).isEqualTo("kept\n");
    assertThat(cli.run("pin", "ls").ok().out()).isEqualTo(cid + " recursive\n");
    assertThat(home.resolve("api")).as("removed by the first command that found it stale").doesNotExist();
    cli.run("swarm", "peers").failsNaming("no daemon is running on " + home);
  }

  @Test
  void pingOfAnAddressNobodyListensOnFailsWithOneLine() {
    CliRun cli = new CliRun(tmp.resolve("user"), tmp);
    cli.run("ping", "-n", "1", "/ip4/127.0.0.1/tcp/1").failsNaming("/ip4/127.0.0.1/tcp/1");
    cli.run("ping", "not-a-multiaddr").failsNaming("not-a-multiaddr");
  }

  @Test
  void settingsComeFromTheHomesDaemonJsonAndTheCommandLineWins() throws Exception {
    Path home = tmp.resolve("home");
    CliRun cli = new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
    cli.run("init").ok();
    // a gateway by the file, overridden to storage on the command line; the listen address and room come from the file
    java.nio.file.Files.writeString(home.resolve("daemon.json"),
        "{\"roles\": [\"gateway\"], \"listen\": [\"/ip4/127.0.0.1/tcp/0\"], \"storage-max\": \"1GB\", \"fetch-timeout\": \"5s\"}");
    Process daemon = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), Canopy.class.getName(), "--home", home.toString(), "daemon", "--roles", "storage")
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try {
      JsonNode ready = HomeConfig.JSON.readTree(new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8))
          .readLine());
      assertThat(ready.get("roles").toString()).isEqualTo("[\"storage\"]");
      assertThat(ready.get("addrs").get(0).asText()).startsWith("/ip4/127.0.0.1/tcp/");
      daemon.destroy();
      assertThat(daemon.waitFor(20, TimeUnit.SECONDS)).isTrue();
    } finally {
      daemon.destroyForcibly();
    }

    Path bad = tmp.resolve("bad.json");
    java.nio.file.Files.writeString(bad, "{\"storage-maximum\": \"1GB\"}");
    cli.run("daemon", "--config", bad.toString()).failsNaming("unknown setting 'storage-maximum'", "storage-max");
    java.nio.file.Files.writeString(bad, "{\"s3-replicas\": \"three\"}");
    cli.run("daemon", "--config", bad.toString()).failsNaming("'s3-replicas' must be a whole number");
    java.nio.file.Files.writeString(bad, "{\"roles\": [\"storage\",");
    cli.run("daemon", "--config", bad.toString()).failsNaming("bad.json: not JSON");
    java.nio.file.Files.writeString(bad, "[\"storage\"]");
    cli.run("daemon", "--config", bad.toString()).failsNaming("expected a JSON object of settings");
    cli.run("daemon", "--config", tmp.resolve("missing.json").toString()).failsNaming("cannot read the settings file");
  }
}
