package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.multiaddr.Multiaddr;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `canopy daemon --roles gateway`: its IPFS gateway serves content the node does not have, fetched
 * from a peer over Bitswap, and `canopy daemon` prints the gateway's URL in its ready line.
 */
class GatewayRoleTest {
  @TempDir Path tmp;

  CliRun cli(Path home) {
    return new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
  }

  @Test
  void theGatewayServesWhatAPeerHas() throws Exception {
    Path homeA = tmp.resolve("a");
    Path homeG = tmp.resolve("g");
    cli(homeA).run("init").ok();
    cli(homeG).run("init").ok();
    try (Daemons.InProcess a = Daemons.inProcess(homeA);
         Daemons.InProcess g = Daemons.inProcessGateway(homeG, List.of(Multiaddr.parse(a.addr())))) {
      byte[] data = new byte[900_000];
      new Random(9).nextBytes(data);
      Path file = tmp.resolve("photo.jpg");
      Files.write(file, data);
      String cid = cli(homeA).run("add", "-q", file.toString()).ok().out().trim();
      cli(homeG).run("swarm", "connect", a.addr()).ok();

      URI gateway = g.node().gateway().orElseThrow().urls().get("ipfsGateway");
      HttpResponse<byte[]> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(gateway.resolve("/ipfs/" + cid)).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(MessageDigest.getInstance("SHA-256").digest(r.body())).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
      assertThat(r.headers().firstValue("ETag")).hasValue("\"" + cid + "\"");
    }
  }

  @Test
  void theReadyLineNamesTheGateway() throws Exception {
    Path home = tmp.resolve("p");
    cli(home).run("init").ok();
    Process p = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
            Canopy.class.getName(), "--home", home.toString(), "daemon", "--listen", "/ip4/127.0.0.1/tcp/0",
            "--roles", "gateway,compute", "--ipfs-gateway", "127.0.0.1:0", "--s3", "127.0.0.1:0", "--rpc", "127.0.0.1:0",
            "--openai", "127.0.0.1:0")
        .redirectError(tmp.resolve("stderr.txt").toFile()).start();
    try {
      String line = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
      var ready = HomeConfig.JSON.readTree(line);
      assertThat(ready.path("roles").toString()).isEqualTo("[\"gateway\",\"compute\"]");
      String url = ready.path("http").path("ipfsGateway").asText();
      assertThat(url).startsWith("http://127.0.0.1:");
      assertThat(ready.path("http").path("s3").asText()).startsWith("http://127.0.0.1:").isNotEqualTo(url);
      assertThat(ready.path("http").path("rpc").asText()).startsWith("http://127.0.0.1:");

      // The OpenAI face takes the API key printed with the S3 key pair; MiniLM is computed by this node's compute role.
      String openAi = ready.path("http").path("openai").asText();
      var key = HomeConfig.JSON.readTree(cli(home).run("gateway", "keys", "create", "--account", "alice").ok().out());
      awaitServing(home, "all-MiniLM-L6-v2");
      assertThat(key.path("apiKey").asText()).startsWith("sk-canopy-" + key.path("accessKeyId").asText() + "-");
      HttpRequest.Builder embeddings = HttpRequest.newBuilder(URI.create(openAi + "/v1/embeddings"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"all-MiniLM-L6-v2\", \"input\": \"a cat on a mat\"}"));
      HttpResponse<String> ok = HttpClient.newHttpClient().send(
          embeddings.copy().header("Authorization", "Bearer " + key.path("apiKey").asText()).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(HomeConfig.JSON.readTree(ok.body()).path("data").get(0).path("embedding").size()).isEqualTo(384);
      HttpResponse<String> wrong = HttpClient.newHttpClient().send(
          embeddings.copy().header("Authorization", "Bearer sk-canopy-" + key.path("accessKeyId").asText() + "-wrong").build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(wrong.body()).contains("invalid_api_key");
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(url + "/ipfs/not-a-cid")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(400);
    } finally {
      p.destroy();
      p.waitFor();
    }
    cli(home).run("daemon", "--roles", "miner").failsNaming("unknown role 'miner'");
  }

  /** Waits until the daemon on {@code home} serves {@code model} ({@code canopy model ls}). */
  void awaitServing(Path home, String model) throws InterruptedException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    String last = "";
    while (System.nanoTime() < deadline) {
      last = cli(home).run("model", "ls").ok().out();
      if (last.lines().anyMatch(l -> l.startsWith(model + "  serving"))) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(model + " not served within 60 s: " + last);
  }
}
