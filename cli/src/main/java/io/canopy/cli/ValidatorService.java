package io.canopy.cli;

import io.canopy.compute.embed.OnnxEmbedder;
import io.canopy.compute.job.EmbeddingRuntime;
import io.canopy.compute.job.InferenceRuntime;
import io.canopy.content.importer.BlockSink;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.validator.ValidatorRole;
import io.canopy.validator.compute.ComputeVerifier;
import io.canopy.validator.compute.ReExecutor;
import io.canopy.validator.compute.ReceiptSampler;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.records.RecordSource;
import io.canopy.validator.records.RecordsService;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code --roles validator}: the {@link ValidatorRole} over the node's host and DHT, its ledger
 * (the home's SQLite file, or PostgreSQL), and the reference runtimes it re-runs sampled jobs on:
 * the bundled all-MiniLM-L6-v2 (the same CID the compute role serves it under).
 */
final class ValidatorService implements AutoCloseable {
  /** Requests for settled records that may wait for the ledger at once. */
  static final int RECORDS_QUEUE = 64;
  private final Ledger ledger;
  private final ValidatorRole role;
  private final List<AutoCloseable> runtimes;
  /** Reads the ledger for {@code /canopy/records/1.0.0}, off the host's event loop. */
  private final java.util.concurrent.ExecutorService recordsWorker;

  private ValidatorService(Ledger ledger, ValidatorRole role, List<AutoCloseable> runtimes,
                           java.util.concurrent.ExecutorService recordsWorker) {
    this.ledger = ledger;
    this.role = role;
    this.runtimes = runtimes;
    this.recordsWorker = recordsWorker;
  }

  static ValidatorService start(DaemonNode node, Ed25519PrivateKey key, DaemonNode.NetworkOptions network,
                                DaemonNode.ValidatorOptions options, Consumer<String> log) throws IOException {
    if (network.validators().isEmpty()) {
      throw new CommandException("--roles validator needs the network's validator set (--validator-set)");
    }
    if (!network.validators().contains(key.peerId())) {
      throw new CommandException("--roles validator: this node (" + key.peerId() + ") is not in --validator-set");
    }
    List<AutoCloseable> closeables = new ArrayList<>();
    List<InferenceRuntime> reference = new ArrayList<>();
    try {
      OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2();
      closeables.add(embedder);
      reference.add(new EmbeddingRuntime(miniLmCid(), ComputeService.MINILM_NAME, embedder, 0));
    } catch (Exception | LinkageError e) { // ONNX Runtime's native library may not load on this platform
      log.accept("validator: cannot load " + ComputeService.MINILM_NAME + " to re-run embedding jobs (they go unchecked): " + e);
    }
    Ledger ledger = options.database() == null
        ? Ledger.openSqlite(node.home().ledgerFile())
        : Ledger.openPostgres(GatewayDatabase.jdbcUrl(options.database()));
    ComputeVerifier verifier = new ComputeVerifier(new ReExecutor(reference), new ReceiptSampler(network.samplePpm()), key);
    ValidatorRole.Config defaults = ValidatorRole.Config.defaults(network.networkId(), network.epochs(), network.validators(),
        network.prices());
    ValidatorRole.Config config = options.turnTimeout() == null ? defaults
        : new ValidatorRole.Config(defaults.networkId(), defaults.epochs(), defaults.validators(), defaults.prices(), defaults.challenges(),
            defaults.settleGrace(), options.turnTimeout(), defaults.callTimeout());
    ValidatorRole role = new ValidatorRole(node.host(), key, ledger, verifier, node.dht(), node.clock(), config, log).start();
    // Settled records are public: any node reads its earnings from them (spec/settlement.md §7.10).
    // One reader, and at most RECORDS_QUEUE requests waiting: past that a request's stream is reset at once.
    java.util.concurrent.ExecutorService recordsWorker = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
        new java.util.concurrent.ArrayBlockingQueue<>(RECORDS_QUEUE), r -> {
          Thread t = new Thread(r, "canopy-records");
          t.setDaemon(true);
          return t;
        });
    node.host().registerProtocol(RecordsService.PROTOCOL_ID, new RecordsService(RecordSource.fromLedger(ledger), recordsWorker).handler());
    return new ValidatorService(ledger, role, closeables, recordsWorker);
  }

  /** The CID of the bundled MiniLM file, imported as {@code canopy add} would (nothing stored). */
  private static Cid miniLmCid() throws IOException {
    try (InputStream onnx = OnnxEmbedder.allMiniLmL6V2Model()) {
      return new Importer(BlockSink.DISCARD, ImportOptions.defaults()).importFile(onnx).cid();
    }
  }

  ValidatorRole role() {
    return role;
  }

  Ledger ledger() {
    return ledger;
  }

  @Override
  public void close() throws Exception {
    recordsWorker.shutdownNow();
    role.close();
    for (AutoCloseable c : runtimes) {
      c.close();
    }
    ledger.close();
  }
}
