package io.canopy.cli;

import io.canopy.cli.rpc.ApiEndpoint;
import io.canopy.cli.rpc.RpcConfig;
import io.canopy.cli.rpc.RpcServer;
import io.canopy.content.Futures;
import io.canopy.content.bitswap.Bitswap;
import io.canopy.content.bitswap.BitswapBlockstore;
import io.canopy.content.bitswap.BitswapConfig;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.storage.poa.PoaProver;
import io.canopy.validator.compute.ReceiptSampler;
import io.canopy.validator.jobs.JobSource;
import io.canopy.validator.jobs.JobsService;
import io.canopy.validator.settle.Prices;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.p2p.kad.KadConfig;
import io.canopy.p2p.kad.KadDht;
import io.canopy.content.block.Blockstore;
import io.canopy.compute.job.ComputeClient;
import io.canopy.compute.job.ComputeConfig;
import io.canopy.compute.job.ComputeDirectory;
import io.canopy.compute.job.ReceiptLog;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.openai.AccessKeyApiKeys;
import io.canopy.gateway.openai.NetworkInferenceBackend;
import io.canopy.gateway.s3.S3Addressing;
import io.canopy.gateway.s3.data.DealKeeper;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import io.canopy.storage.ContentStore;
import io.canopy.storage.DealStore;
import io.canopy.storage.GcGate;
import io.canopy.storage.LocalContentStore;
import io.canopy.storage.StorageConfig;
import io.canopy.storage.StorageRole;
import io.canopy.storage.kubo.KuboContentStore;
import io.canopy.storage.kubo.KuboRpcConfig;
import java.time.Clock;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Consumer;

/**
 * A running node's wiring, in one place: the home's {@link Repo} (its lock held for the node's
 * lifetime), the libp2p {@link Host}, {@link Bitswap} serving the repo's blocks and fetching what
 * it lacks, the Kademlia DHT (server mode; Bitswap finds providers through it), and the local
 * {@link RpcServer} whose routes ({@link DaemonRoutes}) let commands on the same home go through
 * this node. Started by {@code canopy daemon}; {@link #close} stops everything in reverse order.
 *
 * <p>Roles hook in here: a role gets the parts it needs from the accessors below, adds its API
 * routes with {@code api().route(...)}, and registers itself with {@link #onClose} to be stopped
 * before the parts it uses. (The storage role will start from {@link #repo()}, {@link #host()},
 * {@link #bitswap()} and {@link #dht()}.)
 */
final class DaemonNode implements AutoCloseable {
  /** How often the gateway asks compute nodes what they serve (and how busy they are). */
  static final Duration DIRECTORY_REFRESH = Duration.ofSeconds(5);
  static final Duration REBOOTSTRAP_INTERVAL = Duration.ofSeconds(10);
  /** Where the API listens unless told otherwise: loopback, a port the OS picks. */
  static final InetSocketAddress DEFAULT_API_ADDRESS = new InetSocketAddress("127.0.0.1", 0);

  /** What {@code canopy daemon}'s flags decide; {@code dashboard} null: no dashboard ({@code --dashboard} not given). */
  record Options(
      List<Multiaddr> listen, List<Multiaddr> bootstrap, InetSocketAddress apiAddress, RpcConfig rpc, Duration fetchTimeout,
      boolean storage, StorageConfig storageConfig, String ipfsApi, GatewayOptions gateway, ComputeOptions compute,
      NetworkOptions network, ValidatorOptions validator, InetSocketAddress dashboard) {
    /** Every option but the dashboard, which is off. */
    Options(List<Multiaddr> listen, List<Multiaddr> bootstrap, InetSocketAddress apiAddress, RpcConfig rpc, Duration fetchTimeout,
            boolean storage, StorageConfig storageConfig, String ipfsApi, GatewayOptions gateway, ComputeOptions compute,
            NetworkOptions network, ValidatorOptions validator) {
      this(listen, bootstrap, apiAddress, rpc, fetchTimeout, storage, storageConfig, ipfsApi, gateway, compute, network, validator, null);
    }

    /** A node without roles: content, Bitswap, the DHT, and deals it owns. */
    Options(List<Multiaddr> listen, List<Multiaddr> bootstrap, InetSocketAddress apiAddress, RpcConfig rpc, Duration fetchTimeout) {
      this(listen, bootstrap, apiAddress, rpc, fetchTimeout, false, StorageConfig.defaults(), null, null, null);
    }

    /** Roles but no validator, on the default network parameters. */
    Options(List<Multiaddr> listen, List<Multiaddr> bootstrap, InetSocketAddress apiAddress, RpcConfig rpc, Duration fetchTimeout,
            boolean storage, StorageConfig storageConfig, String ipfsApi, GatewayOptions gateway, ComputeOptions compute) {
      this(listen, bootstrap, apiAddress, rpc, fetchTimeout, storage, storageConfig, ipfsApi, gateway, compute, NetworkOptions.DEFAULT,
          null);
    }

    Options withGateway(GatewayOptions options) {
      return new Options(listen, bootstrap, apiAddress, rpc, fetchTimeout, storage, storageConfig, ipfsApi, options, compute, network,
          validator, dashboard);
    }

    Options withCompute(ComputeOptions options) {
      return new Options(listen, bootstrap, apiAddress, rpc, fetchTimeout, storage, storageConfig, ipfsApi, gateway, options, network,
          validator, dashboard);
    }

    Options withNetwork(NetworkOptions options) {
      return new Options(listen, bootstrap, apiAddress, rpc, fetchTimeout, storage, storageConfig, ipfsApi, gateway, compute, options,
          validator, dashboard);
    }

    Options withValidator(ValidatorOptions options) {
      return new Options(listen, bootstrap, apiAddress, rpc, fetchTimeout, storage, storageConfig, ipfsApi, gateway, compute, network,
          options, dashboard);
    }

    /** With the dashboard listening on {@code address} (loopback; port 0: a free one). */
    Options withDashboard(InetSocketAddress address) {
      return new Options(listen, bootstrap, apiAddress, rpc, fetchTimeout, storage, storageConfig, ipfsApi, gateway, compute, network,
          validator, address);
    }
  }

