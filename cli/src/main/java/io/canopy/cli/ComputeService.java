package io.canopy.cli;

import io.canopy.compute.embed.OnnxEmbedder;
import io.canopy.compute.job.ComputeConfig;
import io.canopy.compute.job.ComputeProvider;
import io.canopy.compute.job.EmbeddingRuntime;
import io.canopy.compute.job.LlamaRuntime;
import io.canopy.compute.job.OpenAiServerRuntime;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.kad.KadDht;
import io.canopy.protocol.compute.ModelOffer;
import io.canopy.protocol.compute.Task;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The compute role of a daemon: serves {@code /canopy/compute/1.0.0} with the bundled MiniLM
 * embedding model and every {@code --model NAME=SOURCE} (a GGUF file here, or the CID of one in the
 * network, fetched over Bitswap, pinned, and exported from its verified blocks to {@code
 * HOME/models/}). Models load one by one in the background; each is announced on the DHT once it
 * serves, and one that fails (missing, corrupt, not a llama GGUF) is reported and skipped while the
 * others keep serving.
 */
final class ComputeService implements AutoCloseable {
  /** The context length announced for a model on an external server, which does not say its own. */
  static final int EXTERNAL_CONTEXT = 8192;
  /** Tries to fetch a model by CID, {@link #FETCH_RETRY_DELAY} apart, before it is reported as failed. */
  static final int FETCH_ATTEMPTS = 5;
  static final Duration FETCH_RETRY_DELAY = Duration.ofSeconds(2);
  /** The bundled embedding model's name, as sentence-transformers publishes it. */
  static final String MINILM_NAME = "all-MiniLM-L6-v2";
  /** How often a model fetch reports how far it got. */
  static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

  /** {@code NAME=SOURCE}: what {@code --model} says. */
  record ModelSpec(String name, String source) {
    static ModelSpec parse(String spec) {
      int eq = spec.indexOf('=');
      if (eq <= 0 || eq == spec.length() - 1) {
        throw new CommandException("--model '" + spec + "': expected NAME=FILE or NAME=CID (e.g. tinyllama=/models/tinyllama.gguf)");
      }
      String name = spec.substring(0, eq);
      if (name.length() > ModelOffer.MAX_NAME_LENGTH) {
        throw new CommandException("--model '" + spec + "': the name is longer than "
            + ModelOffer.MAX_NAME_LENGTH + " characters");
      }
      return new ModelSpec(name, spec.substring(eq + 1));
    }
  }

  /** Where one model stands: loading, serving (with its CID and tasks) or failed (with why). */
  record ModelState(String name, String source, String state, String cid, List<String> tasks, String error) {}

  private final DaemonNode node;
  private final Optional<String> externalApiKey;
  private final KadDht dht;
  private final Consumer<String> log;
  private final ComputeProvider provider;
  private final ExecutorService loader;
  private final Map<String, ModelState> states = new ConcurrentHashMap<>();
  private final List<AutoCloseable> loaded = new ArrayList<>();

  private ComputeService(DaemonNode node, Ed25519PrivateKey key, Host host, KadDht dht, ComputeConfig config, String externalApiKey,
                         EpochClock epochs, Consumer<String> log) {
    this.node = node;
    this.externalApiKey = Optional.ofNullable(externalApiKey);
    this.dht = dht;
    this.log = log;
    // Receipts name the network's epoch (a job before genesis counts as epoch 0's).
    Clock clock = node.clock();
    this.provider = new ComputeProvider(key, List.of(), config, clock, () -> Math.max(0, epochs.epochAt(clock.millis()))).register(host);
    this.loader = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "canopy-model-loader");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts serving: the provider at once, the models as they load. */
  static ComputeService start(DaemonNode node, Ed25519PrivateKey key, DaemonNode.ComputeOptions options, EpochClock epochs,
                              Consumer<String> log) {
    List<ModelSpec> models = options.models();
    ComputeService service = new ComputeService(node, key, node.host(), node.dht(), options.config(), options.externalApiKey(), epochs,
        log);
    service.states.put(MINILM_NAME, new ModelState(MINILM_NAME, "bundled", "loading", null, List.of("embedding"), null));
    models.forEach(m -> service.states.put(m.name(), new ModelState(m.name(), m.source(), "loading", null, List.of(), null)));
    service.loader.execute(service::loadMiniLm);
    models.forEach(m -> service.loader.execute(() -> service.load(m)));
    return service;
  }

