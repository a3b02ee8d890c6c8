package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kubo-rpc-client 7.1.0, unchanged, against {@code canopy daemon --rpc}: a real daemon process
 * (gateway role, every port ephemeral) and {@code js/kubo-rpc-client.mjs}, which adds bytes and a
 * folder (through the client's own globSource and multipart encoding), cats, lists pins and puts,
 * gets and stats a block. CIDs must be the ones ipfs-unixfs-importer makes with Kubo's settings,
 * and bytes must come back unchanged.
 *
 * <p>Needs {@code node} on the PATH (or {@code -Dcanopy.node=/path/to/node}) and the module's
 * {@code node_modules}.
 */
@Tag("interop")
class KuboRpcClientInteropTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void kuboRpcClientWorksAgainstTheDaemonsRpcFace() throws Exception {
    Path content = tmp.resolve("content");
    byte[] blob = new byte[700_000];
    new Random(11).nextBytes(blob);
    Files.createDirectories(content);
    Files.write(content.resolve("blob.bin"), blob);
    Path tree = Files.createDirectories(content.resolve("tree"));
    Files.writeString(tree.resolve("a.txt"), "hello\n");
    Files.writeString(tree.resolve(".hidden"), "globSource skips this without {hidden: true}\n");
    byte[] big = new byte[300_000];
    new Random(12).nextBytes(big);
    Files.createDirectories(tree.resolve("sub/deep"));
    Files.createDirectories(tree.resolve("sub/empty"));
    Files.write(tree.resolve("sub/b.bin"), big);
    Files.writeString(tree.resolve("sub/deep/c.txt"), "deep\n");

    Path home = tmp.resolve("home");
    assertThat(canopy(home, "init").waitFor(60, TimeUnit.SECONDS)).isTrue();
    // A port chosen here, in case the ready line does not name the RPC face.
    int rpcPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      rpcPort = s.getLocalPort();
    }
    Process daemon = canopy(home, "daemon", "--listen", "/ip4/127.0.0.1/tcp/0", "--roles", "gateway",
        "--rpc", "127.0.0.1:" + rpcPort, "--s3", "127.0.0.1:0", "--ipfs-gateway", "127.0.0.1:0", "--openai", "127.0.0.1:0");
    try {
      String line = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8)).readLine();
      assertThat(line).as("the daemon's ready line (stderr in %s)", tmp.resolve("daemon-stderr.txt")).isNotNull();
      JsonNode ready = JSON.readTree(line);
      String rpcUrl = rpcUrl(ready, "http://127.0.0.1:" + rpcPort);

      JsonNode out = runScript(rpcUrl, content);

      assertThat(out.at("/version/version").asText()).isNotEmpty();
      assertThat(out.at("/id/id").asText()).isEqualTo(ready.get("peerId").asText());
      assertThat(out.at("/id/agentVersion").asText()).startsWith("canopy/");
      assertThat(out.at("/id/addresses").size()).isPositive();

      JsonNode add = out.get("add");
      assertThat(add.get("cid").asText()).isEqualTo(add.get("expected").asText()).startsWith("Qm");
      assertThat(add.get("path").asText()).as("an unnamed add is named after its CID").isEqualTo(add.get("cid").asText());
      assertThat(add.get("size").asLong()).isGreaterThan(blob.length);
      assertThat(add.get("cidV1").asText()).isEqualTo(add.get("expectedV1").asText()).startsWith("bafy");
      assertThat(out.at("/cat/equal").asBoolean()).as("cat gives the added bytes").isTrue();
      assertThat(out.at("/cat/rangeEqual").asBoolean()).as("cat offset/length").isTrue();

      JsonNode entries = out.at("/addAll/entries");
      JsonNode expected = out.at("/addAll/expected");
      assertThat(expected.size()).isGreaterThanOrEqualTo(6);
      for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        assertThat(entries.path(e.getKey()).asText()).as("CID of %s", e.getKey()).isEqualTo(e.getValue().asText());
      }
      assertThat(entries.has("tree/.hidden")).as("hidden files are the client's to skip").isFalse();
      assertThat(out.at("/addAll/catNested").asText()).isEqualTo("deep\n");

      List<String> pinned = new ArrayList<>();
      out.get("pins").forEach(p -> {
        assertThat(p.get("type").asText()).isEqualTo("recursive");
        pinned.add(p.get("cid").asText());
      });
      assertThat(pinned).contains(add.get("cid").asText(), add.get("cidV1").asText(), entries.get("tree").asText());

      JsonNode block = out.get("block");
      assertThat(block.get("cid").asText()).startsWith("bafkrei");
      assertThat(block.get("getEqual").asBoolean()).isTrue();
      assertThat(block.get("statCid").asText()).isEqualTo(block.get("cid").asText());
      assertThat(block.get("statSize").asInt()).isEqualTo(block.get("size").asInt());
      assertThat(block.get("dagPb").asText()).as("format dag-pb: CIDv1 dag-pb, as Kubo").startsWith("bafybei");
    } finally {
      daemon.destroy();
      if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
        daemon.destroyForcibly();
      }
    }
  }

  /** The Kubo RPC face's URL among the ready line's {@code http} faces, else {@code fallback}. */
  private static String rpcUrl(JsonNode ready, String fallback) {
    for (Iterator<Map.Entry<String, JsonNode>> it = ready.path("http").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> face = it.next();
      if (face.getKey().toLowerCase(java.util.Locale.ROOT).contains("rpc")) {
        return face.getValue().asText();
      }
    }
    return fallback;
  }

  private Process canopy(Path home, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "io.canopy.cli.Canopy", "--home", home.toString()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectError(tmp.resolve(args[0] + "-stderr.txt").toFile())
        .start();
  }

  private static JsonNode runScript(String rpcUrl, Path content) throws Exception {
    Path moduleDir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    if (!Files.exists(moduleDir.resolve("js/kubo-rpc-client.mjs")) && Files.exists(moduleDir.resolve("interop/js"))) {
      moduleDir = moduleDir.resolve("interop"); // run from the repository root
    }
    Path script = moduleDir.resolve("js/kubo-rpc-client.mjs");
    assertThat(script).exists();
    assertThat(moduleDir.resolve("node_modules/kubo-rpc-client")).as("npm ci has run in interop/").exists();
    String node = System.getProperty("canopy.node", "node");
    Process process;
    try {
      process = new ProcessBuilder(node, script.toString(), rpcUrl, content.toString()).directory(moduleDir.toFile()).start();
    } catch (IOException e) {
      throw new AssertionError("cannot start '" + node + "' (install Node.js or pass -Dcanopy.node=...)", e);
    }
    process.getOutputStream().close();
    CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("kubo-rpc-client script timed out; stderr:\n"
          + new String(stderr.getNow(new byte[0]), StandardCharsets.UTF_8));
    }
    String err = new String(stderr.get(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as("kubo-rpc-client script exit code; stderr:%n%s", err).isZero();
    return JSON.readTree(stdout.get());
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