  /**
   * What every node of one network must agree on (spec chapters 4 and 7): its id, the epoch clock,
   * the validator set (empty: any peer may challenge this node's storage), and the prices and
   * sampling rate validators settle with; and the wall clock this node reads the network's time
   * from (the system's, shifted by {@code --clock-offset} in fault-injection tests).
   */
  record NetworkOptions(String networkId, EpochClock epochs, List<PeerId> validators, Prices prices, long samplePpm, Clock clock) {
    /** Hour-long epochs from the Unix epoch, no validator set: a network without validators. */
    static final NetworkOptions DEFAULT = new NetworkOptions("canopy", PoaProver.DEFAULT_EPOCHS, List.of(),
        Prices.of(0, 100, 500), ReceiptSampler.DEFAULT_PPM);

    NetworkOptions {
      validators = List.copyOf(validators);
    }

    /** On the system's clock. */
    NetworkOptions(String networkId, EpochClock epochs, List<PeerId> validators, Prices prices, long samplePpm) {
      this(networkId, epochs, validators, prices, samplePpm, Clock.systemUTC());
    }
  }

  /** The validator role: where its ledger lives ({@code database} null: the home's SQLite file) and how long it waits for another validator. */
  record ValidatorOptions(String database, Duration turnTimeout) {}

  /**
   * The compute role: the models served besides the bundled MiniLM, the per-model job limits, and
   * the API key sent to external OpenAI-compatible servers (null: none).
   */
  record ComputeOptions(List<ComputeService.ModelSpec> models, ComputeConfig config, String externalApiKey) {}

  /**
   * The gateway role's faces and where S3 metadata lives: {@code database} null is the home's
   * SQLite file; {@code s3Domains} are the base domains of virtual-hosted-style bucket addressing.
   */
  record GatewayOptions(InetSocketAddress ipfsGateway, InetSocketAddress s3, InetSocketAddress rpc, InetSocketAddress openAi,
                        String database, List<String> s3Domains, DealKeeper.Config objectDeals) {
    /** Every face but OpenAI's on a free loopback port, metadata in the home: for tests. */
    static GatewayOptions onFreePorts() {
      InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
      return new GatewayOptions(any, any, any, null, null, List.of(), DealKeeper.Config.defaults());
    }

    /** {@link #onFreePorts()} and the OpenAI face on a free port too. */
    static GatewayOptions withOpenAiOnFreePorts() {
      InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
      return new GatewayOptions(any, any, any, any, null, List.of(), DealKeeper.Config.defaults());
    }
  }

  private final Home home;
  /** Every line of the node's log: the operator's sink with the short id in front, the last lines kept for the status. */
  private final EventLog events;
  private final Consumer<String> log;
  private final List<AutoCloseable> stack = new ArrayList<>(); // closed last-in first-out
  /** Shared by imports, pin add and deal fetches (stored, not yet pinned), exclusive for GC. */
  private final GcGate gcLock = new GcGate();
  private BitswapConfig bitswapConfig;
  private Repo repo;
  private Host host;
  private Bitswap bitswap;
  private KadDht dht;
  private StorageRole storage;
  private ComputeService compute;
  private ValidatorService validator;
  private Gateway gateway;
  private RpcServer kuboRpc;
  private RepoNodeApi node;
  private RpcServer api;
  private ApiEndpoint endpoint;
  private ContentStore content;
  private NodeStatus status;
  private Dashboard dashboard;
  private boolean closed;
  private Clock clock = Clock.systemUTC();