  ComputeProvider provider() {
    return provider;
  }

  /** Every model this node was asked to serve, and where it stands. */
  List<ModelState> models() {
    return List.copyOf(states.values());
  }

  private void loadMiniLm() {
    try {
      OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2();
      synchronized (loaded) {
        loaded.add(embedder);
      }
      Cid cid;
      try (InputStream onnx = OnnxEmbedder.allMiniLmL6V2Model()) {
        cid = importToRepo(onnx);
      }
      provider.add(new EmbeddingRuntime(cid, MINILM_NAME, embedder, 0));
      serving(MINILM_NAME, "bundled", cid, List.of("embedding"));
    } catch (Exception | LinkageError e) { // ONNX Runtime's native library may not load on this platform
      failed(new ModelSpec(MINILM_NAME, "bundled"), e);
    }
  }

  private void load(ModelSpec spec) {
    if (spec.source().startsWith("http://") || spec.source().startsWith("https://")) {
      forward(spec);
      return;
    }
    try {
      Path file;
      Cid cid;
      Path local = Path.of(spec.source());
      if (Files.isRegularFile(local)) {
        try (InputStream in = Files.newInputStream(local)) {
          cid = importToRepo(in);
        }
        file = local;
      } else {
        try {
          cid = Cid.parse(spec.source());
        } catch (IllegalArgumentException e) {
          throw new IOException("'" + spec.source() + "' is neither a file nor a CID");
        }
        log.accept("model " + spec.name() + ": fetching " + cid);
        try (AutoCloseable progress = fetchProgress(spec.name(), cid)) {
          file = fetch(cid);
        }
      }
      LlamaModel model = LlamaModel.load(file);
      synchronized (loaded) {
        loaded.add(model);
      }
      provider.add(new LlamaRuntime(cid, spec.name(), Task.CHAT, model, 0));
      provider.add(new LlamaRuntime(cid, spec.name(), Task.COMPLETION, model, 0));
      serving(spec.name(), spec.source(), cid, List.of("chat", "completion"));
    } catch (Exception e) {
      failed(spec, e);
    }
  }

