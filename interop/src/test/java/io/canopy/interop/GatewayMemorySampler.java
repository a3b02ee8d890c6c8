package io.canopy.interop;

import com.sun.management.GarbageCollectorMXBean;
import com.sun.management.GcInfo;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * Samples one gateway process's memory every second while a load runs: RSS from
 * {@code /proc/PID/status} and the heap used after the JVM's last garbage collection.
 *
 * <p>The heap figure comes from the gateway JVM itself, over JMX (the attach API starts its local
 * management agent): the {@code LastGcInfo} of its collectors, summed over the heap pools. That is
 * the heap after GC without forcing one (a forced GC every second would change what is measured)
 * and without starting a {@code jcmd} JVM every second on a small shared machine. With the
 * devnet's {@code -XX:+UseSerialGC} a young collection's figure includes old-generation garbage
 * not yet collected, so it rises between full collections; the medians of thirds smooth that.
 *
 * <p>The gateway is found as the process that owns the listening socket of the devnet's S3 port
 * (its {@code --s3} flag says {@code 127.0.0.1:0} when the ports are free ones, and other devnets
 * may run on the same machine, so the command line cannot tell).
 */
final class GatewayMemorySampler implements AutoCloseable {
  private static final double MIB = 1 << 20;
  /** Allowed growth of the heap-after-GC median from the first to the last third: 64 MiB + 25 %. */
  static final double MARGIN_FIXED_MIB = 64;
  static final double MARGIN_FRACTION = 0.25;

  /** One sample: seconds since the start, heap after the last GC (NaN before the first), RSS. */
  record Sample(double seconds, double heapMib, double rssMib) {}