  private DaemonNode(Home home, Consumer<String> log) {
    this.home = home;
    this.events = new EventLog(log, Clock.systemUTC());
    this.log = events;
  }

  /** Starts a node on {@code home}; on failure, whatever was started is stopped again. */
  static DaemonNode start(Home home, Options options, Consumer<String> log) throws Exception {
    DaemonNode n = new DaemonNode(home, log);
    try {
      n.startParts(options);
      return n;
    } catch (Exception | Error e) {
      n.close();
      throw e;
    }
  }

  private void startParts(Options options) throws Exception {
    Ed25519PrivateKey key;
    try {
      key = home.readConfig().privateKey();
    } catch (IllegalArgumentException e) {
      throw new CommandException(home.configFile() + ": " + e.getMessage(), e);
    }
    events.identify(key.peerId());
    repo = Repo.open(home);
    stack.add(repo);

    host = new Host(HostConfig.builder(key).listen(options.listen()).agentVersion(VersionCommand.agentVersion()).build());
    stack.add(host);
    try {
      host.start();
    } catch (Exception e) { // Netty rethrows the bind's IOException unchecked
      throw new CommandException("cannot listen on " + options.listen() + ": " + e.getMessage(), e);
    }

    // With --ipfs-api, the IPFS daemon keeps the blocks Bitswap serves and deals pin; else the repo does.
    content = options.ipfsApi() == null
        ? new LocalContentStore(repo.blocks(), repo.pins())
        : KuboContentStore.open(KuboRpcConfig.of(options.ipfsApi()));
    stack.add(content);

    bitswapConfig = BitswapConfig.builder().fetchTimeout(options.fetchTimeout()).build();
    bitswap = new Bitswap(host, content.blocks(), bitswapConfig).start();
    stack.add(bitswap);
    dht = new KadDht(host, KadConfig.builder().mode(KadConfig.Mode.SERVER).build()).start();
    stack.add(dht);
    bitswap.setProviderFinder((cid, max) -> dht.findProviders(cid.multihash(), max));
    BitswapBlockstore networkBlocks = new BitswapBlockstore(repo.blocks(), bitswap);
    stack.add(networkBlocks);

    node = new RepoNodeApi(home, repo, networkBlocks, gcLock, false);
    node.onPinned(this::provide);
    node.fetchDagsWith(root -> Futures.await(bitswap.fetchDag(root)));

    DealStore deals = new DealStore(home.dealsFile());
    stack.add(deals);
    NetworkOptions network = options.network();
    clock = network.clock();
    Set<PeerId> validatorSet = Set.copyOf(network.validators());
    storage = new StorageRole(host, key, content, deals, bitswap, dht, options.storageConfig(), options.storage(), clock, gcLock,
        network.epochs(), validatorSet.isEmpty() ? p -> true : validatorSet::contains).start();
    stack.add(storage);

    if (options.compute() != null) {
      compute = ComputeService.start(this, key, options.compute(), network.epochs(), log);
      stack.add(compute);
    }
    if (options.gateway() != null) {
      startGateway(key, options.gateway(), options.rpc(), content, networkBlocks, deals, validatorSet);
    }
    if (options.validator() != null) {
      validator = ValidatorService.start(this, key, network, options.validator(), log);
      stack.add(validator);
    }

    String token = ApiEndpoint.newToken();
    api = new RpcServer(options.apiAddress(), token, options.rpc(), this::describe, log);
    stack.add(api);
    DaemonRoutes.register(api, node, host);
    DealRoutes.register(api, storage.deals());
    if (compute != null) {
      ComputeRoutes.register(api, compute);
    }
    status = new NodeStatus(this, network, content, deals, events, clock);
    StatusRoutes.register(api, status);
    if (options.dashboard() != null) {
      NetworkView view = new NetworkView(this, status, clock);
      dashboard = Dashboard.start(options.dashboard(), status::document, view::document, clock, log);
      stack.add(dashboard);
    }
    api.start();
    endpoint = new ApiEndpoint(api.url(), token);
    endpoint.write(home.apiFile()); // last: once it exists, commands come here
    stack.add(() -> Files.deleteIfExists(home.apiFile()));

    if (!options.bootstrap().isEmpty()) {
      startBootstrap(options.bootstrap(), dht);
    }
  }

