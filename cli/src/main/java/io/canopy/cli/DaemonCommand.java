package io.canopy.cli;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.canopy.cli.rpc.RpcConfig;
import io.canopy.compute.job.ComputeConfig;
import io.canopy.gateway.s3.data.DealKeeper;
import io.canopy.identity.PeerId;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.validator.settle.Prices;
import io.canopy.storage.StorageConfig;
import io.canopy.multiaddr.InvalidMultiaddrException;
import io.canopy.multiaddr.Multiaddr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code canopy daemon}: runs a node ({@link DaemonNode}) with the home's identity and stores until
 * SIGTERM or SIGINT. Once it listens it prints one JSON line, {@code {"peerId": …, "addrs":
 * […/p2p/…], "api": "http://127.0.0.1:PORT"}}, so that scripts and tests can find it. While it
 * runs, commands on the same home go through its API (the home's {@code api} file says where).
 */
@Command(name = "daemon", description = "Run a Canopy node until stopped (SIGTERM / Ctrl-C).")
final class DaemonCommand extends CanopyCommand implements java.util.concurrent.Callable<Integer> {
  static final String DEFAULT_LISTEN = "/ip4/0.0.0.0/tcp/4001";

  @Option(names = "--listen", paramLabel = "MULTIADDR", description = "Address to listen on (repeatable; default " + DEFAULT_LISTEN + ").")
  List<String> listen = new ArrayList<>();

  @Option(names = "--bootstrap", paramLabel = "MULTIADDR", description = "Peer to connect to at start (repeatable; /p2p/ID checked).")
  List<String> bootstrap = new ArrayList<>();

  @Option(names = "--api", paramLabel = "HOST:PORT",
      description = "Where the local API listens: a loopback address (default 127.0.0.1:0, a free port).")
  String api;

  @Option(names = "--fetch-timeout", paramLabel = "DURATION", defaultValue = "60s",
      description = "How long a read waits for peers to send a block this node lacks (e.g. 30s, 2m; default ${DEFAULT-VALUE}).")
  String fetchTimeout;

  @Option(names = "--roles", paramLabel = "ROLE[,ROLE]", split = ",",
      description = "Roles this node takes on besides owning deals: storage (hold deals for others), gateway (S3, IPFS gateway, "
          + "Kubo RPC and OpenAI faces), compute (run inference jobs: the bundled MiniLM embeddings and every --model), validator "
          + "(challenge storage, re-run sampled jobs and settle each epoch into the ledger; needs --genesis and --validator-set).")
  List<String> roles = new ArrayList<>();

  @Option(names = "--storage-max", paramLabel = "SIZE",
      description = "Room offered for deals with --roles storage (default: the home's Datastore.StorageMax).")
  String storageMax;

  @Option(names = "--ipfs-api", paramLabel = "URL",
      description = "Keep and pin blocks in an IPFS daemon you already run, through its RPC API (e.g. http://127.0.0.1:5001).")
  String ipfsApi;

  @Option(names = "--repair-interval", paramLabel = "DURATION", defaultValue = "1m",
      description = "How often this node checks the replicas of the deals it owns (default ${DEFAULT-VALUE}).")
  String repairInterval;

  @Option(names = "--replica-grace", paramLabel = "DURATION", defaultValue = "5m",
      description = "How long a replica may fail its checks before it is replaced (default ${DEFAULT-VALUE}).")
  String replicaGrace;

  @Option(names = "--ipfs-gateway", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
      description = "Where the IPFS gateway (GET /ipfs/CID) listens with --roles gateway (default ${DEFAULT-VALUE}).")
  String ipfsGateway;

  @Option(names = "--s3", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9000",
      description = "Where the S3 API listens with --roles gateway (default ${DEFAULT-VALUE}).")
  String s3;

  @Option(names = "--rpc", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:5001",
      description = "Where the Kubo RPC subset (/api/v0/…, no authentication: keep it on loopback) listens with --roles gateway "
          + "(default ${DEFAULT-VALUE}).")
  String rpc;

  @Option(names = "--openai", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8000",
      description = "Where the OpenAI-compatible API (/v1/models, /v1/embeddings; bearer API keys from `canopy gateway keys create`) "
          + "listens with --roles gateway (default ${DEFAULT-VALUE}).")
  String openAi;

  @Option(names = "--database", paramLabel = "URL",
      description = "Keep the gateway's S3 metadata in PostgreSQL (postgresql://user:password@host:5432/db), shared by several "
          + "gateways; default: the home's SQLite file.")
  String database;

  @Option(names = "--s3-domain", paramLabel = "DOMAIN",
      description = "Base domain for virtual-hosted-style S3 requests (BUCKET.DOMAIN); repeatable. Without it, path style only.")
  List<String> s3Domains = new ArrayList<>();

  @Option(names = "--s3-replicas", paramLabel = "R", defaultValue = "3",
      description = "Storage nodes each S3 object is placed on (default ${DEFAULT-VALUE}).")
  int s3Replicas;

  @Option(names = "--s3-write-quorum", paramLabel = "W", defaultValue = "1",
      description = "Storage nodes that must hold an object before its PUT is acknowledged, when any exist (default ${DEFAULT-VALUE}).")
  int s3WriteQuorum;

  @Option(names = "--s3-price", paramLabel = "MICROCREDITS", defaultValue = "0",
      description = "Price per GiB-epoch the gateway offers storage nodes for each S3 object (default ${DEFAULT-VALUE}).")
  long s3Price;

  @Option(names = "--model", paramLabel = "NAME=FILE|CID|URL",
      description = "A model to serve with --roles compute (repeatable): a llama GGUF file here, the CID of one in the network, "
          + "or the base URL of an OpenAI-compatible server you run (http://127.0.0.1:11434/v1[#its-model-name]; "
          + "API key from $CANOPY_MODEL_API_KEY).")
  List<String> models = new ArrayList<>();

  @Option(names = "--compute-slots", paramLabel = "N", defaultValue = "1",
      description = "Jobs run at once per model with --roles compute (default ${DEFAULT-VALUE}); "
          + ComputeConfig.DEFAULT_MAX_QUEUED_JOBS + " more may wait, the rest are answered busy.")
  int computeSlots;

  @Option(names = "--network-id", paramLabel = "NAME", defaultValue = "canopy",
      description = "The network's id, in every settlement record and beacon (default ${DEFAULT-VALUE}).")
  String networkId;

  @Option(names = "--genesis", paramLabel = "TIME",
      description = "When epoch 0 starts: an ISO-8601 instant (2026-11-26T12:00:00Z) or Unix milliseconds; the same on every node "
          + "of the network (needed by validators; default: the Unix epoch).")
  String genesis;

  @Option(names = "--epoch-length", paramLabel = "DURATION", defaultValue = "1h",
      description = "How long an epoch lasts: storage is proven and paid once per epoch (default ${DEFAULT-VALUE}).")
  String epochLength;

  @Option(names = "--validator-set", paramLabel = "PEER[,PEER]", split = ",",
      description = "The network's validators' peer IDs (repeatable): only they may challenge this node's storage; "
          + "a validator settles with the others.")
  List<String> validatorSet = new ArrayList<>();

  @Option(names = "--price-per-1k-tokens", paramLabel = "MICROCREDITS", defaultValue = "100",
      description = "What validators charge per 1000 tokens of compute (default ${DEFAULT-VALUE}).")
  long pricePerKiloTokens;

  @Option(names = "--validator-fee-bps", paramLabel = "BPS", defaultValue = "500",
      description = "The validators' fee on every payout, in basis points (default ${DEFAULT-VALUE} = 5%%).")
  int validatorFeeBps;

  @Option(names = "--sample-ppm", paramLabel = "PPM", defaultValue = "50000",
      description = "Share of compute jobs validators re-run, in parts per million (default ${DEFAULT-VALUE} = 5%%).")
  long samplePpm;

  @Option(names = "--clock-offset", paramLabel = "DURATION", hidden = true,
      description = "Fault injection: read the network's time (epochs, deals, receipts) from the system clock shifted by DURATION "
          + "(e.g. 2s, -3s), as a machine whose clock is off would. For reliability tests; never on a real node.")
  String clockOffset;

  @Option(names = "--ledger-database", paramLabel = "URL",
      description = "Keep the validator's ledger in PostgreSQL (postgresql://user:password@host:5432/db); default: the home's SQLite file.")
  String ledgerDatabase;

  @Option(names = "--dashboard", paramLabel = "HOST:PORT",
      description = "Serve the web dashboard (this node, and the network as it sees it) on a loopback address, e.g. 127.0.0.1:7070 "
          + "(default: off); its URL is in the ready line's \"http\" map as \"dashboard\".")
  String dashboard;

  @Option(names = "--config", paramLabel = "FILE",
      description = "Settings as JSON: any option here by its long name, e.g. {\"roles\": [\"storage\"], \"storage-max\": \"500GB\", "
          + "\"bootstrap\": [\"/ip4/…/p2p/…\"]}; options on the command line win (default: HOME/" + DaemonSettings.FILE_NAME
          + " when it exists).")
  java.nio.file.Path config;

  static final List<String> KNOWN_ROLES = List.of("storage", "gateway", "compute", "validator");

  @Override
  public Integer call() {
    return run(() -> {
      Home home = home();
      home.requireInitialized();
      java.nio.file.Path settings = config != null ? config : home.dir().resolve(DaemonSettings.FILE_NAME);
      if (config != null || java.nio.file.Files.exists(settings)) {
        DaemonSettings.apply(spec, settings);
      }
      for (String role : roles) {
        if (!KNOWN_ROLES.contains(role.trim())) {
          throw new CommandException("--roles: unknown role '" + role + "'; this version has: " + String.join(", ", KNOWN_ROLES));
        }
      }
      boolean storage = roles.stream().anyMatch(r -> r.trim().equals("storage"));
      boolean gateway = roles.stream().anyMatch(r -> r.trim().equals("gateway"));
      boolean compute = roles.stream().anyMatch(r -> r.trim().equals("compute"));
      if (!models.isEmpty() && !compute) {
        throw new CommandException("--model is served by the compute role: add --roles compute");
      }
      if (computeSlots < 1 || computeSlots > 64) {
        throw new CommandException("--compute-slots " + computeSlots + ": must be 1..64");
      }
      if (ipfsApi != null && !storage) {
        throw new CommandException("--ipfs-api keeps deal content in an IPFS daemon: it needs --roles storage");
      }
      String max = storageMax != null ? storageMax : home.readConfig().storageMax();
      StorageConfig storageConfig = StorageConfig.builder()
          .capacityBytes(ByteSize.parse(max, "--storage-max"))
          .repairInterval(duration(repairInterval, "--repair-interval"))
          .replicaGrace(duration(replicaGrace, "--replica-grace"))
          .build();
      DaemonNode.Options options = new DaemonNode.Options(
          parse(listen.isEmpty() ? List.of(DEFAULT_LISTEN) : listen, "--listen"),
          parse(bootstrap, "--bootstrap"),
          api == null ? DaemonNode.DEFAULT_API_ADDRESS : apiAddress(api),
          RpcConfig.defaults(),
          duration(fetchTimeout, "--fetch-timeout"),
          storage, storageConfig, ipfsApi, gateway ? gatewayOptions() : null,
          compute ? new DaemonNode.ComputeOptions(models.stream().map(ComputeService.ModelSpec::parse).toList(),
              ComputeConfig.DEFAULT.withSlots(computeSlots, ComputeConfig.DEFAULT_MAX_QUEUED_JOBS),
              env().variables().get("CANOPY_MODEL_API_KEY"))
              : null);
      boolean validator = roles.stream().anyMatch(r -> r.trim().equals("validator"));
      if (validator && genesis == null) {
        throw new CommandException("--roles validator needs the network's --genesis (every node of the network uses the same)");
      }
      options = options.withNetwork(networkOptions());
      if (dashboard != null) {
        options = options.withDashboard(loopback(dashboard, "--dashboard", "the dashboard"));
      }
      if (validator) {
        options = options.withValidator(new DaemonNode.ValidatorOptions(ledgerDatabase, null));
      }
      java.io.PrintStream err = env().stderr();
      DaemonNode node = DaemonNode.start(home, options, line -> err.println(line));
      CountDownLatch stopped = new CountDownLatch(1);
      Thread shutdown = new Thread(() -> {
        node.close();
        stopped.countDown();
      }, "canopy-shutdown");
      Runtime.getRuntime().addShutdownHook(shutdown);

      Map<String, Object> ready = new LinkedHashMap<>();
      ready.put("peerId", node.host().peerId().toString());
      ready.put("addrs", DaemonRoutes.listenAddrs(node.host()));
      ready.put("api", node.endpoint().url().toString());
      List<String> active = new ArrayList<>();
      if (storage) {
        active.add("storage");
      }
      if (gateway) {
        active.add("gateway");
      }
      if (compute) {
        active.add("compute");
      }
      if (validator) {
        active.add("validator");
      }
      ready.put("roles", active);
      if (!node.httpFaces().isEmpty()) {
        Map<String, String> http = new LinkedHashMap<>();
        node.httpFaces().forEach((face, url) -> http.put(face, url.toString()));
        ready.put("http", http);
      }
      println(HomeConfig.JSON.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(ready));
      out().flush();
      stopped.await(); // released by the shutdown hook once the node is closed
    });
  }

  private DaemonNode.GatewayOptions gatewayOptions() {
    if (s3Price < 0) {
      throw new CommandException("--s3-price " + s3Price + ": must not be negative");
    }
    if (s3WriteQuorum < 1 || s3WriteQuorum > s3Replicas) {
      throw new CommandException("--s3-write-quorum " + s3WriteQuorum + ": must be between 1 and --s3-replicas (" + s3Replicas + ")");
    }
    DealKeeper.Config defaults = DealKeeper.Config.defaults();
    return new DaemonNode.GatewayOptions(hostPort(ipfsGateway, "--ipfs-gateway"), hostPort(s3, "--s3"), hostPort(rpc, "--rpc"),
        hostPort(openAi, "--openai"), database, List.copyOf(s3Domains),
        new DealKeeper.Config(s3Replicas, s3WriteQuorum, defaults.dealDuration(), s3Price, defaults.sweepInterval()));
  }

  private DaemonNode.NetworkOptions networkOptions() {
    long genesisMillis = 0;
    if (genesis != null) {
      try {
        genesisMillis = genesis.matches("\\d{1,15}") ? Long.parseLong(genesis) : Instant.parse(genesis).toEpochMilli();
      } catch (DateTimeParseException e) {
        throw new CommandException("--genesis '" + genesis + "': expected an ISO-8601 instant such as 2026-11-26T12:00:00Z or Unix milliseconds");
      }
    }
    List<PeerId> set = new ArrayList<>();
    for (String id : validatorSet) {
      try {
        set.add(PeerId.parse(id.trim()));
      } catch (IllegalArgumentException e) {
        throw new CommandException("--validator-set: '" + id + "' is not a peer ID: " + e.getMessage(), e);
      }
    }
    Prices prices;
    try {
      prices = Prices.of(0, pricePerKiloTokens, validatorFeeBps);
    } catch (IllegalArgumentException e) {
      throw new CommandException("prices: " + e.getMessage(), e);
    }
    if (samplePpm < 0 || samplePpm > 1_000_000) {
      throw new CommandException("--sample-ppm " + samplePpm + ": must be 0..1000000");
    }
    EpochClock epochs = new EpochClock(genesisMillis, duration(epochLength, "--epoch-length").toMillis());
    Clock clock = Clock.systemUTC();
    if (clockOffset != null) {
      boolean behind = clockOffset.startsWith("-");
      Duration offset = duration(behind ? clockOffset.substring(1) : clockOffset, "--clock-offset");
      clock = Clock.offset(clock, behind ? offset.negated() : offset);
    }
    return new DaemonNode.NetworkOptions(networkId, epochs, set, prices, samplePpm, clock);
  }

  /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code 30d}: a positive duration. */
  static Duration duration(String text, String option) {
    Matcher m = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)").matcher(text.trim());
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw new CommandException(option + " '" + text + "': expected a positive duration such as 500ms, 30s, 2m, 1h or 30d");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  static String humanDuration(Duration d) {
    return d.toMillis() % 1000 != 0 ? d.toMillis() + " ms" : d.toSeconds() + " s";
  }

  /** {@code HOST:PORT} (IPv6 as {@code [::1]:PORT}); only loopback: the API is plain HTTP. */
  static InetSocketAddress apiAddress(String text) {
    InetSocketAddress address = hostPort(text, "--api");
    if (!address.getAddress().isLoopbackAddress()) {
      throw new CommandException("--api '" + text + "': the API must listen on a loopback address (127.0.0.1 or [::1]); it speaks plain HTTP");
    }
    return address;
  }

  /** {@code HOST:PORT} on a loopback address: {@code what} speaks plain HTTP to this machine only. */
  static InetSocketAddress loopback(String text, String option, String what) {
    InetSocketAddress address = hostPort(text, option);
    if (!address.getAddress().isLoopbackAddress()) {
      throw new CommandException(option + " '" + text + "': " + what + " must listen on a loopback address (127.0.0.1 or [::1]); "
          + "it speaks plain HTTP");
    }
    return address;
  }

  /** {@code HOST:PORT}, IPv6 as {@code [::1]:PORT}; port 0 picks a free one. */
  static InetSocketAddress hostPort(String text, String option) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0) {
      throw new CommandException(option + " '" + text + "': expected HOST:PORT, e.g. 127.0.0.1:8080");
    }
    String host = text.substring(0, colon).replaceAll("^\\[(.*)]$", "$1");
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      throw new CommandException(option + " '" + text + "': the port must be a number from 0 to 65535");
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      throw new CommandException(option + " '" + text + "': unknown host '" + host + "'");
    }
  }

  static List<Multiaddr> parse(List<String> texts, String option) {
    List<Multiaddr> out = new ArrayList<>();
    for (String t : texts) {
      try {
        out.add(Multiaddr.parse(t));
      } catch (InvalidMultiaddrException e) {
        throw new CommandException(option + ": " + e.getMessage(), e);
      }
    }
    return out;
  }
}
