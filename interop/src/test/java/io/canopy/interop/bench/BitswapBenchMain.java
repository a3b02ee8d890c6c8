package io.canopy.interop.bench;

import io.canopy.content.bitswap.Bitswap;
import io.canopy.content.bitswap.BitswapConfig;
import io.canopy.content.bitswap.FetchResult;
import io.canopy.content.block.Blockstore;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Loopback Bitswap benchmark between two Canopy nodes (not a test; {@code bench/bitswap.sh} runs
 * it next to Helia's {@code js/bench-bitswap.mjs} and the one-stream libp2p ceiling of
 * {@code P2pThroughputMain}). Node A imports FILE (CIDv1, raw leaves, 262144-byte chunks, 174
 * links: the DAG Helia's side builds) and serves it; for each run a fresh node B with an empty
 * store connects to A and times {@code fetchDag(root)}, from the call to the last block stored.
 * WARMUP_FILE is fetched once first, untimed; the first timed run's result is read back from B's
 * store and checked against FILE's SHA-256 (untimed).
 *
 * <p>Two store set-ups: {@code memory} (MemoryBlockstore on both nodes, the figure to compare
 * with Helia's in-memory nodes) and {@code file} (FileBlockstore on both, in temp folders under
 * TMP: A reads blocks from disk, B writes each with fdatasync as a real node does).
 *
 * <p>Prints one JSON line: {@code {"canopyMemoryMBps":..,"canopyFileMBps":..}} (only the stores
 * asked for; MB = 10^6 bytes of file, median of RUNS).
 *
 * <pre>
 * java -Dio.netty.leakDetection.level=DISABLED -cp ... io.canopy.interop.bench.BitswapBenchMain \
 *     FILE WARMUP_FILE [RUNS=3] [STORES=memory,file] [TMP=java.io.tmpdir]
 * </pre>
 */
public final class BitswapBenchMain {
  private static final ImportOptions IMPORT =
      ImportOptions.builder().cidVersion(1).rawLeaves(true).chunkSize(262_144).maxLinks(174).build();
  private static final long TIMEOUT_SECONDS = 600;

  private BitswapBenchMain() {}

  /** Makes the blockstore of one node; {@code dir} is a fresh folder it may use. */
  @FunctionalInterface
  private interface StoreFactory {
    Blockstore create(Path dir) throws IOException;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: BitswapBenchMain FILE WARMUP_FILE [RUNS=3] [STORES=memory,file] [TMP]");
      System.exit(2);
    }
    Path file = Path.of(args[0]);
    Path warmupFile = Path.of(args[1]);
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    List<String> stores = List.of((args.length > 3 ? args[3] : "memory,file").split(","));
    Path tmp = Path.of(args.length > 4 ? args[4] : System.getProperty("java.io.tmpdir"));

    StringBuilder json = new StringBuilder("{");
    for (String kind : stores) {
      StoreFactory factory = switch (kind) {
        case "memory" -> dir -> new MemoryBlockstore();
        case "file" -> FileBlockstore::open;
        default -> throw new IllegalArgumentException("unknown store " + kind + " (memory or file)");
      };
      double mbps = bench(kind, factory, file, warmupFile, runs, tmp);
      if (json.length() > 1) {
        json.append(',');
      }
      String key = "canopy" + Character.toUpperCase(kind.charAt(0)) + kind.substring(1) + "MBps";
      json.append(String.format(Locale.ROOT, "\"%s\":%.1f", key, mbps));
    }
    System.out.println(json.append('}'));
    System.exit(0); // Netty's non-daemon threads of closed hosts may linger briefly
  }

  private static double bench(String kind, StoreFactory stores, Path file, Path warmupFile, int runs, Path tmp)
      throws Exception {
    Path work = Files.createTempDirectory(tmp, "canopy-bitswap-bench-" + kind + "-");
    try {
      Blockstore storeA = stores.create(Files.createDirectories(work.resolve("a")));
      Cid warmup = importFile(storeA, warmupFile);
      long start = System.nanoTime();
      Cid root = importFile(storeA, file);
      storeA.sync();
      System.err.printf(Locale.ROOT, "%s: node A imported %s as %s in %.2f s%n",
          kind, file, root, (System.nanoTime() - start) / 1e9);
      long size = Files.size(file);
      try (Host hostA = host().start(); Bitswap bitswapA = new Bitswap(hostA, storeA, BitswapConfig.DEFAULT).start()) {
        Multiaddr addrA = hostA.listenAddrs().get(0).withPeerId(hostA.peerId());
        fetch(stores, work.resolve("warmup"), addrA, warmup, null);
        List<Double> mbps = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
          Path check = run == 0 ? file : null;
          double seconds = fetch(stores, work.resolve("b" + run), addrA, root, check);
          mbps.add(size / seconds / 1e6);
          System.err.printf(Locale.ROOT, "%s run %d: %.1f MB/s%n", kind, run + 1, mbps.get(run));
        }
        System.err.printf(Locale.ROOT, "%s: node A %s%n", kind, bitswapA.stats());
        return median(mbps);
      }
    } finally {
      deleteTree(work);
    }
  }

  /**
   * Seconds for a fresh node B to fetchDag {@code root} from A; if {@code check} is set, B's copy
   * is then read back and compared with that file (untimed).
   */
  private static double fetch(StoreFactory stores, Path dir, Multiaddr addrA, Cid root, Path check) throws Exception {
    Blockstore storeB = stores.create(Files.createDirectories(dir));
    try (Host hostB = host().start(); Bitswap bitswapB = new Bitswap(hostB, storeB, BitswapConfig.DEFAULT).start()) {
      hostB.connect(addrA).get(30, TimeUnit.SECONDS);
      long start = System.nanoTime();
      FetchResult result = bitswapB.fetchDag(root).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      double seconds = (System.nanoTime() - start) / 1e9;
      if (check != null) {
        System.err.printf(Locale.ROOT, "fetchDag: %s; node B %s%n", result, bitswapB.stats());
        verify(storeB, root, check);
      }
      return seconds;
    } finally {
      deleteTree(dir);
    }
  }

  private static void verify(Blockstore store, Cid root, Path expected) throws Exception {
    MessageDigest want = MessageDigest.getInstance("SHA-256");
    try (InputStream in = new DigestInputStream(Files.newInputStream(expected), want)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    MessageDigest got = MessageDigest.getInstance("SHA-256");
    Exporter exporter = new Exporter(store);
    try (OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), got)) {
      exporter.cat(root, 0, exporter.fileSize(root), out);
    }
    if (!MessageDigest.isEqual(want.digest(), got.digest())) {
      throw new IllegalStateException("the fetched file differs from " + expected);
    }
  }

  private static Cid importFile(Blockstore store, Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return new Importer(store::put, IMPORT).importFile(in).cid();
    }
  }

  private static Host host() {
    return new Host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom()))
        .listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")))
        .build());
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
