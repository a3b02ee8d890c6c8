package io.canopy.content.bitswap;

import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.importer.ImportOptions;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Loopback benchmark (not a test): one file fetched with fetchDag between two Canopy nodes, fresh
 * receiver store per run. Prints {@code {"bitswapMBps":..}} (MB = 10^6 bytes), the median of runs.
 *
 * <pre>
 * java -Dio.netty.leakDetection.level=DISABLED -cp ... io.canopy.content.bitswap.BitswapThroughputMain [MiB=256] [runs=3]
 * </pre>
 */
public final class BitswapThroughputMain {
  private BitswapThroughputMain() {}

  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Multiaddr loopback = Multiaddr.parse("/ip4/127.0.0.1/tcp/0");
    SecureRandom random = new SecureRandom();
    MemoryBlockstore source = new MemoryBlockstore();
    Cid root = BitswapNodes.importFile(source, BitswapNodes.randomBytes(7, mib * 1024 * 1024), ImportOptions.defaults());
    try (Host server = new Host(HostConfig.builder(Ed25519PrivateKey.generate(random)).listen(List.of(loopback)).build()).start();
        Bitswap serving = new Bitswap(server, source, BitswapConfig.DEFAULT).start()) {
      double[] mbps = new double[runs + 1];
      for (int run = 0; run <= runs; run++) { // run 0 warms up
        try (Host client = new Host(HostConfig.builder(Ed25519PrivateKey.generate(random)).listen(List.of(loopback)).build()).start();
            Bitswap fetching = new Bitswap(client, new MemoryBlockstore(), BitswapConfig.DEFAULT).start()) {
          client.connect(server.listenAddrs().get(0).withPeerId(server.peerId())).get(10, TimeUnit.SECONDS);
          if (System.getProperty("bitswap.debug") != null) {
            Thread t = new Thread(() -> {
              while (true) {
                try { Thread.sleep(500); } catch (InterruptedException e) { return; }
                System.err.println("STATE server queued=" + serving.engine().queuedBytes(client.peerId()) + " wl=" + serving.engine().wantlistSize(client.peerId())
                    + " hasWork=" + serving.engine().hasWork(client.peerId()) + " client stats=" + fetching.stats());
              }
            });
            t.setDaemon(true);
            t.start();
          }
          FetchResult r = fetching.fetchDag(root).get(10, TimeUnit.MINUTES);
          mbps[run] = r.bytes() / (r.duration().toNanos() / 1e9) / 1e6;
          System.err.printf(Locale.ROOT, "run %d: %s %.1f MB/s %s%n", run, r, mbps[run], fetching.stats());
        }
      }
      double[] measured = java.util.Arrays.copyOfRange(mbps, 1, runs + 1);
      java.util.Arrays.sort(measured);
      System.out.printf(Locale.ROOT, "{\"bitswapMBps\":%.1f}%n", measured[measured.length / 2]);
    }
  }
}
