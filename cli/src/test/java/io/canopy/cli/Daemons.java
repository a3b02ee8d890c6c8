package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.cli.rpc.RpcConfig;
import io.canopy.multiaddr.Multiaddr;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** Daemons for tests: in this JVM ({@link DaemonNode}, fast) or as a real {@code canopy daemon} process. */
final class Daemons {
  /** Short, so that a read of a block nobody has fails quickly. */
  static final Duration FETCH_TIMEOUT = Duration.ofSeconds(2);

  private Daemons() {}

  /** A node on {@code home} in this JVM, listening on a free loopback port; its log lines collected. */
  static InProcess inProcess(Path home) throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    DaemonNode node = DaemonNode.start(new Home(home), new DaemonNode.Options(
        List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), List.of(), DaemonNode.DEFAULT_API_ADDRESS,
        RpcConfig.defaults(), FETCH_TIMEOUT), log::add);
    return new InProcess(node, log);
  }

  /** A node with {@code --roles storage} (when {@code serve}) and the given deal settings, bootstrapped from {@code bootstrap}. */
  static InProcess inProcess(Path home, boolean serve, io.canopy.storage.StorageConfig storage, List<Multiaddr> bootstrap) throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    DaemonNode node = DaemonNode.start(new Home(home), new DaemonNode.Options(
        List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), bootstrap, DaemonNode.DEFAULT_API_ADDRESS,
        RpcConfig.defaults(), FETCH_TIMEOUT, serve, storage, null, null, null), log::add);
    return new InProcess(node, log);
  }

  /** A node with {@code --roles gateway}, its IPFS gateway on a free loopback port. */
  static InProcess inProcessGateway(Path home, List<Multiaddr> bootstrap) throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    DaemonNode node = DaemonNode.start(new Home(home), new DaemonNode.Options(
        List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), bootstrap, DaemonNode.DEFAULT_API_ADDRESS,
        RpcConfig.defaults(), FETCH_TIMEOUT, false, io.canopy.storage.StorageConfig.defaults(), null,
        DaemonNode.GatewayOptions.onFreePorts(), null), log::add);
    return new InProcess(node, log);
  }

  /** A gateway with the given deal settings and faces (storage role off), bootstrapped from {@code bootstrap}. */
  static InProcess inProcessGateway(Path home, io.canopy.storage.StorageConfig storage, DaemonNode.GatewayOptions gateway,
      List<Multiaddr> bootstrap) throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    DaemonNode node = DaemonNode.start(new Home(home), new DaemonNode.Options(
        List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), bootstrap, DaemonNode.DEFAULT_API_ADDRESS,
        RpcConfig.defaults(), FETCH_TIMEOUT, false, storage, null, gateway, null), log::add);
    return new InProcess(node, log);
  }

  /** A node with any {@code options}, its log lines collected. */
  static InProcess inProcess(Path home, DaemonNode.Options options) throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    return new InProcess(DaemonNode.start(new Home(home), options, log::add), log);
  }

  /** {@code canopy daemon}'s options for a node on a free loopback port, no roles, bootstrapped from {@code bootstrap}. */
  static DaemonNode.Options options(List<Multiaddr> bootstrap) {
    return new DaemonNode.Options(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), bootstrap, DaemonNode.DEFAULT_API_ADDRESS,
        RpcConfig.defaults(), FETCH_TIMEOUT);
  }

  record InProcess(DaemonNode node, List<String> log) implements AutoCloseable {
    String addr() {
      return DaemonRoutes.listenAddrs(node.host()).get(0);
    }

    URI api() {
      return node.endpoint().url();
    }

    String token() {
      return node.endpoint().token();
    }

    @Override
    public void close() {
      node.close();
    }
  }

  /** A real {@code canopy daemon} process on {@code home}, once it has printed its ready line. */
  static Proc process(Path home, Path stderr) throws IOException {
    Process p = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"),
            Canopy.class.getName(), "--home", home.toString(), "daemon",
            "--listen", "/ip4/127.0.0.1/tcp/0", "--fetch-timeout", FETCH_TIMEOUT.toSeconds() + "s")
        .redirectError(stderr.toFile())
        .start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    assertThat(line).as("ready line of the daemon (stderr in %s)", stderr).isNotNull();
    return new Proc(p, HomeConfig.JSON.readTree(line));
  }

  record Proc(Process process, JsonNode ready) implements AutoCloseable {
    @Override
    public void close() {
      process.destroyForcibly();
    }
  }

  /** A raw request to an API, for what the CLI never sends. */
  record Answer(int status, String body) {
    JsonNode json() throws IOException {
      return HomeConfig.JSON.readTree(body);
    }
  }

  static Answer request(URI api, String method, String pathAndQuery, Map<String, String> headers, byte[] body) throws IOException {
    HttpURLConnection c = (HttpURLConnection) api.resolve(pathAndQuery).toURL().openConnection();
    c.setRequestMethod(method);
    headers.forEach(c::setRequestProperty);
    if (body != null) {
      c.setDoOutput(true);
      c.setFixedLengthStreamingMode(body.length);
      try (OutputStream out = c.getOutputStream()) {
        out.write(body);
      }
    }
    int status = c.getResponseCode();
    InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
    String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    return new Answer(status, text);
  }

  static Map<String, String> bearer(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }
}
