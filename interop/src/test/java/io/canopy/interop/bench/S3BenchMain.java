package io.canopy.interop.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Loopback benchmark of the S3 gateway against a static-file server (not a test; {@code
 * bench/gateway.sh} starts a gateway-only daemon and nginx and runs it). For each object size,
 * with CONCURRENCY connections, after an untimed warm-up, every repetition runs these phases one
 * after the other (so load from elsewhere on a shared machine falls on all of them alike):
 *
 * <ol>
 *   <li>{@code gw PUT}: N S3 PUTs to the gateway, keys {@code obj-SIZE-i}, every body different
 *       (each 64 KiB of it starts with the request's number and offset, the rest is one random
 *       buffer), so no block is ever deduplicated against an earlier one;
 *   <li>{@code gw GET}: N S3 GETs of those objects from the gateway;
 *   <li>{@code nginx GET}: N GETs of same-sized files of the same generator from nginx (the
 *       ceiling for GET), files on the same filesystem as the gateway's blockstore;
 *   <li>{@code nginx PUT} (if NGINX_PUT_URL is given): N WebDAV PUTs to nginx, an extra reference
 *       (nginx writes a temp file and renames it; it never fsyncs, the gateway does);
 *   <li>{@code sdk GET} (if SDK_GETS &gt; 0): SDK_GETS GETs of the same objects through the AWS SDK's
 *       own synchronous client, for comparison with the bench's client.
 * </ol>
 *
 * <p>The bench's own client is a minimal blocking HTTP/1.1 client: one keep-alive socket per
 * connection and target, request heads written by hand, bodies written from and read into a
 * reused 1 MiB buffer (no copies, no parsing beyond the head). S3 requests go to URLs presigned
 * once, before the timings, by the AWS SDK's {@link S3Presigner} (SigV4, UNSIGNED-PAYLOAD): no
 * signing in the timed path. The same client fetches from nginx, so the nginx figure also bounds
 * what the client itself can move.
 *
 * <p>Latency is from the first byte of the request written to the last byte of the response read.
 * MB/s are 10^6 bytes of object per second of a phase's wall time. Each printed figure is the
 * median over REPS repetitions. The first GET of each size is checked (MD5) against what was
 * PUT, untimed.
 *
 * <pre>
 * java -cp ... io.canopy.interop.bench.S3BenchMain S3_URL ACCESS_KEY SECRET_KEY BUCKET NGINX_URL NGINX_DIR \
 *     [SIZES_MIB=1,64] [REQUESTS=256,16] [CONCURRENCY=8] [REPS=3] [NGINX_PUT_URL|-] [SDK_GETS=0] \
 *     [GATEWAY_PID] [NGINX_PID]
 * </pre>
 *
 * <p>With the servers' process ids, each phase also reports the CPU seconds per GB moved that the
 * server (the daemon; nginx's master and workers) and this client used (from /proc: user +
 * system), a figure less disturbed by other load on a shared machine than MB/s.
 */
public final class S3BenchMain {
  private static final int SEGMENT = 64 * 1024;
  private static final int BUFFER = 1 << 20;
  private static final byte[] RANDOM = new byte[BUFFER];

  static {
    new Random(0x5eed).nextBytes(RANDOM);
  }

  private S3BenchMain() {}

  /** One phase's measurements. */
  record Phase(int requests, long bytes, double seconds, double p50Ms, double p99Ms, double serverCpu,
               double clientCpu) {
    double mbps() {
      return bytes / seconds / 1e6;
    }

    /** CPU seconds per GB (10^9 bytes) moved; NaN when not measured. */
    double serverCpuPerGb() {
      return serverCpu / (bytes / 1e9);
    }

    double clientCpuPerGb() {
      return clientCpu / (bytes / 1e9);
    }

    Phase withCpu(double server, double client) {
      return new Phase(requests, bytes, seconds, p50Ms, p99Ms, server, client);
    }
  }