  /**
   * Joins the network through the bootstrap peers, and again whenever this node has no connection at
   * all: at start the seed may be slow or down, and a node cut off (a partition, a suspended laptop)
   * must find its way back without a restart. Checks every {@link #REBOOTSTRAP_INTERVAL}; logs the
   * first failure of a streak and the recovery, not every attempt.
   */
  private void startBootstrap(List<Multiaddr> peers, KadDht dht) {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "canopy-bootstrap");
      t.setDaemon(true);
      return t;
    });
    stack.add(timer::shutdownNow);
    AtomicBoolean failing = new AtomicBoolean();
    AtomicBoolean running = new AtomicBoolean();
    Runnable attempt = () -> {
      if (!host.connections().isEmpty() || !running.compareAndSet(false, true)) {
        return;
      }
      List<CompletableFuture<?>> tries = new ArrayList<>();
      Map<Multiaddr, String> failures = new java.util.concurrent.ConcurrentHashMap<>();
      for (Multiaddr peer : peers) {
        tries.add(host.connect(peer).whenComplete((c, e) -> {
          if (e != null) {
            failures.put(peer, ErrorReport.oneLine(String.valueOf(Futures.cause(e).getMessage())));
          }
        }));
      }
      tries.add(dht.bootstrap(peers));
      CompletableFuture.allOf(tries.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> {
        running.set(false);
        boolean joined = !host.connections().isEmpty();
        if (!joined && failing.compareAndSet(false, true)) {
          String retry = " (retrying every " + REBOOTSTRAP_INTERVAL.toSeconds() + " s while this node has no peers)";
          failures.forEach((peer, why) -> log.accept("bootstrap " + peer + " failed: " + why + retry));
          if (failures.isEmpty()) {
            log.accept("bootstrap reached no peer" + retry + (e == null ? "" : ": " + ErrorReport.oneLine(
                String.valueOf(Futures.cause(e).getMessage()))));
          }
        } else if (joined && failing.compareAndSet(true, false)) {
          log.accept("bootstrap succeeded: connected to " + host.connections().size() + " peers");
        }
      });
    };
    timer.execute(attempt);
    timer.scheduleWithFixedDelay(attempt, REBOOTSTRAP_INTERVAL.toMillis(), REBOOTSTRAP_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The wall clock this node reads the network's time from (epochs, deals, receipts). */
  Clock clock() {
    return clock;
  }

  /**
   * The gateway role. Its blockstore reads what the node lacks from peers; S3 objects are pinned in
   * the node's content store and placed in storage deals by a {@link DealKeeper}.
   */
  private void startGateway(Ed25519PrivateKey key, GatewayOptions options, RpcConfig rpcConfig, ContentStore content, BitswapBlockstore networkBlocks,
      DealStore deals, Set<PeerId> validators) throws Exception {
    JdbcS3Metadata metadata = GatewayDatabase.open(home, options.database());
    stack.add(metadata);
    DealKeeper keeper = new DealKeeper(content, gcLock, storage.deals(), deals, metadata, options.objectDeals());
    stack.add(keeper);
    Blockstore blocks = networkBlocks;
    if (content.blocks() != repo.blocks()) { // --ipfs-api: objects go where the node pins
      BitswapBlockstore onIpfs = new BitswapBlockstore(content.blocks(), bitswap);
      stack.add(onIpfs);
      blocks = onIpfs;
    }
    S3Addressing addressing = options.s3Domains().isEmpty()
        ? S3Addressing.pathStyleOnly() : S3Addressing.of(options.s3Domains().toArray(String[]::new));
    Gateway.OpenAiFace openAi = null;
    if (options.openAi() != null) { // jobs go to the compute nodes of the network (this one too, with --roles compute)
      ComputeDirectory directory = new ComputeDirectory(host, new ComputeClient(host), dht, compute == null ? null : compute.provider(),
          DIRECTORY_REFRESH).start();
      stack.add(directory);
      ReceiptLog receipts = ReceiptLog.open(home.receiptsFile());
      stack.add(receipts);
      NetworkInferenceBackend backend = new NetworkInferenceBackend(directory, key, receipts, clock,
          NetworkInferenceBackend.Config.defaults());
      // validators fetch the job records of each epoch from here (spec/compute-verification.md §6.8)
      ExecutorService jobsWorker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "canopy-jobs");
        t.setDaemon(true);
        return t;
      });
      stack.add(jobsWorker::shutdownNow);
      host.registerProtocol(JobsService.PROTOCOL_ID, new JobsService(JobSource.fromLog(receipts), validators::contains, jobsWorker).handler());
      dht.provide(JobsService.SERVICE_KEY).exceptionally(e -> {
        log.accept("announcing the job records on the DHT failed (retried with the DHT's reprovide): " + e.getMessage());
        return null;
      });
      openAi = new Gateway.OpenAiFace(options.openAi(), backend, new AccessKeyApiKeys(metadata));
    }
    gateway = Gateway.start(options.ipfsGateway(), blocks, new Gateway.S3Face(options.s3(), metadata, keeper, addressing, null),
        openAi);
    stack.add(gateway);

    // The Kubo RPC subset: the same operations as the local API, in Kubo's shapes, without a token.
    kuboRpc = RpcServer.withoutToken(options.rpc(), rpcConfig, this::describe, log);
    stack.add(kuboRpc);
    KuboRpcRoutes.register(kuboRpc, node, host);
    try {
      kuboRpc.start();
    } catch (IOException e) {
      throw new CommandException("--rpc: " + e.getMessage(), e);
    }
  }

  /** Announces a newly pinned DAG root on the DHT, so that peers can find this node for it. */
  private void provide(Cid root) {
    dht.provide(root.multihash()).whenComplete((v, e) -> {
      if (e != null) {
        log.accept("providing " + root + " on the DHT failed: " + ErrorReport.oneLine(String.valueOf(e.getMessage())));
      }
    });
  }

  /** The API's error message for a failure: as a command would print it, network misses named as such. */
  private String describe(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof BlockNotFoundException nf && nf.getCause() instanceof TimeoutException) {
        return "block " + nf.cid() + " not found: it is not in the local store and no peer sent it within "
            + DaemonCommand.humanDuration(bitswapConfig.fetchTimeout());
      }
    }
    return ErrorReport.describe(failure);
  }

  Home home() {
    return home;
  }

  Repo repo() {
    return repo;
  }

  Host host() {
    return host;
  }

  Bitswap bitswap() {
    return bitswap;
  }

  KadDht dht() {
    return dht;
  }

  /** The gateway's faces and their URLs, with {@code --roles gateway}. */
  java.util.Optional<Gateway> gateway() {
    return java.util.Optional.ofNullable(gateway);
  }

  /**
   * Each HTTP face's base URL by name ({@code ipfsGateway}, {@code s3}, {@code rpc}, {@code openai}
   * with the gateway role; {@code dashboard} with {@code --dashboard}); empty with neither.
   */
  java.util.Map<String, java.net.URI> httpFaces() {
    java.util.Map<String, java.net.URI> faces = new java.util.LinkedHashMap<>();
    if (gateway != null) {
      faces.putAll(gateway.urls());
    }
    if (kuboRpc != null) {
      faces.put("rpc", kuboRpc.url());
    }
    if (dashboard != null) {
      faces.put("dashboard", dashboard.url());
    }
    return faces;
  }

  /** The status document's source ({@code canopy status}, the dashboard's {@code /status.json}). */
  NodeStatus status() {
    return status;
  }

  /** The node's log, its last lines kept. */
  EventLog events() {
    return events;
  }

  /** The validator role, with {@code --roles validator}. */
  java.util.Optional<ValidatorService> validator() {
    return java.util.Optional.ofNullable(validator);
  }

  /** The compute role, with {@code --roles compute}. */
  java.util.Optional<ComputeService> compute() {
    return java.util.Optional.ofNullable(compute);
  }

  /** Deals this node owns, and (with {@code --roles storage}) the deals it holds for others. */
  StorageRole storage() {
    return storage;
  }

  /** The node's content operations, as the API serves them (reads fetch from peers). */
  RepoNodeApi node() {
    return node;
  }

  /** Taken for reading around anything that stores blocks before pinning them; GC takes it for writing. */
  ReadWriteLock gcLock() {
    return gcLock;
  }

  /** The local API: add a role's routes with {@code api().route("/api/v0/…", handler)}. */
  RpcServer api() {
    return api;
  }

  ApiEndpoint endpoint() {
    return endpoint;
  }

  /** Registers a role's part to be closed before everything started so far. */
  void onClose(AutoCloseable part) {
    stack.add(part);
  }

  /** Stops everything, in reverse order of start: the api file and API first, the repo (and its lock) last. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = stack.size() - 1; i >= 0; i--) {
      try {
        stack.get(i).close();
      } catch (Exception e) {
        log.accept("stopping " + stack.get(i).getClass().getSimpleName() + " failed: " + ErrorReport.describe(e));
      }
    }
  }
}
