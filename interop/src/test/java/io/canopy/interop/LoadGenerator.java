package io.canopy.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A closed-loop mixed workload against a devnet's gateway, through the clients an app uses: the
 * AWS SDK v2 for S3 and plain HTTP for the IPFS gateway and the OpenAI-compatible embeddings.
 * Each of {@code concurrency} virtual users picks an operation by the {@link Mix}'s weights, sends
 * it, waits for its answer, checks it, and picks the next one, until the duration is over or
 * {@link #stop()} is called:
 *
 * <ul>
 *   <li>{@code PutObject}: 1 KiB–1 MiB of random bytes (sizes log-uniform, so small objects are
 *       as common as big ones), followed by {@code HeadObject} for its CID; the object is then
 *       {@linkplain #acknowledged() acknowledged} (key → SHA-256, size, CID);</li>
 *   <li>{@code GetObject} of an acknowledged object: the bytes must hash to what was put;</li>
 *   <li>{@code ListObjectsV2} of the virtual user's own prefix: every object it put there must be
 *       listed, with its size (no one else writes under that prefix);</li>
 *   <li>{@code IpfsGet}: {@code GET /ipfs/CID} of an acknowledged object: the bytes must hash to
 *       what was put;</li>
 *   <li>{@code Embeddings}: {@code POST /v1/embeddings} of one of a fixed set of sentences: 384
 *       finite numbers, not all zero, and the same vector (cosine &gt; 0.999) each time the same
 *       sentence is embedded.</li>
 * </ul>
 *
 * A wrong answer is counted as a {@value #DATA_ERROR} error, never as a success; every other
 * failure (an S3 error code, an HTTP status, a timeout) as an error of its own kind. Latencies are
 * of successful operations. While it runs, the gateway process's memory is sampled every second
 * ({@link GatewayMemorySampler}).
 *
 * <p>By hand, against a running {@code ./canopy devnet --json} whose JSON line is in
 * {@code CANOPY_DEVNET}: see {@link #main}.
 */
public final class LoadGenerator {
  /** Prefix of the error kinds that are wrong answers. */
  static final String DATA_ERROR = "data: ";
  static final String PUT = "PutObject";
  static final String HEAD = "HeadObject";
  static final String GET = "GetObject";
  static final String LIST = "ListObjectsV2";
  static final String IPFS = "IpfsGet";
  static final String EMBED = "Embeddings";
  private static final List<String> OPS = List.of(PUT, HEAD, GET, LIST, IPFS, EMBED);

  static final String EMBEDDING_MODEL = "all-MiniLM-L6-v2";
  static final int EMBEDDING_DIMENSIONS = 384;
  private static final int MIN_SIZE = 1 << 10;
  private static final int MAX_SIZE = 1 << 20;
  private static final Duration OP_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> SENTENCES = sentences();

  /**
   * Relative weights of the operations a virtual user runs (HeadObject follows each PutObject).
   * Until something was put, reads are replaced by puts.
   */
  record Mix(int put, int get, int list, int ipfs, int embed) {
    static final Mix DEFAULT = new Mix(25, 30, 10, 20, 15);

    Mix {
      if (put <= 0 || get < 0 || list < 0 || ipfs < 0 || embed < 0) {
        throw new IllegalArgumentException("weights must be >= 0 and put > 0: " + this);
      }
    }

    /**
     * One round of operations, each as often as its weight (divided by their greatest common
     * divisor); a virtual user goes through it shuffled, so even a short run sees every type.
     */
    List<String> deck() {
      int g = java.math.BigInteger.valueOf(put).gcd(java.math.BigInteger.valueOf(get)).gcd(java.math.BigInteger.valueOf(list))
          .gcd(java.math.BigInteger.valueOf(ipfs)).gcd(java.math.BigInteger.valueOf(embed)).intValue();
      List<String> d = new ArrayList<>();
      d.addAll(Collections.nCopies(put / g, PUT));
      d.addAll(Collections.nCopies(get / g, GET));
      d.addAll(Collections.nCopies(list / g, LIST));
      d.addAll(Collections.nCopies(ipfs / g, IPFS));
      d.addAll(Collections.nCopies(embed / g, EMBED));
      return d;
    }
  }

  /**
   * An object the gateway acknowledged (PutObject answered 200 and HeadObject gave its CID).
   *
   * @param sha256 lowercase hex SHA-256 of the bytes put
   * @param cid the CID from HeadObject's {@code cid} metadata
   */
  record StoredObject(String bucket, String key, int size, String sha256, String cid) {}

  private final Mix mix;
  private final long seed;
  private final List<StoredObject> acknowledged = new CopyOnWriteArrayList<>();
  private final Map<String, Stats> stats = new LinkedHashMap<>();
  /** Every operation of the run, for the overall percentiles. */
  private volatile Stats all = new Stats();
  private final Map<String, double[]> embeddings = new ConcurrentHashMap<>();
  private volatile boolean stopped;

  LoadGenerator(Mix mix, long seed) {
    this.mix = mix;
    this.seed = seed;
    OPS.forEach(op -> stats.put(op, new Stats()));
  }

  LoadGenerator() {
    this(Mix.DEFAULT, System.nanoTime());
  }

  /**
   * Ends the current {@link #run} early (from another thread): each virtual user finishes its
   * operation and stops. One run at a time; a later run starts afresh.
   */
  void stop() {
    stopped = true;
  }

  /** Every object acknowledged so far (all runs of this generator), to re-read after faults. */
  List<StoredObject> acknowledged() {
    return List.copyOf(acknowledged);
  }

  /**
   * Runs the workload for {@code duration} (or until {@link #stop()}) with {@code concurrency}
   * virtual users against the devnet whose JSON line is {@code devnet}.
   */
  LoadReport run(JsonNode devnet, Duration duration, int concurrency) throws InterruptedException {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be >= 1: " + concurrency);
    }
    Endpoints e = Endpoints.of(devnet);
    // Each run reports its own figures; what was acknowledged and the embeddings seen stay, so a
    // run after a fault reads (and compares with) what the runs before it wrote.
    stats.replaceAll((op, old) -> new Stats());
    all = new Stats();
    stopped = false;
    String bucket = "load-" + Long.toHexString(seed & 0xffffffffL) + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    GatewayMemorySampler memory = null;
    String memoryNote = null;
    try (S3Client s3 = s3Client(e)) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      try {
        s3.createBucket(b -> b.bucket(bucket));
      } catch (BucketAlreadyOwnedByYouException fine) {
        // a second run of the same generator in the same nanosecond window: the bucket is ours
      }
      // Sampled from here: the thirds are thirds of the load, not of the set-up.
      try {
        memory = GatewayMemorySampler.start(e.s3());
      } catch (IllegalStateException ex) {
        memoryNote = "not sampled: " + ex.getMessage();
      }
      long start = System.nanoTime();
      long deadline = start + duration.toNanos();
      CountDownLatch done = new CountDownLatch(concurrency);
      List<Thread> users = new ArrayList<>();
      for (int i = 0; i < concurrency; i++) {
        VirtualUser vu = new VirtualUser(i, new Random(seed * 31 + i), s3, http, e, bucket);
        Thread t = new Thread(() -> {
          try {
            while (!stopped && System.nanoTime() < deadline) {
              vu.next();
            }
          } finally {
            done.countDown();
          }
        }, "load-vu-" + i);
        t.setDaemon(true);
        users.add(t);
        t.start();
      }
      // Each user ends after its current operation, which times out after OP_TIMEOUT at the latest.
      if (!done.await(duration.toSeconds() + 2 * OP_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS)) {
        users.forEach(Thread::interrupt);
        done.await(30, TimeUnit.SECONDS);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      LoadReport.Memory summary = memory == null ? null : memory.summary();
      if (memory != null) {
        memoryNote = memory.note() + (summary == null ? "; fewer than 3 samples after a GC" : "");
      }
      List<LoadReport.Op> ops = new ArrayList<>();
      stats.forEach((name, s) -> ops.add(s.op(name)));
      return new LoadReport(seconds, concurrency, ops, all.op("total"), summary, memoryNote);
    } finally {
      if (memory != null) {
        memory.close();
      }
    }
  }

  /**
   * Reads every acknowledged object again through S3 and the IPFS gateway (for a test that
   * injected faults meanwhile); returns one line per object that is missing or wrong.
   */
  List<String> reverify(JsonNode devnet) throws InterruptedException {
    Endpoints e = Endpoints.of(devnet);
    List<String> problems = new ArrayList<>();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    try (S3Client s3 = s3Client(e)) {
      for (StoredObject o : acknowledged()) {
        try {
          String got = sha256(s3.getObjectAsBytes(b -> b.bucket(o.bucket()).key(o.key())).asByteArray());
          if (!got.equals(o.sha256())) {
            problems.add("s3://" + o.bucket() + "/" + o.key() + ": SHA-256 " + got + ", put " + o.sha256());
          }
        } catch (RuntimeException ex) {
          problems.add("s3://" + o.bucket() + "/" + o.key() + ": " + ex);
        }
        try {
          HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(e.ipfs().resolve("/ipfs/" + o.cid())).timeout(OP_TIMEOUT).build(),
              HttpResponse.BodyHandlers.ofByteArray());
          if (r.statusCode() != 200 || !sha256(r.body()).equals(o.sha256())) {
            problems.add("/ipfs/" + o.cid() + " (" + o.key() + "): HTTP " + r.statusCode() + ", SHA-256 " + sha256(r.body()));
          }
        } catch (IOException ex) {
          problems.add("/ipfs/" + o.cid() + " (" + o.key() + "): " + ex);
        }
      }
    }
    return problems;
  }

  // ---- the virtual user ----

  /** One closed-loop client: its own random stream, key prefix and list of what it put. */
  private final class VirtualUser {
    private final int id;
    private final Random random;
    private final S3Client s3;
    private final HttpClient http;
    private final Endpoints e;
    private final String bucket;
    private final String prefix;
    private final Map<String, StoredObject> mine = new LinkedHashMap<>();
    private final List<String> deck = new ArrayList<>();
    private int puts;

    VirtualUser(int id, Random random, S3Client s3, HttpClient http, Endpoints e, String bucket) {
      this.id = id;
      this.random = random;
      this.s3 = s3;
      this.http = http;
      this.e = e;
      this.bucket = bucket;
      this.prefix = "vu" + id + "/";
      // The first round runs each type once (put first, popped from the end), so even a short run
      // on a slow machine checks every type; the shuffled rounds of the mix follow.
      deck.addAll(List.of(EMBED, IPFS, LIST, GET, PUT));
    }

    void next() {
      if (deck.isEmpty()) {
        deck.addAll(mix.deck());
        Collections.shuffle(deck, random);
      }
      String op = deck.remove(deck.size() - 1);
      if ((op.equals(GET) || op.equals(IPFS)) && acknowledged.isEmpty() || op.equals(LIST) && mine.isEmpty()) {
        op = PUT;
      }
      switch (op) {
        case PUT -> put();
        case GET -> timed(GET, this::get);
        case LIST -> timed(LIST, this::list);
        case IPFS -> timed(IPFS, this::ipfsGet);
        default -> timed(EMBED, this::embed);
      }
    }

    private StoredObject any() {
      return acknowledged.get(random.nextInt(acknowledged.size()));
    }

    private void put() {
      // log-uniform 1 KiB – 1 MiB
      int size = (int) Math.round(MIN_SIZE * Math.pow((double) MAX_SIZE / MIN_SIZE, random.nextDouble()));
      byte[] body = new byte[size];
      random.nextBytes(body);
      String key = prefix + String.format("%06d", puts++) + "-" + size;
      String sha = sha256(body);
      boolean stored = timed(PUT, () -> {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
        return size;
      });
      if (!stored) {
        return;
      }
      String[] cid = new String[1];
      boolean headed = timed(HEAD, () -> {
        HeadObjectResponse h = s3.headObject(b -> b.bucket(bucket).key(key));
        if (h.contentLength() == null || h.contentLength() != size) {
          throw new DataError("HeadObject length " + h.contentLength() + " of a " + size + "-byte put");
        }
        cid[0] = h.metadata().get("cid");
        if (cid[0] == null || cid[0].isEmpty()) {
          throw new DataError("HeadObject without cid metadata");
        }
        return 0;
      });
      if (headed) {
        StoredObject o = new StoredObject(bucket, key, size, sha, cid[0]);
        mine.put(key, o);
        acknowledged.add(o);
      }
    }

    private long get() {
      StoredObject o = any();
      ResponseBytes<GetObjectResponse> r = s3.getObjectAsBytes(b -> b.bucket(o.bucket()).key(o.key()));
      byte[] got = r.asByteArray();
      if (got.length != o.size()) {
        throw new DataError("GetObject returned " + got.length + " bytes of a " + o.size() + "-byte object");
      }
      if (!sha256(got).equals(o.sha256())) {
        throw new DataError("GetObject bytes differ from what was put (SHA-256)");
      }
      return got.length;
    }

    private long list() {
      ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).maxKeys(1000));
      Set<String> listed = new HashSet<>();
      for (S3Object o : r.contents()) {
        StoredObject put = mine.get(o.key());
        // A key put but not acknowledged (its HeadObject failed) may be listed; ours must be right.
        if (put != null && o.size() != put.size()) {
          throw new DataError("ListObjectsV2 size " + o.size() + " of a " + put.size() + "-byte object");
        }
        listed.add(o.key());
      }
      if (!Boolean.TRUE.equals(r.isTruncated()) && !listed.containsAll(mine.keySet())) {
        throw new DataError("ListObjectsV2 misses acknowledged keys");
      }
      return 0;
    }

    private long ipfsGet() throws IOException, InterruptedException {
      StoredObject o = any();
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(e.ipfs().resolve("/ipfs/" + o.cid())).timeout(OP_TIMEOUT).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new HttpError(r.statusCode());
      }
      if (r.body().length != o.size()) {
        throw new DataError("IPFS gateway returned " + r.body().length + " bytes of a " + o.size() + "-byte object");
      }
      if (!sha256(r.body()).equals(o.sha256())) {
        throw new DataError("IPFS gateway bytes differ from what was put (SHA-256)");
      }
      return r.body().length;
    }

    private long embed() throws IOException, InterruptedException {
      String text = SENTENCES.get(random.nextInt(SENTENCES.size()));
      ObjectNode body = JSON.createObjectNode().put("model", EMBEDDING_MODEL).put("input", text);
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(e.openai() + "/embeddings"))
          .header("Authorization", "Bearer " + e.apiKey()).header("Content-Type", "application/json").timeout(OP_TIMEOUT)
          .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new HttpError(r.statusCode());
      }
      JsonNode v = JSON.readTree(r.body()).path("data").path(0).path("embedding");
      if (v.size() != EMBEDDING_DIMENSIONS) {
        throw new DataError("embedding of " + v.size() + " numbers, not " + EMBEDDING_DIMENSIONS);
      }
      double[] x = new double[v.size()];
      double norm = 0;
      for (int i = 0; i < x.length; i++) {
        if (!v.get(i).isNumber() || !Double.isFinite(x[i] = v.get(i).asDouble())) {
          throw new DataError("embedding with a non-finite or non-numeric element: " + v.get(i));
        }
        norm += x[i] * x[i];
      }
      if (norm == 0) {
        throw new DataError("all-zero embedding");
      }
      double[] before = embeddings.putIfAbsent(text, x);
      if (before != null && cosine(before, x) < 0.999) {
        throw new DataError("the same sentence embedded differently (cosine " + cosine(before, x) + ")");
      }
      return 0;
    }

    /** Runs one operation, records its latency or its error kind; true if it succeeded. */
    private boolean timed(String op, Call call) {
      long t0 = System.nanoTime();
      try {
        long bytes = call.run();
        long nanos = System.nanoTime() - t0;
        stats.get(op).ok(nanos, bytes);
        all.ok(nanos, bytes);
        return true;
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        stopped = true;
        stats.get(op).error("interrupted");
        all.error("interrupted");
        return false;
      } catch (Exception ex) {
        String kind = kind(ex);
        stats.get(op).error(kind);
        all.error(kind);
        return false;
      }
    }
  }

  @FunctionalInterface
  private interface Call {
    /** Does the operation; returns the object bytes it moved. */
    long run() throws Exception;
  }

  /** A wrong answer. */
  private static final class DataError extends RuntimeException {
    DataError(String message) {
      super(message, null, false, false);
    }
  }

  private static final class HttpError extends RuntimeException {
    HttpError(int status) {
      super("HTTP " + status, null, false, false);
    }
  }

  /** The error kind: data errors by message, S3 errors by status and code, the others by type. */
  static String kind(Throwable ex) {
    if (ex instanceof DataError) {
      return DATA_ERROR + ex.getMessage();
    }
    if (ex instanceof HttpError) {
      return ex.getMessage();
    }
    if (ex instanceof S3Exception s) {
      return "S3 " + s.statusCode() + " " + (s.awsErrorDetails() == null ? "" : s.awsErrorDetails().errorCode());
    }
    if (ex instanceof HttpTimeoutException) {
      return "timeout";
    }
    if (ex instanceof SdkClientException && String.valueOf(ex.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("checksum")) {
      // the SDK checked the response's checksum header against the bytes: wrong bytes all the same
      return DATA_ERROR + "SDK checksum mismatch: " + ex.getMessage();
    }
    if (ex instanceof SdkClientException && ex.getCause() != null) {
      return "client: " + ex.getCause().getClass().getSimpleName();
    }
    return ex.getClass().getSimpleName();
  }

  // ---- statistics ----

  /**
   * Counts and a log-bucket latency histogram of one operation type: buckets 2 % wide, so a
   * percentile is within 1 % of the true value, in constant memory however long the run.
   */
  static final class Stats {
    private static final double BUCKETS_PER_E = 50; // e^(1/50) ≈ 1.02
    private final long[] buckets = new long[(int) (BUCKETS_PER_E * Math.log(1e12)) + 2]; // up to 1000 s
    private final Map<String, Long> errors = new LinkedHashMap<>();
    private long count;
    private long ok;
    private long bytes;
    private long maxNanos;

    synchronized void ok(long nanos, long moved) {
      count++;
      ok++;
      bytes += moved;
      maxNanos = Math.max(maxNanos, nanos);
      buckets[Math.min(buckets.length - 1, (int) (BUCKETS_PER_E * Math.log(Math.max(1, nanos))))]++;
    }

    synchronized void error(String kind) {
      count++;
      errors.merge(kind, 1L, Long::sum);
    }

    /** The latency below which fraction {@code q} of the successful operations lie (bucket midpoint), in ms. */
    synchronized double quantileMs(double q) {
      if (ok == 0) {
        return Double.NaN;
      }
      long rank = (long) Math.ceil(q * ok);
      long seen = 0;
      for (int i = 0; i < buckets.length; i++) {
        seen += buckets[i];
        if (seen >= Math.max(1, rank)) {
          return Math.min(Math.exp((i + 0.5) / BUCKETS_PER_E), maxNanos) / 1e6;
        }
      }
      return maxNanos / 1e6;
    }

    synchronized LoadReport.Op op(String name) {
      return new LoadReport.Op(name, count, Map.copyOf(errors), bytes, quantileMs(0.5), quantileMs(0.99),
          ok == 0 ? Double.NaN : maxNanos / 1e6);
    }
  }

  // ---- plumbing ----

  /** The endpoints the load uses, from the devnet's JSON line. */
  record Endpoints(URI s3, String accessKeyId, String secretAccessKey, URI ipfs, String openai, String apiKey) {
    static Endpoints of(JsonNode line) {
      return new Endpoints(URI.create(text(line, "s3")), text(line, "accessKeyId"), text(line, "secretAccessKey"),
          URI.create(text(line, "ipfsGateway")), text(line, "openai").replaceAll("/$", ""), text(line, "apiKey"));
    }

    private static String text(JsonNode line, String key) {
      String v = line.path(key).asText("");
      if (v.isEmpty()) {
        throw new IllegalArgumentException("the devnet's JSON line has no \"" + key + "\": " + line);
      }
      return v;
    }
  }

  private static S3Client s3Client(Endpoints e) {
    return S3Client.builder().region(Region.US_EAST_1).endpointOverride(e.s3())
        // The client's own read timeout (30 s by default) would cut a slow PUT before the op timeout.
        .httpClientBuilder(Apache5HttpClient.builder().socketTimeout(OP_TIMEOUT).connectionTimeout(Duration.ofSeconds(10))
            .maxConnections(64))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(e.accessKeyId(), e.secretAccessKey())))
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
        // No retries: an error the gateway answers is counted, not hidden behind a second attempt.
        .overrideConfiguration(c -> c.apiCallTimeout(OP_TIMEOUT).retryStrategy(b -> b.maxAttempts(1)))
        .build();
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static double cosine(double[] a, double[] b) {
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += a[i] * b[i];
      aa += a[i] * a[i];
      bb += b[i] * b[i];
    }
    return ab / Math.sqrt(aa * bb);
  }

  /** 32 different sentences, so the compute node does not answer one cached input. */
  private static List<String> sentences() {
    String[] subjects = {"The storage node", "A validator", "The gateway", "Each peer"};
    String[] verbs = {"keeps", "checks", "serves", "replicates"};
    String[] objects = {"a copy of every block", "the epoch's proofs", "the embeddings of a page", "requests from the city library",
        "old photographs", "a backup of the garden notes", "the bicycle repair manual", "a loaf recipe"};
    List<String> s = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      s.add(subjects[i % 4] + " " + verbs[(i / 4) % 4] + " " + objects[i % 8] + ".");
    }
    return List.copyOf(s);
  }

  /**
   * {@code CANOPY_DEVNET='<devnet JSON line>' java … io.canopy.interop.LoadGenerator [--seconds N]
   * [--concurrency N]}: runs the load against a devnet started by hand and prints the report;
   * exits 1 if a read returned wrong bytes or more than 1 % of the operations failed. From the
   * repository root: {@code mvn -B -o -q -pl interop test-compile exec:java -Dcanopy.skipNpm=true
   * -Dexec.classpathScope=test -Dexec.mainClass=io.canopy.interop.LoadGenerator
   * -Dexec.args="--seconds 120"}.
   */
  public static void main(String[] args) throws Exception {
    int seconds = 60;
    int concurrency = 8;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds" -> seconds = Integer.parseInt(value(args, ++i));
        case "--concurrency" -> concurrency = Integer.parseInt(value(args, ++i));
        default -> usage("unknown argument " + args[i]);
      }
    }
    String line = System.getenv("CANOPY_DEVNET");
    if (line == null || line.isBlank()) {
      usage("set CANOPY_DEVNET to the JSON line `./canopy devnet --json` prints");
    }
    LoadReport report = new LoadGenerator().run(JSON.readTree(line), Duration.ofSeconds(seconds), concurrency);
    report.print();
    System.exit(report.dataErrors() == 0 && report.errorRate() < 0.01 ? 0 : 1);
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      usage(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  private static void usage(String problem) {
    System.err.println(problem);
    System.err.println("usage: CANOPY_DEVNET='<json line>' LoadGenerator [--seconds N (60)] [--concurrency N (8)]");
    System.exit(2);
  }
}