  /** CPU seconds (user + system) used so far by process {@code pid} and its children's threads. */
  static double cpuSeconds(long pid) {
    if (pid <= 0) {
      return Double.NaN;
    }
    long ticks = 0;
    File[] procs = new File("/proc").listFiles((dir, name) -> name.chars().allMatch(Character::isDigit));
    if (procs == null) {
      return Double.NaN;
    }
    for (File proc : procs) {
      try {
        String stat = Files.readString(proc.toPath().resolve("stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long self = Long.parseLong(proc.getName());
        long parent = Long.parseLong(f[1]);
        if (self == pid || parent == pid) {
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
        }
      } catch (IOException | RuntimeException gone) {
        // the process ended meanwhile
      }
    }
    return ticks / (double) CLOCK_TICKS;
  }

  private static final int CLOCK_TICKS = 100; // USER_HZ on Linux

  public static void main(String[] args) throws Exception {
    if (args.length < 6) {
      System.err.println("usage: S3BenchMain S3_URL ACCESS_KEY SECRET_KEY BUCKET NGINX_URL NGINX_DIR"
          + " [SIZES_MIB=1,64] [REQUESTS=256,16] [CONCURRENCY=8] [REPS=3] [NGINX_PUT_URL|-] [SDK_GETS=0]"
          + " [GATEWAY_PID] [NGINX_PID]");
      System.exit(2);
    }
    URI s3Url = URI.create(args[0]);
    String accessKey = args[1];
    String secretKey = args[2];
    String bucket = args[3];
    URI nginxUrl = URI.create(args[4]);
    Path nginxDir = Path.of(args[5]);
    int[] sizesMib = ints(args.length > 6 ? args[6] : "1,64");
    int[] requests = ints(args.length > 7 ? args[7] : "256,16");
    int concurrency = args.length > 8 ? Integer.parseInt(args[8]) : 8;
    int reps = args.length > 9 ? Integer.parseInt(args[9]) : 3;
    URI nginxPutUrl = args.length > 10 && !args[10].equals("-") ? URI.create(args[10]) : null;
    int sdkGets = args.length > 11 ? Integer.parseInt(args[11]) : 0;
    long gatewayPid = args.length > 12 ? Long.parseLong(args[12]) : 0;
    long nginxPid = args.length > 13 ? Long.parseLong(args[13]) : 0;
    long selfPid = ProcessHandle.current().pid();
    if (requests.length != sizesMib.length) {
      throw new IllegalArgumentException("REQUESTS needs one count per size");
    }

    var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey));
    S3Configuration pathStyle = S3Configuration.builder().pathStyleAccessEnabled(true).build();
    try (S3Presigner presigner = S3Presigner.builder().region(Region.US_EAST_1).credentialsProvider(credentials)
            .endpointOverride(s3Url).serviceConfiguration(pathStyle).build();
         S3Client sdk = S3Client.builder().region(Region.US_EAST_1).credentialsProvider(credentials)
            .endpointOverride(s3Url).serviceConfiguration(pathStyle).build()) {
      sdk.createBucket(r -> r.bucket(bucket));
      ExecutorService pool = Executors.newFixedThreadPool(concurrency);
      Map<String, List<String>> results = new LinkedHashMap<>();
      AtomicLong requestIds = new AtomicLong(1);
      for (int s = 0; s < sizesMib.length; s++) {
        long size = (long) sizesMib[s] << 20;
        int n = requests[s];
        // Presigned once, valid for the whole run: the timed path does no signing.
        List<String> putPaths = new ArrayList<>();
        List<String> getPaths = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          String key = "obj-" + sizesMib[s] + "m-" + i;
          putPaths.add(pathAndQuery(presigner.presignPutObject(r -> r.signatureDuration(Duration.ofHours(6))
              .putObjectRequest(p -> p.bucket(bucket).key(key))).url().toURI()));
          getPaths.add(pathAndQuery(presigner.presignGetObject(r -> r.signatureDuration(Duration.ofHours(6))
              .getObjectRequest(p -> p.bucket(bucket).key(key))).url().toURI()));
        }
        int files = Math.min(n, Math.max(concurrency, 1));
        List<String> nginxPaths = new ArrayList<>();
        List<String> nginxPutPaths = new ArrayList<>();
        for (int i = 0; i < files; i++) {
          String name = "file-" + sizesMib[s] + "m-" + i;
          try (OutputStream out = Files.newOutputStream(nginxDir.resolve(name))) {
            writeBody(out, -1 - i, size, new byte[BUFFER]);
          }
          nginxPaths.add(nginxUrl.getRawPath().replaceAll("/$", "") + "/" + name);
        }
        for (int i = 0; i < n; i++) {
          if (nginxPutUrl != null) {
            nginxPutPaths.add(nginxPutUrl.getRawPath().replaceAll("/$", "") + "/put-" + sizesMib[s] + "m-" + i);
          }
        }
        String label = sizesMib[s] + " MiB";
        System.err.printf(Locale.ROOT, "%s: %d requests per phase, %d connections, %d reps%n",
            label, n, concurrency, reps);

        // Warm-up, untimed: one pass of every phase, then the check of the data path.
        int warm = Math.min(n, 2 * concurrency);
        long[] ids = run(pool, concurrency, warm, s3Url, "PUT", putPaths, size, requestIds).ids;
        checkGet(s3Url, getPaths.get(0), ids[0], size);
        run(pool, concurrency, warm, s3Url, "GET", getPaths, size, requestIds);
        run(pool, concurrency, warm, nginxUrl, "GET", nginxPaths, size, requestIds);
        if (nginxPutUrl != null) {
          run(pool, concurrency, warm, nginxPutUrl, "PUT", nginxPutPaths, size, requestIds);
        }
        if (sdkGets > 0) {
          sdkGet(pool, concurrency, Math.min(sdkGets, warm), sdk, bucket, sizesMib[s], n, size);
        }

        for (int rep = 1; rep <= reps; rep++) {
          Map<String, Phase> phases = new LinkedHashMap<>();
          phases.put("gw PUT", measured(gatewayPid, selfPid,
              () -> run(pool, concurrency, n, s3Url, "PUT", putPaths, size, requestIds).phase));
          phases.put("gw GET", measured(gatewayPid, selfPid,
              () -> run(pool, concurrency, n, s3Url, "GET", getPaths, size, requestIds).phase));
          phases.put("nginx GET", measured(nginxPid, selfPid,
              () -> run(pool, concurrency, n, nginxUrl, "GET", nginxPaths, size, requestIds).phase));
          if (nginxPutUrl != null) {
            phases.put("nginx PUT", measured(nginxPid, selfPid,
                () -> run(pool, concurrency, n, nginxPutUrl, "PUT", nginxPutPaths, size, requestIds).phase));
          }
          if (sdkGets > 0) {
            int mib = sizesMib[s];
            phases.put("sdk GET", measured(gatewayPid, selfPid,
                () -> sdkGet(pool, concurrency, sdkGets, sdk, bucket, mib, n, size)));
          }
          for (Map.Entry<String, Phase> e : phases.entrySet()) {
            Phase p = e.getValue();
            System.err.printf(Locale.ROOT,
                "%s rep %d %-10s %8.1f MB/s  p50 %8.1f ms  p99 %8.1f ms  CPU s/GB server %6.2f client %5.2f%n",
                label, rep, e.getKey(), p.mbps(), p.p50Ms(), p.p99Ms(), p.serverCpuPerGb(), p.clientCpuPerGb());
            String prefix = label + "|" + e.getKey() + "|";
            results.computeIfAbsent(prefix + "mbps", k -> new ArrayList<>()).add(fmt(p.mbps()));
            results.computeIfAbsent(prefix + "p50", k -> new ArrayList<>()).add(fmt(p.p50Ms()));
            results.computeIfAbsent(prefix + "p99", k -> new ArrayList<>()).add(fmt(p.p99Ms()));
            results.computeIfAbsent(prefix + "n", k -> new ArrayList<>()).add(Integer.toString(p.requests()));
            results.computeIfAbsent(prefix + "scpu", k -> new ArrayList<>()).add(fmt2(p.serverCpuPerGb()));
            results.computeIfAbsent(prefix + "ccpu", k -> new ArrayList<>()).add(fmt2(p.clientCpuPerGb()));
          }
        }
      }
      pool.shutdown();
      print(results, concurrency, reps);
    }
    System.exit(0);
  }

  private static void print(Map<String, List<String>> results, int concurrency, int reps) {
    List<String> sizes = new ArrayList<>();
    List<String> phases = new ArrayList<>();
    for (String k : results.keySet()) {
      String[] parts = k.split("\\|");
      if (!sizes.contains(parts[0])) {
        sizes.add(parts[0]);
      }
      if (!phases.contains(parts[1])) {
        phases.add(parts[1]);
      }
    }
    System.out.printf(Locale.ROOT, "%d connections, median of %d reps; per-rep MB/s in brackets%n", concurrency, reps);
    System.out.printf(Locale.ROOT, "%-8s %-10s %5s %9s %9s %9s %11s %11s   %s%n", "size", "phase", "reqs", "MB/s",
        "p50 ms", "p99 ms", "srv CPU s/GB", "cli CPU s/GB", "per rep MB/s");
    for (String size : sizes) {
      for (String phase : phases) {
        String prefix = size + "|" + phase + "|";
        if (!results.containsKey(prefix + "mbps")) {
          continue;
        }
        System.out.printf(Locale.ROOT, "%-8s %-10s %5s %9.1f %9.1f %9.1f %11.2f %11.2f   [%s]%n", size, phase,
            results.get(prefix + "n").get(0), median(results.get(prefix + "mbps")), median(results.get(prefix + "p50")),
            median(results.get(prefix + "p99")), median(results.get(prefix + "scpu")),
            median(results.get(prefix + "ccpu")), String.join(" ", results.get(prefix + "mbps")));
      }
      double put = median(results.get(size + "|gw PUT|mbps"));
      double get = median(results.get(size + "|gw GET|mbps"));
      double nginx = median(results.get(size + "|nginx GET|mbps"));
      System.out.printf(Locale.ROOT, "%-8s ratio gw GET / nginx GET  %6.2f   (target >= 0.50)%n", size, get / nginx);
      System.out.printf(Locale.ROOT, "%-8s ratio gw PUT / gw GET     %6.2f   (target >= 0.30)%n", size, put / get);
    }
    StringBuilder json = new StringBuilder("{");
    for (String size : sizes) {
      for (String phase : phases) {
        String prefix = size + "|" + phase + "|";
        if (!results.containsKey(prefix + "mbps")) {
          continue;
        }
        String key = size.replace(" MiB", "m") + "_" + phase.replace(' ', '_');
        for (String metric : List.of("mbps", "p50", "p99", "scpu", "ccpu")) {
          json.append(json.length() > 1 ? "," : "").append('"').append(key).append('_').append(metric).append("\":")
              .append(fmt(median(results.get(prefix + metric))));
        }
      }
    }
    System.out.println(json.append('}'));
  }

  // ---- phases ---------------------------------------------------------------------------------

  private record Run(Phase phase, long[] ids) {}

  /** {@code count} requests, {@code concurrency} at a time, request i to {@code paths[i % size]}. */
  private static Run run(ExecutorService pool, int concurrency, int count, URI target, String method,
      List<String> paths, long size, AtomicLong requestIds) throws Exception {
    AtomicInteger next = new AtomicInteger();
    long[] latencies = new long[count];
    long[] ids = new long[count];
    List<Future<?>> workers = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < Math.min(concurrency, count); c++) {
      workers.add(pool.submit(() -> {
        byte[] buffer = new byte[BUFFER];
        try (Conn conn = new Conn(target)) {
          for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
            String path = paths.get(i % paths.size());
            long t0 = System.nanoTime();
            if (method.equals("PUT")) {
              long id = requestIds.getAndIncrement();
              ids[i] = id;
              conn.put(path, size, id, buffer);
            } else {
              long got = conn.get(path, buffer, null);
              if (got != size) {
                throw new IOException("GET " + path + " gave " + got + " bytes, not " + size);
              }
            }
            latencies[i] = System.nanoTime() - t0;
          }
        }
        return null;
      }));
    }
    for (Future<?> w : workers) {
      w.get();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Run(phase(latencies, count * size, seconds), ids);
  }

  private static Phase sdkGet(ExecutorService pool, int concurrency, int count, S3Client sdk, String bucket,
      int sizeMib, int objects, long size) throws Exception {
    AtomicInteger next = new AtomicInteger();
    long[] latencies = new long[count];
    List<Future<?>> workers = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < Math.min(concurrency, count); c++) {
      workers.add(pool.submit(() -> {
        byte[] buffer = new byte[BUFFER];
        for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
          String key = "obj-" + sizeMib + "m-" + (i % objects);
          long t0 = System.nanoTime();
          long got = 0;
          try (ResponseInputStream<GetObjectResponse> in = sdk.getObject(r -> r.bucket(bucket).key(key))) {
            for (int k; (k = in.read(buffer)) >= 0; ) {
              got += k;
            }
          }
          if (got != size) {
            throw new IOException("SDK GET " + key + " gave " + got + " bytes, not " + size);
          }
          latencies[i] = System.nanoTime() - t0;
        }
        return null;
      }));
    }
    for (Future<?> w : workers) {
      w.get();
    }
    return phase(latencies, count * size, (System.nanoTime() - start) / 1e9);
  }

  private static Phase phase(long[] latencies, long bytes, double seconds) {
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    return new Phase(sorted.length, bytes, seconds, percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6,
        Double.NaN, Double.NaN);
  }

  /** Nearest-rank percentile of sorted values. */
  private static double percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static void checkGet(URI target, String path, long id, long size) throws Exception {
    MessageDigest want = MessageDigest.getInstance("MD5");
    byte[] buffer = new byte[BUFFER];
    writeBody(new OutputStream() {
      @Override
      public void write(int b) {
        want.update((byte) b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        want.update(b, off, len);
      }
    }, id, size, buffer);
    MessageDigest got = MessageDigest.getInstance("MD5");
    try (Conn conn = new Conn(target)) {
      conn.get(path, buffer, got);
    }
    if (!MessageDigest.isEqual(want.digest(), got.digest())) {
      throw new IOException("GET " + path + " did not return the bytes PUT");
    }
    System.err.println("checked: the gateway returned the bytes PUT (MD5)");
  }

  // ---- the client -----------------------------------------------------------------------------

  /** The body of request {@code id}: RANDOM, with (id, offset) at the start of every 64 KiB. */
  static void writeBody(OutputStream out, long id, long size, byte[] buffer) throws IOException {
    System.arraycopy(RANDOM, 0, buffer, 0, BUFFER);
    for (long offset = 0; offset < size; offset += BUFFER) {
      int n = (int) Math.min(BUFFER, size - offset);
      for (int seg = 0; seg < n; seg += SEGMENT) {
        putLong(buffer, seg, id);
        putLong(buffer, seg + 8, offset + seg);
      }
      out.write(buffer, 0, n);
    }
  }

  private static void putLong(byte[] b, int at, long v) {
    for (int i = 0; i < 8; i++) {
      b[at + i] = (byte) (v >>> (56 - 8 * i));
    }
  }

  /** One keep-alive HTTP/1.1 connection. */
  static final class Conn implements AutoCloseable {
    private final URI target;
    private final String hostHeader;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final byte[] head = new byte[16 * 1024];
    private int headStart;
    private int headEnd;

    Conn(URI target) {
      this.target = target;
      this.hostHeader = target.getHost() + ":" + target.getPort();
    }

    private void open() throws IOException {
      if (socket == null) {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(target.getHost(), target.getPort()), 10_000);
        socket.setSoTimeout(300_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        headStart = headEnd = 0;
      }
    }

    void put(String path, long size, long id, byte[] buffer) throws IOException {
      open();
      out.write(("PUT " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nContent-Length: " + size + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      writeBody(out, id, size, buffer);
      out.flush();
      Response r = readResponse(buffer, null);
      if (r.status / 100 != 2) {
        throw new IOException("PUT " + path + ": HTTP " + r.status + " " + r.bodyText);
      }
    }

    long get(String path, byte[] buffer, MessageDigest digest) throws IOException {
      open();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      Response r = readResponse(buffer, digest);
      if (r.status != 200) {
        throw new IOException("GET " + path + ": HTTP " + r.status + " " + r.bodyText);
      }
      return r.length;
    }

    private record Response(int status, long length, String bodyText) {}

    private Response readResponse(byte[] buffer, MessageDigest digest) throws IOException {
      // The head: up to CRLFCRLF, into `head` (leftover body bytes stay there, read first).
      int end;
      while ((end = indexOfHeadEnd()) < 0) {
        if (headEnd == head.length) {
          throw new IOException("response head too long");
        }
        int k = in.read(head, headEnd, head.length - headEnd);
        if (k < 0) {
          throw new IOException("connection closed before the response head");
        }
        headEnd += k;
      }
      String text = new String(head, headStart, end - headStart, StandardCharsets.ISO_8859_1);
      headStart = end + 4;
      String[] lines = text.split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      long length = -1;
      boolean close = false;
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = lines[i].substring(colon + 1).trim();
        if (name.equals("content-length")) {
          length = Long.parseLong(value);
        } else if (name.equals("transfer-encoding") && !value.equalsIgnoreCase("identity")) {
          throw new IOException("this client reads no " + value + " bodies");
        } else if (name.equals("connection") && value.equalsIgnoreCase("close")) {
          close = true;
        }
      }
      if (status == 100) {
        return readResponse(buffer, digest);
      }
      if (length < 0) {
        length = 0; // 204, or a PUT answer without a body
      }
      boolean keepText = status / 100 != 2;
      StringBuilder bodyText = new StringBuilder();
      long left = length;
      while (left > 0) {
        int n;
        if (headStart < headEnd) {
          n = (int) Math.min(left, headEnd - headStart);
          System.arraycopy(head, headStart, buffer, 0, n);
          headStart += n;
        } else {
          n = in.read(buffer, 0, (int) Math.min(left, buffer.length));
          if (n < 0) {
            throw new IOException("connection closed " + left + " bytes before the end of the body");
          }
        }
        if (digest != null) {
          digest.update(buffer, 0, n);
        }
        if (keepText && bodyText.length() < 4096) {
          bodyText.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }
        left -= n;
      }
      if (headStart == headEnd) {
        headStart = headEnd = 0;
      } else {
        System.arraycopy(head, headStart, head, 0, headEnd - headStart);
        headEnd -= headStart;
        headStart = 0;
      }
      if (close) {
        close();
      }
      return new Response(status, length, bodyText.toString());
    }

    private int indexOfHeadEnd() {
      for (int i = headStart; i + 3 < headEnd; i++) {
        if (head[i] == '\r' && head[i + 1] == '\n' && head[i + 2] == '\r' && head[i + 3] == '\n') {
          return i;
        }
      }
      return -1;
    }

    @Override
    public void close() throws IOException {
      if (socket != null) {
        socket.close();
        socket = null;
      }
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private static String pathAndQuery(URI uri) {
    return uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
  }

  private static int[] ints(String csv) {
    return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String fmt2(double v) {
    return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.2f", v);
  }

  @FunctionalInterface
  private interface PhaseRun {
    Phase run() throws Exception;
  }

  /** Runs a phase and adds the CPU the server (and its children) and this client used meanwhile. */
  private static Phase measured(long serverPid, long selfPid, PhaseRun phase) throws Exception {
    double server0 = cpuSeconds(serverPid);
    double client0 = cpuSeconds(selfPid);
    Phase p = phase.run();
    return p.withCpu(cpuSeconds(serverPid) - server0, cpuSeconds(selfPid) - client0);
  }

  private static double median(List<String> values) {
    List<Double> sorted = new ArrayList<>();
    for (String v : values) {
      sorted.add(Double.parseDouble(v));
    }
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