  /**
   * {@code NAME=URL[#REMOTE]}: jobs go to the OpenAI-compatible server at URL (Ollama, llama.cpp's
   * server, vLLM) as model REMOTE (default NAME). There are no weights to name, so the model's CID
   * is that of the text {@code URL#REMOTE}; receipts say the run is not bit-exact.
   */
  private void forward(ModelSpec spec) {
    try {
      int hash = spec.source().indexOf('#');
      String url = hash < 0 ? spec.source() : spec.source().substring(0, hash);
      String remote = hash < 0 ? spec.name() : spec.source().substring(hash + 1);
      URI base = URI.create(url);
      Cid cid = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256,
          (url + "#" + remote).getBytes(StandardCharsets.UTF_8));
      for (Task task : List.of(Task.CHAT, Task.COMPLETION)) {
        provider.add(new OpenAiServerRuntime(cid, spec.name(), task, base, remote, externalApiKey,
            EXTERNAL_CONTEXT, 0, ComputeConfig.DEFAULT_JOB_TIMEOUT));
      }
      serving(spec.name(), spec.source(), cid, List.of("chat", "completion"));
    } catch (RuntimeException e) {
      failed(spec, e);
    }
  }

  /** Pins the model's DAG (fetching what the repo lacks) and writes the file it encodes to {@code HOME/models/CID}. */
  private Path fetch(Cid cid) throws IOException, InterruptedException {
    // The node starts loading as it joins the network: the first tries may find no peer with the blocks yet.
    for (int attempt = 1; ; attempt++) {
      try {
        node.node().pinAdd(cid.toString(), true);
        break;
      } catch (IOException | RuntimeException e) {
        if (attempt == FETCH_ATTEMPTS) {
          throw new IOException("cannot fetch " + cid + " from the network (" + FETCH_ATTEMPTS + " tries): "
              + ErrorReport.oneLine(ErrorReport.describe(e)), e);
        }
        Thread.sleep(FETCH_RETRY_DELAY.toMillis());
      }
    }
    Path dir = node.home().modelsDir();
    Files.createDirectories(dir);
    Path file = dir.resolve(cid.toString());
    Path part = dir.resolve(cid + ".part");
    // Exported from the pinned blocks every start: each block is checked against its hash as it is
    // read, so a file in the folder that was changed or cut never gets loaded.
    try (OutputStream out = Files.newOutputStream(part)) {
      node.node().exporter().cat(cid, 0, -1, out);
    }
    Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return file;
  }

  /**
   * Every few seconds while a model is fetched: how much has arrived, in the log and in {@code
   * canopy model ls} (the node's Bitswap total since the fetch began, so other transfers count too).
   */
  private AutoCloseable fetchProgress(String name, Cid cid) {
    long start = node.bitswap().stats().bytesReceived();
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "canopy-model-progress");
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleAtFixedRate(() -> {
      long mib = (node.bitswap().stats().bytesReceived() - start) >> 20;
      states.computeIfPresent(name, (k, s) -> new ModelState(k, s.source(), "fetching (" + mib + " MiB)", null, s.tasks(), null));
      log.accept("model " + name + ": fetching " + cid + ": " + mib + " MiB received");
    }, PROGRESS_EVERY.toSeconds(), PROGRESS_EVERY.toSeconds(), TimeUnit.SECONDS);
    return ticker::shutdownNow;
  }

  /** Imports a model's bytes as {@code canopy add} would (same CID), pinned, so other nodes can fetch it. */
  private Cid importToRepo(InputStream in) throws IOException {
    try (NodeApi.BlockImport blocks = node.node().importBlocks(NodeApi.ImportKind.ADD)) {
      ImportResult result = new Importer(blocks::put, ImportOptions.defaults()).importFile(in);
      NodeApi.PinResult pinned = blocks.finish(List.of(result.cid()));
      if (pinned.failed()) {
        throw new IOException("cannot pin " + result.cid() + ": " + pinned.failure());
      }
      return result.cid();
    }
  }

  private void serving(String name, String source, Cid cid, List<String> tasks) {
    states.put(name, new ModelState(name, source, "serving", cid.toString(), tasks, null));
    log.accept("serving model " + name + " (" + String.join(", ", tasks) + ") " + cid);
    dht.provide(cid.multihash()).whenComplete((v, e) -> {
      if (e != null) {
        log.accept("announcing model " + name + " on the DHT failed: " + ErrorReport.oneLine(String.valueOf(e.getMessage())));
      }
    });
  }

  private void failed(ModelSpec spec, Throwable e) {
    String why = ErrorReport.oneLine(ErrorReport.describe(e));
    states.put(spec.name(), new ModelState(spec.name(), spec.source(), "failed", null, List.of(), why));
    log.accept("model " + spec.name() + " not served: " + why);
  }

  @Override
  public void close() {
    loader.shutdownNow();
    provider.close();
    synchronized (loaded) {
      for (AutoCloseable c : loaded) {
        try {
          c.close();
        } catch (Exception e) {
          log.accept("closing a model failed: " + ErrorReport.describe(e));
        }
      }
    }
  }
}