  private final long pid;
  private final JMXConnector jmx;
  private final MBeanServerConnection mbeans;
  private final List<ObjectName> collectors;
  private final Set<String> heapPools;
  private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "gateway-memory");
    t.setDaemon(true);
    return t;
  });
  private volatile String problem;
  private long start;

  private GatewayMemorySampler(long pid) throws Exception {
    this.pid = pid;
    VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
    String url;
    try {
      url = vm.startLocalManagementAgent();
    } finally {
      vm.detach();
    }
    jmx = JMXConnectorFactory.connect(new JMXServiceURL(url));
    mbeans = jmx.getMBeanServerConnection();
    collectors = List.copyOf(mbeans.queryNames(new ObjectName(ManagementFactory.GARBAGE_COLLECTOR_MXBEAN_DOMAIN_TYPE + ",*"), null));
    Set<String> heap = new java.util.HashSet<>();
    for (ObjectName n : mbeans.queryNames(new ObjectName(ManagementFactory.MEMORY_POOL_MXBEAN_DOMAIN_TYPE + ",*"), null)) {
      MemoryPoolMXBean pool = ManagementFactory.newPlatformMXBeanProxy(mbeans, n.toString(), MemoryPoolMXBean.class);
      if (pool.getType() == MemoryType.HEAP) {
        heap.add(pool.getName());
      }
    }
    heapPools = Set.copyOf(heap);
  }

  /**
   * Attaches to the process listening on {@code s3Url}'s port and starts sampling every second.
   *
   * @throws IllegalStateException naming why (no such listener, attach refused, …)
   */
  static GatewayMemorySampler start(URI s3Url) {
    long pid = listenerPid(s3Url.getPort());
    GatewayMemorySampler s;
    try {
      s = new GatewayMemorySampler(pid);
    } catch (Exception e) {
      throw new IllegalStateException("cannot read the gateway's (pid " + pid + ") heap over JMX: " + e, e);
    }
    s.start = System.nanoTime();
    // with a fixed delay, not rate: a sampler held up by a loaded machine takes no burst of catch-up samples
    s.timer.scheduleWithFixedDelay(s::sample, 0, 1, TimeUnit.SECONDS);
    return s;
  }

  long pid() {
    return pid;
  }

  private void sample() {
    try {
      double rss = rssMib(pid);
      long lastEnd = -1;
      double heap = Double.NaN;
      for (ObjectName n : collectors) {
        GarbageCollectorMXBean gc = ManagementFactory.newPlatformMXBeanProxy(mbeans, n.toString(), GarbageCollectorMXBean.class);
        GcInfo info = gc.getLastGcInfo();
        if (info != null && info.getEndTime() > lastEnd) {
          lastEnd = info.getEndTime();
          heap = info.getMemoryUsageAfterGc().entrySet().stream().filter(e -> heapPools.contains(e.getKey()))
              .map(java.util.Map.Entry::getValue).mapToLong(MemoryUsage::getUsed).sum() / MIB;
        }
      }
      samples.add(new Sample((System.nanoTime() - start) / 1e9, heap, rss));
    } catch (Exception e) {
      // The gateway may have gone (a fault test stops it): keep what was sampled, say why it ended.
      problem = e.toString();
      timer.shutdown();
    }
  }

  /** Stops sampling and summarises; {@code null} if fewer than three samples with a heap figure. */
  LoadReport.Memory summary() {
    timer.shutdown();
    List<Sample> s;
    synchronized (samples) {
      s = samples.stream().filter(x -> !Double.isNaN(x.heapMib())).toList();
    }
    if (s.size() < 3) {
      return null;
    }
    double t0 = s.get(0).seconds();
    double span = s.get(s.size() - 1).seconds() - t0;
    List<Sample> first = s.stream().filter(x -> x.seconds() - t0 <= span / 3).toList();
    List<Sample> last = s.stream().filter(x -> x.seconds() - t0 >= 2 * span / 3).toList();
    double heapFirst = median(first.stream().mapToDouble(Sample::heapMib).toArray());
    return new LoadReport.Memory(pid, s.size(), heapFirst, median(last.stream().mapToDouble(Sample::heapMib).toArray()),
        median(first.stream().mapToDouble(Sample::rssMib).toArray()), median(last.stream().mapToDouble(Sample::rssMib).toArray()),
        60 * slope(s, Sample::heapMib), 60 * slope(s, Sample::rssMib), s.stream().mapToDouble(Sample::heapMib).max().orElse(0),
        MARGIN_FIXED_MIB + MARGIN_FRACTION * heapFirst);
  }

  /** How the sampling went, for the report. */
  String note() {
    return "pid " + pid + ", heap after GC over JMX, RSS from /proc, " + samples.size() + " samples"
        + (problem == null ? "" : "; sampling stopped early: " + problem);
  }

  List<Sample> samples() {
    synchronized (samples) {
      return List.copyOf(samples);
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
      jmx.close();
    } catch (IOException | InterruptedException ignored) {
      // the gateway may be gone already; nothing is left to release here
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    java.util.Arrays.sort(s);
    if (s.length == 0) {
      return Double.NaN;
    }
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  /** Least-squares slope of {@code y} over the samples' seconds (per second). */
  private static double slope(List<Sample> s, java.util.function.ToDoubleFunction<Sample> y) {
    double n = s.size();
    double mx = s.stream().mapToDouble(Sample::seconds).sum() / n;
    double my = s.stream().mapToDouble(y).sum() / n;
    double sxy = 0;
    double sxx = 0;
    for (Sample x : s) {
      sxy += (x.seconds() - mx) * (y.applyAsDouble(x) - my);
      sxx += (x.seconds() - mx) * (x.seconds() - mx);
    }
    return sxx == 0 ? 0 : sxy / sxx;
  }

  static double rssMib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) * 1024 / MIB; // kB
      }
    }
    throw new IOException("no VmRSS in /proc/" + pid + "/status");
  }

  /**
   * The process that owns the TCP socket listening on {@code port}: its inode from
   * {@code /proc/net/tcp}/{@code tcp6}, then the process with a descriptor on that inode.
   */
  static long listenerPid(int port) {
    String hexPort = String.format(":%04X", port);
    Set<String> inodes = new java.util.HashSet<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        for (String line : Files.readAllLines(Path.of(table))) {
          String[] f = line.trim().split("\\s+");
          if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) { // 0A: LISTEN
            inodes.add("socket:[" + f[9] + "]");
          }
        }
      } catch (IOException e) {
        // no IPv6 table on this machine
      }
    }
    if (inodes.isEmpty()) {
      throw new IllegalStateException("nothing listens on TCP port " + port);
    }
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
      for (Path proc : procs) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
          for (Path fd : fds) {
            if (inodes.contains(Files.readSymbolicLink(fd).toString())) {
              return Long.parseLong(proc.getFileName().toString());
            }
          }
        } catch (IOException | SecurityException e) {
          // another user's process, or one that ended meanwhile
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc", e);
    }
    throw new IllegalStateException("no process of this user owns the socket listening on port " + port);
  }
}
