package io.canopy.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.canopy.gateway.openai.AccessKeyApiKeys;
import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import io.canopy.identity.PeerId;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.ledger.Ledger;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code canopy devnet}: a whole network on this machine, one {@code canopy daemon} process per
 * node, each with its own home under the devnet folder and its own ports, bootstrapped to the
 * first storage node, with short epochs so that proofs and payouts show within a minute. Prints
 * the endpoints and keys an app needs once every node is ready (and the gateway routes
 * embeddings); Ctrl-C stops every node.
 *
 * <p>The folder keeps {@code devnet.json} (network id, genesis, shape, the S3/OpenAI key) so a
 * devnet started again with {@code --dir} is the same network: same identities, deals, ledger.
 */
@Command(name = "devnet", description = "Run a whole Canopy network on this machine (storage, compute and validator nodes and a "
    + "gateway, each its own process) until Ctrl-C.")
final class DevnetCommand extends CanopyCommand implements Callable<Integer> {
  static final String ACCOUNT = "devnet";
  /** What the gateway's own escrow and the devnet account start with on every validator's ledger (micro-credits). */
  static final long GATEWAY_DEPOSIT = 1_000_000_000_000_000L;
  static final long ACCOUNT_DEPOSIT = 1_000_000_000_000L;
  /** The price S3 objects are stored at: 1000 credits per GiB-epoch. */
  static final long S3_PRICE = 1_000_000_000L;
  static final String MINILM = ComputeService.MINILM_NAME;
  private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);

  @Option(names = "--dir", paramLabel = "DIR",
      description = "Keep the devnet's homes, logs and keys here and reuse them on the next run (default: a temporary folder, removed "
          + "at exit).")
  Path dir;

  @Option(names = "--storage", paramLabel = "N", defaultValue = "5", description = "Storage nodes (default ${DEFAULT-VALUE}).")
  int storage;

  @Option(names = "--compute", paramLabel = "N", defaultValue = "1", description = "Compute nodes (default ${DEFAULT-VALUE}).")
  int compute;

  @Option(names = "--validators", paramLabel = "N", defaultValue = "3", description = "Validators (default ${DEFAULT-VALUE}).")
  int validators;

  @Option(names = "--epoch-length", paramLabel = "DURATION", defaultValue = "10s",
      description = "Epoch length of a new devnet (default ${DEFAULT-VALUE}).")
  String epochLength;

  @Option(names = "--model", paramLabel = "NAME=FILE|CID|URL",
      description = "A model the compute nodes serve besides MiniLM (repeatable), e.g. a chat GGUF: --model tinyllama=./tinyllama.gguf.")
  List<String> models = new ArrayList<>();

  @Option(names = "--repair-interval", paramLabel = "DURATION", defaultValue = "1m",
      description = "How often the gateway checks the replicas of its deals (default ${DEFAULT-VALUE}).")
  String repairInterval;

  @Option(names = "--replica-grace", paramLabel = "DURATION", defaultValue = "5m",
      description = "How long a replica may fail its checks before the gateway replaces it (default ${DEFAULT-VALUE}).")
  String replicaGrace;

  @Option(names = "--s3", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9000", description = "S3 API (default ${DEFAULT-VALUE}).")
  String s3;

  @Option(names = "--ipfs-gateway", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
      description = "IPFS gateway (default ${DEFAULT-VALUE}).")
  String ipfsGateway;

  @Option(names = "--rpc", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:5001",
      description = "Kubo RPC API (default ${DEFAULT-VALUE}).")
  String rpc;

  @Option(names = "--openai", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8000",
      description = "OpenAI-compatible API (default ${DEFAULT-VALUE}).")
  String openAi;

  @Option(names = "--json", description = "Print the endpoints as one JSON line (keys s3, accessKeyId, secretAccessKey, ipfsGateway, "
      + "rpc, openai, apiKey, dashboard) once every node is ready.")
  boolean json;

  private volatile boolean stopping;

  /** One node of the devnet: its name, home and the roles and flags its daemon gets. */
  record NodeSpec(String name, String roles, List<String> flags) {}

  /** A started node: its process and the ready line it printed. */
  record Node(NodeSpec spec, Process process, JsonNode ready) {}

  @Override
  public Integer call() {
    return run(() -> {
      if (storage < 1 || storage > 32 || compute < 0 || compute > 8 || validators < 1 || validators > 16) {
        throw new CommandException("--storage 1..32, --compute 0..8, --validators 1..16");
      }
      boolean temporary = dir == null;
      Path root = temporary ? Files.createTempDirectory("canopy-devnet") : dir.toAbsolutePath();
      Files.createDirectories(root.resolve("logs"));
      PrintStream err = env().stderr();
      List<Node> nodes = new ArrayList<>();
      CountDownLatch stopped = new CountDownLatch(1);
      Thread shutdown = new Thread(() -> {
        stop(nodes);
        if (temporary) {
          deleteQuietly(root);
        }
        stopped.countDown();
      }, "canopy-devnet-shutdown");
      Runtime.getRuntime().addShutdownHook(shutdown);
      try {
        Layout layout = Layout.prepare(root, storage, compute, validators, DaemonCommand.duration(epochLength, "--epoch-length"));
        err.println("devnet " + layout.networkId() + " in " + root + ": starting " + storage + " storage, " + compute + " compute, "
            + validators + " validator" + (validators == 1 ? "" : "s") + " and a gateway (epochs of "
            + DaemonCommand.humanDuration(Duration.ofMillis(layout.epochLengthMillis())) + "; logs in " + root.resolve("logs") + ")");
        start(layout, root, nodes, err);
        Node gateway = nodes.stream().filter(n -> n.spec().name().equals("gateway")).findFirst().orElseThrow();
        JsonNode http = gateway.ready().path("http");
        awaitModel(URI.create(http.path("openai").asText()), layout.apiKey());
        print(layout, http);
      } catch (Exception e) {
        stop(nodes);
        throw e;
      }
      stopped.await(); // released by the shutdown hook (Ctrl-C, SIGTERM)
    });
  }

  /** The devnet folder's saved shape and keys: created on the first run, reused (and checked) after. */
  record Layout(String networkId, long genesisMillis, long epochLengthMillis, List<NodeSpec> nodes, List<String> validatorIds,
                String accessKeyId, String secretAccessKey, String apiKey) {

    static Layout prepare(Path root, int storage, int compute, int validators, Duration epoch) throws Exception {
      Path file = root.resolve("devnet.json");
      List<NodeSpec> specs = new ArrayList<>();
      for (int i = 1; i <= storage; i++) {
        specs.add(new NodeSpec("storage-" + i, "storage", List.of("--storage-max", "2GB")));
      }
      for (int i = 1; i <= compute; i++) {
        specs.add(new NodeSpec("compute-" + i, "compute", List.of()));
      }
      for (int i = 1; i <= validators; i++) {
        specs.add(new NodeSpec("validator-" + i, "validator", List.of()));
      }
      specs.add(new NodeSpec("gateway", "gateway", List.of("--s3-price", String.valueOf(S3_PRICE))));
      if (Files.exists(file)) {
        return read(file, root, specs, validators);
      }
      Map<String, PeerId> ids = new LinkedHashMap<>();
      for (NodeSpec s : specs) {
        ids.put(s.name(), Repo.initialize(new Home(root.resolve(s.name())), "10GB").peerId());
      }
      AccessKey key;
      try (JdbcS3Metadata meta = GatewayDatabase.open(new Home(root.resolve("gateway")), null)) {
        meta.createAccount(ACCOUNT);
        key = meta.issueAccessKey(ACCOUNT);
      }
      List<String> validatorIds = specs.stream().filter(s -> s.roles().equals("validator")).map(s -> ids.get(s.name()).toString()).toList();
      for (NodeSpec s : specs) {
        if (s.roles().equals("validator")) { // deposits are recorded on every validator's ledger
          try (Ledger ledger = Ledger.openSqlite(new Home(root.resolve(s.name())).ledgerFile())) {
            ledger.deposit("user:" + ids.get("gateway"), GATEWAY_DEPOSIT);
            ledger.deposit(Accounts.gatewayUser(ids.get("gateway"), ACCOUNT), ACCOUNT_DEPOSIT);
          }
        }
      }
      // Epoch 0 starts once the nodes have had time to come up; everything before is settled in it.
      Layout layout = new Layout("devnet-" + Long.toHexString(System.nanoTime() & 0xffffff), System.currentTimeMillis() + 15_000,
          epoch.toMillis(), specs, validatorIds, key.accessKeyId(), key.secretAccessKey(), AccessKeyApiKeys.apiKey(key));
      ObjectNode saved = HomeConfig.JSON.createObjectNode();
      saved.put("networkId", layout.networkId()).put("genesis", layout.genesisMillis()).put("epochLengthMillis", layout.epochLengthMillis());
      specs.forEach(s -> saved.withArray("nodes").add(s.name()));
      validatorIds.forEach(v -> saved.withArray("validatorIds").add(v));
      saved.put("accessKeyId", layout.accessKeyId()).put("secretAccessKey", layout.secretAccessKey()).put("apiKey", layout.apiKey());
      Files.writeString(file, HomeConfig.JSON.writeValueAsString(saved));
      return layout;
    }

    /**
     * The layout saved in {@code file}. A file that is not JSON, lacks a field or holds one of the
     * wrong kind is refused naming the file and the field: read leniently, it would start nodes
     * on genesis 0, an empty network id or a validator set nobody can check.
     */
    private static Layout read(Path file, Path root, List<NodeSpec> specs, int validators) throws IOException {
      JsonNode saved;
      try {
        saved = HomeConfig.JSON.readTree(file.toFile());
      } catch (com.fasterxml.jackson.core.JacksonException e) {
        throw new CommandException(file + ": not JSON (" + e.getOriginalMessage() + "); delete the folder to start a new devnet", e);
      } catch (java.io.CharConversionException e) {
        throw new CommandException(file + ": not UTF-8 JSON (" + e.getMessage() + "); delete the folder to start a new devnet", e);
      }
      if (saved == null || !saved.isObject()) {
        throw new CommandException(file + ": expected a JSON object; delete the folder to start a new devnet");
      }
      List<String> names = texts(file, saved, "nodes");
      if (!names.equals(specs.stream().map(NodeSpec::name).toList())) {
        throw new CommandException(root + " holds a devnet of " + names + "; start it with the same --storage, --compute and "
            + "--validators, or use another --dir");
      }
      List<String> ids = texts(file, saved, "validatorIds");
      if (ids.size() != validators) {
        throw new CommandException(file + ": 'validatorIds' names " + ids.size() + " validators, the devnet has " + validators);
      }
      for (String id : ids) {
        try {
          PeerId.parse(id);
        } catch (IllegalArgumentException e) {
          throw new CommandException(file + ": 'validatorIds': " + e.getMessage(), e);
        }
      }
      long genesis = number(file, saved, "genesis", 0);
      long epochLength = number(file, saved, "epochLengthMillis", 1);
      return new Layout(text(file, saved, "networkId"), genesis, epochLength, specs, ids, text(file, saved, "accessKeyId"),
          text(file, saved, "secretAccessKey"), text(file, saved, "apiKey"));
    }

    private static String text(Path file, JsonNode saved, String key) {
      JsonNode v = saved.get(key);
      if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
        throw new CommandException(file + ": '" + key + "' must be a non-empty text");
      }
      return v.textValue();
    }

    private static long number(Path file, JsonNode saved, String key, long min) {
      JsonNode v = saved.get(key);
      if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < min) {
        throw new CommandException(file + ": '" + key + "' must be a whole number of at least " + min);
      }
      return v.longValue();
    }

    private static List<String> texts(Path file, JsonNode saved, String key) {
      JsonNode v = saved.get(key);
      if (v == null || !v.isArray()) {
        throw new CommandException(file + ": '" + key + "' must be a list of texts");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode item : v) {
        if (!item.isTextual()) {
          throw new CommandException(file + ": '" + key + "' must be a list of texts");
        }
        out.add(item.textValue());
      }
      return out;
    }

    /** The flags every node gets: the same network. */
    List<String> networkFlags() {
      return List.of("--network-id", networkId, "--genesis", String.valueOf(genesisMillis), "--epoch-length", epochLengthMillis + "ms",
          "--validator-set", String.join(",", validatorIds));
    }
  }

  /** Starts the first storage node, then every other node bootstrapped to it; returns once each has printed its ready line. */
  private void start(Layout layout, Path root, List<Node> nodes, PrintStream err) throws Exception {
    NodeSpec seed = layout.nodes().get(0);
    Node first = launch(root, layout, seed, List.of());
    nodes.add(first);
    String seedAddr = first.ready().path("addrs").get(0).asText();
    List<CompletableFuture<Node>> rest = new ArrayList<>();
    for (NodeSpec spec : layout.nodes().subList(1, layout.nodes().size())) {
      List<String> flags = new ArrayList<>(List.of("--bootstrap", seedAddr));
      rest.add(CompletableFuture.supplyAsync(() -> {
        try {
          return launch(root, layout, spec, flags);
        } catch (Exception e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      }));
    }
    for (CompletableFuture<Node> f : rest) {
      try {
        nodes.add(f.join());
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause() instanceof Exception ex ? ex : e;
      }
    }
    for (Node n : nodes) {
      err.println("  " + n.spec().name() + "  " + n.ready().path("peerId").asText() + "  " + n.ready().path("roles") + "  "
          + n.ready().path("http").path("dashboard").asText(""));
      n.process().onExit().thenAccept(p -> {
        if (!stopping) {
          err.println(n.spec().name() + " exited with code " + p.exitValue() + "; see " + root.resolve("logs").resolve(n.spec().name() + ".log"));
        }
      });
    }
  }

  private Node launch(Path root, Layout layout, NodeSpec spec, List<String> extra) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m",
        "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), Canopy.class.getName(), "--home",
        root.resolve(spec.name()).toString(), "daemon", "--listen", "/ip4/127.0.0.1/tcp/0", "--roles", spec.roles(),
        "--dashboard", "127.0.0.1:0"));
    cmd.addAll(layout.networkFlags());
    cmd.addAll(spec.flags());
    cmd.addAll(extra);
    if (spec.roles().equals("gateway")) {
      cmd.addAll(List.of("--s3", s3, "--ipfs-gateway", ipfsGateway, "--rpc", rpc, "--openai", openAi, "--repair-interval",
          repairInterval, "--replica-grace", replicaGrace));
    }
    if (spec.roles().equals("compute")) {
      models.forEach(m -> cmd.addAll(List.of("--model", m)));
    }
    Path log = root.resolve("logs").resolve(spec.name() + ".log");
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
      try {
        return out.readLine();
      } catch (IOException e) {
        return null;
      }
    });
    String ready;
    try {
      ready = line.get(READY_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      ready = null;
    }
    if (ready == null) {
      p.destroyForcibly();
      throw new CommandException(spec.name() + " did not start; see " + log + ": " + lastLine(log));
    }
    return new Node(spec, p, HomeConfig.JSON.readTree(ready));
  }

  /** Waits until the gateway lists MiniLM: a compute node has loaded it and the gateway found it. */
  private static void awaitModel(URI openAi, String apiKey) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request = HttpRequest.newBuilder(openAi.resolve("/v1/models")).header("Authorization", "Bearer " + apiKey)
        .timeout(Duration.ofSeconds(10)).build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200 && r.body().contains("\"" + MINILM + "\"")) {
        return;
      }
      Thread.sleep(500);
    }
    throw new CommandException("the gateway found no compute node serving " + MINILM + " within " + READY_TIMEOUT.toMinutes() + " min");
  }

  private void print(Layout layout, JsonNode http) throws IOException {
    String s3Url = http.path("s3").asText();
    String gatewayUrl = http.path("ipfsGateway").asText();
    String openAiUrl = http.path("openai").asText() + "/v1";
    String dashboard = http.path("dashboard").asText(null);
    if (json) {
      Map<String, String> line = new LinkedHashMap<>();
      line.put("s3", s3Url);
      line.put("accessKeyId", layout.accessKeyId());
      line.put("secretAccessKey", layout.secretAccessKey());
      line.put("ipfsGateway", gatewayUrl);
      line.put("rpc", http.path("rpc").asText());
      line.put("openai", openAiUrl);
      line.put("apiKey", layout.apiKey());
      line.put("dashboard", dashboard);
      println(HomeConfig.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(line));
      out().flush();
      return;
    }
    println("Canopy devnet ready.");
    println("  S3             " + s3Url + "   (access key " + layout.accessKeyId() + ", secret " + layout.secretAccessKey() + ")");
    println("  IPFS gateway   " + gatewayUrl);
    println("  Kubo RPC       " + http.path("rpc").asText());
    println("  OpenAI         " + openAiUrl + "   (API key " + layout.apiKey() + ")");
    if (dashboard != null) {
      println("  Dashboard      " + dashboard);
    }
    println("Try, in another terminal:");
    println("  export AWS_ACCESS_KEY_ID=" + layout.accessKeyId() + " AWS_SECRET_ACCESS_KEY=" + layout.secretAccessKey()
        + " AWS_DEFAULT_REGION=us-east-1");
    println("  aws --endpoint-url " + s3Url + " s3 mb s3://demo");
    println("  aws --endpoint-url " + s3Url + " s3 cp README.md s3://demo/");
    println("  CID=$(aws --endpoint-url " + s3Url + " s3api head-object --bucket demo --key README.md --query Metadata.cid --output text)");
    println("  curl " + gatewayUrl + "/ipfs/$CID");
    println("  curl " + openAiUrl + "/embeddings -H 'Authorization: Bearer " + layout.apiKey()
        + "' -H 'Content-Type: application/json' -d '{\"model\":\"" + MINILM + "\",\"input\":\"hello\"}'");
    println("Ctrl-C stops every node.");
    out().flush();
  }

  /** SIGTERM to every node, then a kill for any still running after 20 s. */
  private void stop(List<Node> nodes) {
    stopping = true;
    List<Node> running = List.copyOf(nodes);
    running.forEach(n -> n.process().destroy());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (Node n : running) {
      try {
        if (!n.process().waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          n.process().destroyForcibly();
        }
      } catch (InterruptedException e) {
        n.process().destroyForcibly();
      }
    }
  }

  private static String lastLine(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return lines.isEmpty() ? "(empty)" : lines.get(lines.size() - 1);
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static void deleteQuietly(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary folder: the OS cleans up what is left
    }
  }
}
