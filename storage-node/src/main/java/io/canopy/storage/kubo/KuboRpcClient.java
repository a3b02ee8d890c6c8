package io.canopy.storage.kubo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.pin.PinException;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.InvalidCidException;
import io.canopy.multiformats.Multicodec;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A small client for the subset of the Kubo RPC API ({@code POST /api/v0/<command>}) that the
 * storage role needs to keep its blocks in an IPFS daemon the operator already runs. It speaks to
 * Kubo (≥ 0.20, as documented at docs.ipfs.tech/reference/kubo/rpc) and to js-ipfs 0.66, whose
 * differences {@link KuboDialect} lists.
 *
 * <p>Every answer is bounded: a block by {@link Block#MAX_SIZE}, a JSON answer by {@link
 * KuboRpcConfig#maxJsonBytes()}, each line of a streamed answer by {@link
 * KuboRpcConfig#maxLineBytes()}; and every call by a deadline for the whole exchange, body
 * included. Failures are {@link KuboRpcException}s naming the daemon's URL, except the two the rest
 * of Canopy already handles: {@link BlockNotFoundException} and {@link PinException}.
 *
 * <p>Lookups are kept to the daemon's own store (Kubo's {@code offline=true}): Canopy fetches
 * missing blocks itself over its Bitswap, it does not want the daemon to go and look.
 *
 * <p>Thread-safe. {@link #close()} stops its threads; it does not stop the daemon.
 */
public final class KuboRpcClient implements Closeable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String API_PREFIX = "/api/v0/";

  private final KuboRpcConfig config;
  private final ExecutorService httpExecutor;
  private final ScheduledExecutorService watchdog;
  private final HttpClient http;
  private volatile KuboDialect dialect;

  public KuboRpcClient(KuboRpcConfig config) {
    this.config = Objects.requireNonNull(config, "config");
    this.dialect = config.dialect().orElse(null);
    AtomicInteger n = new AtomicInteger();
    this.httpExecutor = Executors.newCachedThreadPool(r -> daemonThread(r, "kubo-rpc-http-" + n.incrementAndGet()));
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> daemonThread(r, "kubo-rpc-deadline"));
    this.http = HttpClient.newBuilder()
        .connectTimeout(config.connectTimeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .version(HttpClient.Version.HTTP_1_1)
        .executor(httpExecutor)
        .build();
  }

  private static Thread daemonThread(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  public KuboRpcConfig config() {
    return config;
  }

  /** {@code http(s)://host:port} of the daemon's API. */
  public URI apiUrl() {
    return config.apiUrl();
  }

  // ---------------------------------------------------------------------------------------------
  // Answers

  /** {@code version}: what the daemon says it is, and the dialect it is spoken to in. */
  public record Version(String version, String commit, String repo, String system, KuboDialect dialect) {}

  /** {@code id}: the daemon's peer ID, agent and addresses. */
  public record PeerIdentity(String id, String agentVersion, List<String> addresses) {}

  /** {@code block/stat}: the CID as the daemon spells it and the block's size. */
  public record BlockStat(Cid cid, long size) {}

  /**
   * {@code repo/stat}: the repo's size on disk (blocks and the daemon's own datastore), its
   * configured maximum and, unless asked with {@code size-only}, the number of blocks (else -1).
   */
  public record RepoStat(long repoSize, long storageMax, long numObjects) {}

  /** One entry of {@code pin/ls}: a pinned CID and its type (recursive, direct, indirect). */
  public record Pin(Cid cid, String type) {}

  // ---------------------------------------------------------------------------------------------
  // Commands

  /** {@code version}. Also fixes the dialect, unless the config forces one. */
  public Version version() throws IOException {
    JsonNode v = json("version", Map.of(), List.of(), config.requestTimeout());
    KuboDialect d = config.dialect().orElse(KuboDialect.fromVersion(v));
    this.dialect = d;
    return new Version(text(v, "Version"), text(v, "Commit"), text(v, "Repo"), text(v, "System"), d);
  }

  /** The dialect in use: the configured one, or the one {@link #version()} detected (asked once). */
  public KuboDialect dialect() throws IOException {
    KuboDialect d = dialect;
    if (d == null) {
      d = version().dialect();
    }
    return d;
  }

  /** {@code id}. */
  public PeerIdentity id() throws IOException {
    JsonNode id = json("id", Map.of(), List.of(), config.requestTimeout());
    String peerId = text(id, "ID");
    if (peerId.isEmpty()) {
      throw malformed("id", "no ID in " + abbreviate(id.toString()));
    }
    List<String> addrs = new ArrayList<>();
    id.path("Addresses").forEach(a -> addrs.add(a.asText()));
    return new PeerIdentity(peerId, text(id, "AgentVersion"), Collections.unmodifiableList(addrs));
  }

  /**
   * {@code block/put}: stores the block and checks that the daemon names it exactly as {@code
   * block.cid()} (same version, codec and multihash), which proves it hashed the bytes we sent.
   * Identity CIDs carry their bytes and are not stored.
   *
   * @return the CID the daemon returned (equal to {@code block.cid()})
   */
  public Cid blockPut(Block block) throws IOException {
    Cid cid = block.cid();
    if (block.data().length > Block.MAX_SIZE) {
      throw new IllegalArgumentException("block " + cid + " is " + block.data().length + " bytes, over " + Block.MAX_SIZE);
    }
    Map<String, String> params;
    try {
      params = dialect().blockPutParams(cid);
    } catch (IllegalArgumentException e) {
      throw new KuboRpcException(KuboRpcError.BAD_REQUEST, apiUrl(), "block/put", -1, null, e.getMessage(), e);
    }
    String boundary = "canopy-" + UUID.randomUUID();
    byte[] head = ("--" + boundary + "\r\n"
        + "Content-Disposition: form-data; name=\"file\"; filename=\"block\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
    HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.ofByteArrays(List.of(head, block.data(), tail));
    JsonNode answer;
    try (Exchange ex = send("block/put", params, List.of(), body, "multipart/form-data; boundary=" + boundary, config.requestTimeout())) {
      answer = ex.readJson(config.maxJsonBytes());
    }
    Cid named = parseCid("block/put", text(answer, "Key"));
    if (!named.equals(cid)) {
      String why = named.multihash().equals(cid.multihash())
          ? "it named the block " + named + " instead of " + cid + " (codec or CID version not applied; dialect " + dialect + ")"
          : "it hashed the bytes of " + cid + " to " + named;
      throw malformed("block/put", why);
    }
    long size = number("block/put", answer, "Size");
    if (size != block.data().length) {
      throw malformed("block/put", "it stored " + size + " bytes of " + cid + ", sent " + block.data().length);
    }
    return named;
  }

  /**
   * {@code block/get} from the daemon's own store: the bytes exactly as it returned them, not
   * verified (callers check them against the CID; see {@link KuboBlockstore}).
   *
   * @throws BlockNotFoundException if the daemon does not hold the block
   */
  public byte[] blockGet(Cid cid) throws IOException {
    KuboDialect d = dialect();
    try (Exchange ex = send("block/get", d.localLookupParams(config.localLookupTimeout()), List.of(cid.toString()), null, null, config.requestTimeout())) {
      return ex.readBytes(Block.MAX_SIZE, "a block may be at most " + Block.MAX_SIZE + " bytes");
    } catch (KuboRpcException e) {
      throw asNotFound(cid, e, d);
    }
  }

  /**
   * {@code block/stat} in the daemon's own store.
   *
   * @throws BlockNotFoundException if the daemon does not hold the block
   */
  public BlockStat blockStat(Cid cid) throws IOException {
    KuboDialect d = dialect();
    JsonNode answer;
    try (Exchange ex = send("block/stat", d.localLookupParams(config.localLookupTimeout()), List.of(cid.toString()), null, null, config.requestTimeout())) {
      answer = ex.readJson(config.maxJsonBytes());
    } catch (KuboRpcException e) {
      throw asNotFound(cid, e, d);
    }
    Cid named = parseCid("block/stat", text(answer, "Key"));
    if (!named.multihash().equals(cid.multihash())) {
      throw malformed("block/stat", "asked for " + cid + ", got the stat of " + named);
    }
    long size = number("block/stat", answer, "Size");
    if (size < 0 || size > Block.MAX_SIZE) {
      throw malformed("block/stat", "size " + size + " of " + cid + " is out of range");
    }
    return new BlockStat(named, size);
  }

  /**
   * {@code block/rm}: removes the block; a no-op if it is absent. Sent without {@code --force}, whose
   * only use in Kubo is to hide "not found", which is recognised here instead: js-ipfs's {@code
   * force} also hides the refusal to remove a pinned block, and leaves the block in place.
   *
   * @throws PinException if the daemon refuses because the block is pinned
   */
  public void blockRm(Cid cid) throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    try (Exchange ex = send("block/rm", Map.of(), List.of(cid.toString()), null, null, config.requestTimeout())) {
      ex.forEachLine(config.maxLineBytes(), line -> {
        if (lines.size() < 16) {
          lines.add(line);
        }
      });
    }
    for (JsonNode line : lines) {
      String error = text(line, "Error");
      if (error.isEmpty()) {
        continue;
      }
      switch (KuboRpcError.classify(200, error)) {
        case BLOCK_NOT_FOUND -> {
          // absent already: what was asked for
        }
        case BLOCK_PINNED -> throw new PinException("cannot remove " + cid + " from the IPFS daemon at " + apiUrl() + ": " + error);
        default -> throw new KuboRpcException(KuboRpcError.DAEMON_ERROR, apiUrl(), "block/rm", 200, error, error, null);
      }
    }
  }

  /**
   * {@code pin/add --recursive}: pins {@code root} and its whole DAG, which must already be in the
   * daemon (Kubo: {@code offline=true}; js-ipfs would fetch, bounded by the long-operation deadline).
   *
   * @throws PinException if a block of the DAG is missing
   */
  public void pinAdd(Cid root) throws IOException {
    KuboDialect d = dialect();
    JsonNode answer;
    try (Exchange ex = send("pin/add", d.pinAddParams(), List.of(root.toString()), null, null, config.longOperationTimeout())) {
      answer = ex.readJson(config.maxJsonBytes());
    } catch (KuboRpcException e) {
      if (e.error() == KuboRpcError.BLOCK_NOT_FOUND || e.error() == KuboRpcError.DAEMON_TIMEOUT) {
        throw new PinException("cannot pin " + root + " in the IPFS daemon at " + apiUrl()
            + ": not every block of its DAG is there (" + e.daemonMessage() + ")", e);
      }
      throw e;
    }
    boolean listed = false;
    for (JsonNode pin : answer.path("Pins")) {
      listed |= parseCid("pin/add", pin.asText()).multihash().equals(root.multihash());
    }
    if (!listed) {
      throw malformed("pin/add", "the answer does not list " + root + ": " + abbreviate(answer.toString()));
    }
  }

  /**
   * {@code pin/rm --recursive}.
   *
   * @return false if {@code root} was not pinned recursively (nothing changed)
   */
  public boolean pinRm(Cid root) throws IOException {
    try (Exchange ex = send("pin/rm", Map.of("recursive", "true"), List.of(root.toString()), null, null, config.longOperationTimeout())) {
      ex.readJson(config.maxJsonBytes());
      return true;
    } catch (KuboRpcException e) {
      if (e.error() == KuboRpcError.NOT_PINNED) {
        return false;
      }
      throw e;
    }
  }

  /**
   * {@code pin/ls --type=<type> <cid>}: how {@code cid} is pinned, if it is pinned that way ({@code
   * type} is recursive, direct, indirect or all).
   */
  public Optional<Pin> pinLs(Cid cid, String type) throws IOException {
    JsonNode answer;
    Map<String, String> params = new LinkedHashMap<>();
    params.put("type", type);
    if (dialect() == KuboDialect.KUBO) {
      params.put("offline", "true"); // an indirect-pin check must not fetch
    }
    try (Exchange ex = send("pin/ls", params, List.of(cid.toString()), null, null, config.longOperationTimeout())) {
      answer = ex.readJson(config.maxJsonBytes());
    } catch (KuboRpcException e) {
      if (e.error() == KuboRpcError.NOT_PINNED) {
        return Optional.empty();
      }
      throw e;
    }
    for (Map.Entry<String, JsonNode> entry : answer.path("Keys").properties()) {
      Cid pinned = parseCid("pin/ls", entry.getKey());
      if (pinned.multihash().equals(cid.multihash())) {
        return Optional.of(new Pin(pinned, text(entry.getValue(), "Type")));
      }
    }
    return Optional.empty();
  }

  /** {@code pin/ls --type=<type> --stream}: every pin of that type, streamed line by line. */
  public List<Pin> pinLs(String type) throws IOException {
    List<Pin> pins = new ArrayList<>();
    try (Exchange ex = send("pin/ls", Map.of("type", type, "stream", "true"), List.of(), null, null, config.longOperationTimeout())) {
      ex.forEachLine(config.maxLineBytes(), line -> pins.add(new Pin(parseCid("pin/ls", text(line, "Cid")), text(line, "Type"))));
    }
    return pins;
  }

  /**
   * {@code repo/gc --stream-errors}: deletes every block no pin keeps.
   *
   * @return how many blocks the daemon removed
   */
  public long repoGc() throws IOException {
    long[] removed = {0};
    List<String> errors = new ArrayList<>();
    try (Exchange ex = send("repo/gc", Map.of("stream-errors", "true"), List.of(), null, null, config.longOperationTimeout())) {
      ex.forEachLine(config.maxLineBytes(), line -> {
        String error = text(line, "Error");
        if (!error.isEmpty()) {
          if (errors.size() < 8) {
            errors.add(error);
          }
        } else if (line.has("Key")) {
          removed[0]++;
        }
      });
    }
    if (!errors.isEmpty()) {
      throw new KuboRpcException(KuboRpcError.DAEMON_ERROR, apiUrl(), "repo/gc", 200, errors.get(0),
          "garbage collection removed " + removed[0] + " blocks, then failed: " + String.join("; ", errors), null);
    }
    return removed[0];
  }

  /** {@code repo/stat}; {@code sizeOnly} skips counting blocks (Kubo walks them all for that). */
  public RepoStat repoStat(boolean sizeOnly) throws IOException {
    JsonNode answer = json("repo/stat", sizeOnly ? Map.of("size-only", "true") : Map.of(), List.of(), config.longOperationTimeout());
    long repoSize = number("repo/stat", answer, "RepoSize");
    long storageMax = answer.has("StorageMax") ? number("repo/stat", answer, "StorageMax") : -1;
    long numObjects = sizeOnly || !answer.has("NumObjects") ? -1 : number("repo/stat", answer, "NumObjects");
    return new RepoStat(repoSize, storageMax, numObjects);
  }

  /**
   * {@code refs/local}: every block the daemon holds, as a raw CIDv1 of its multihash (Kubo keys
   * blocks by multihash). The stream reads the answer as it is consumed: close it. A failure while
   * reading surfaces as an {@link UncheckedIOException} wrapping a {@link KuboRpcException}.
   */
  public Stream<Cid> refsLocal() throws IOException {
    Exchange ex = send("refs/local", Map.of(), List.of(), null, null, config.longOperationTimeout());
    Iterator<Cid> it = new Iterator<>() {
      private Cid next;
      private boolean done;

      @Override
      public boolean hasNext() {
        while (next == null && !done) {
          JsonNode line;
          try {
            line = ex.nextLine(config.maxLineBytes());
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
          if (line == null) {
            done = true;
            break;
          }
          String err = text(line, "Err");
          if (!err.isEmpty()) {
            throw new UncheckedIOException(new KuboRpcException(KuboRpcError.DAEMON_ERROR, apiUrl(), "refs/local", 200, err, err, null));
          }
          String ref = text(line, "Ref");
          if (!ref.isEmpty()) {
            try {
              next = Cid.v1(Multicodec.RAW, parseCid("refs/local", ref).multihash());
            } catch (KuboRpcException e) {
              throw new UncheckedIOException(e);
            }
          }
        }
        return next != null;
      }

      @Override
      public Cid next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        Cid c = next;
        next = null;
        return c;
      }
    };
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false)
        .onClose(ex::close);
  }

  /** Stops this client's threads; calls in flight fail. Idempotent. */
  @Override
  public void close() {
    watchdog.shutdownNow();
    httpExecutor.shutdownNow();
  }

  @Override
  public String toString() {
    return "KuboRpcClient[" + apiUrl() + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP plumbing: one place for deadlines, limits and the error table.

  private JsonNode json(String endpoint, Map<String, String> params, List<String> args, Duration timeout) throws IOException {
    try (Exchange ex = send(endpoint, params, args, null, null, timeout)) {
      return ex.readJson(config.maxJsonBytes());
    }
  }

  /**
   * POSTs to {@code /api/v0/<endpoint>} and waits for the status line; an error status is read,
   * classified and thrown here. The returned exchange's body must be read before {@code deadline}
   * runs out (a watchdog closes it then) and closed by the caller.
   */
  private Exchange send(String endpoint, Map<String, String> params, List<String> args,
      HttpRequest.BodyPublisher body, String contentType, Duration timeout) throws IOException {
    StringBuilder query = new StringBuilder();
    for (String arg : args) {
      appendParam(query, "arg", arg);
    }
    params.forEach((k, v) -> appendParam(query, k, v));
    URI uri = URI.create(apiUrl() + API_PREFIX + endpoint + (query.length() == 0 ? "" : "?" + query));
    HttpRequest.Builder request = HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .POST(body == null ? HttpRequest.BodyPublishers.noBody() : body);
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    config.authorization().ifPresent(a -> request.header("Authorization", a));

    long deadline = System.nanoTime() + timeout.toNanos();
    CompletableFuture<HttpResponse<InputStream>> future = http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    HttpResponse<InputStream> response;
    try {
      response = future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw failure(KuboRpcError.TIMED_OUT, endpoint, "no answer within " + timeout.toMillis() + " ms", e);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while calling " + endpoint + " on " + apiUrl());
    } catch (ExecutionException e) {
      throw transportFailure(endpoint, e.getCause() == null ? e : e.getCause(), timeout);
    }
    Exchange ex = new Exchange(endpoint, response, deadline);
    if (response.statusCode() / 100 != 2) {
      try (ex) {
        throw ex.errorAnswer();
      }
    }
    return ex;
  }

  private KuboRpcException transportFailure(String endpoint, Throwable cause, Duration timeout) {
    if (cause instanceof HttpConnectTimeoutException) {
      return failure(KuboRpcError.UNREACHABLE, endpoint, "no connection within " + config.connectTimeout().toMillis() + " ms", cause);
    }
    if (cause instanceof HttpTimeoutException) {
      return failure(KuboRpcError.TIMED_OUT, endpoint, "no answer within " + timeout.toMillis() + " ms", cause);
    }
    if (cause instanceof ConnectException) {
      return failure(KuboRpcError.UNREACHABLE, endpoint, "connection refused", cause);
    }
    String what = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    return failure(KuboRpcError.UNREACHABLE, endpoint, "connection failed: " + what, cause);
  }

  private static void appendParam(StringBuilder query, String key, String value) {
    if (query.length() > 0) {
      query.append('&');
    }
    query.append(URLEncoder.encode(key, StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
  }

  private KuboRpcException failure(KuboRpcError error, String endpoint, String detail, Throwable cause) {
    return new KuboRpcException(error, apiUrl(), endpoint, -1, null, detail, cause);
  }

  private KuboRpcException malformed(String endpoint, String detail) {
    return new KuboRpcException(KuboRpcError.MALFORMED_RESPONSE, apiUrl(), endpoint, 200, null, detail, null);
  }

  private IOException asNotFound(Cid cid, KuboRpcException e, KuboDialect d) {
    if (e.error() == KuboRpcError.BLOCK_NOT_FOUND || (e.error() == KuboRpcError.DAEMON_TIMEOUT && d.timeoutMeansAbsent())) {
      BlockNotFoundException notFound = new BlockNotFoundException(cid);
      notFound.initCause(e);
      return notFound;
    }
    return e;
  }

  private Cid parseCid(String endpoint, String text) throws KuboRpcException {
    try {
      return Cid.parse(text);
    } catch (InvalidCidException e) {
      throw new KuboRpcException(KuboRpcError.MALFORMED_RESPONSE, apiUrl(), endpoint, 200, null, "not a CID: '" + abbreviate(text) + "'", e);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }

  /** A number the daemon may send as a JSON number (Kubo) or a string (js-ipfs). */
  private long number(String endpoint, JsonNode node, String field) throws KuboRpcException {
    JsonNode v = node.get(field);
    if (v != null && v.canConvertToLong()) {
      return v.asLong();
    }
    if (v != null && v.isTextual()) {
      try {
        return Long.parseLong(v.asText());
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw malformed(endpoint, "no number '" + field + "' in " + abbreviate(node.toString()));
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "…";
  }

  /** Called with each parsed line of a streamed answer. */
  private interface LineHandler {
    void accept(JsonNode line) throws IOException;
  }

  /**
   * One answer being read: the body stream, closed by a watchdog when the call's deadline passes
   * (the JDK's request timeout only covers the status line).
   */
  private final class Exchange implements AutoCloseable {
    private final String endpoint;
    private final HttpResponse<InputStream> response;
    private final InputStream body;
    private final ScheduledFuture<?> deadlineTask;
    private final AtomicBoolean expired = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final long timeoutMillis;

    Exchange(String endpoint, HttpResponse<InputStream> response, long deadlineNanos) {
      this.endpoint = endpoint;
      this.response = response;
      this.body = response.body();
      long remaining = Math.max(0, deadlineNanos - System.nanoTime());
      this.timeoutMillis = TimeUnit.NANOSECONDS.toMillis(remaining);
      this.deadlineTask = watchdog.schedule(() -> {
        expired.set(true);
        closeQuietly();
      }, remaining, TimeUnit.NANOSECONDS);
    }

    /** The whole body, at most {@code limit} bytes. */
    byte[] readBytes(int limit, String why) throws IOException {
      long declared = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (declared > limit) {
        throw tooLarge(limit, why + "; Content-Length is " + declared);
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 0), limit));
      byte[] buf = new byte[16 * 1024];
      try {
        int n;
        while ((n = body.read(buf)) != -1) {
          if (out.size() + n > limit) {
            throw tooLarge(limit, why);
          }
          out.write(buf, 0, n);
        }
      } catch (KuboRpcException e) {
        throw e;
      } catch (IOException e) {
        throw readFailure(e);
      }
      if (expired.get()) {
        throw readFailure(null);
      }
      return out.toByteArray();
    }

    JsonNode readJson(int limit) throws IOException {
      byte[] bytes = readBytes(limit, "JSON answers are limited to " + limit + " bytes");
      try {
        JsonNode node = JSON.readTree(bytes);
        if (node == null || !node.isObject()) {
          throw new KuboRpcException(KuboRpcError.MALFORMED_RESPONSE, apiUrl(), endpoint, response.statusCode(), null,
              "expected a JSON object, got '" + abbreviate(new String(bytes, StandardCharsets.UTF_8)) + "'", null);
        }
        return node;
      } catch (JsonProcessingException e) {
        throw new KuboRpcException(KuboRpcError.MALFORMED_RESPONSE, apiUrl(), endpoint, response.statusCode(), null,
            "not JSON: '" + abbreviate(new String(bytes, StandardCharsets.UTF_8)) + "'", e);
      }
    }

    /** The next NDJSON line, or null at the end; empty lines are skipped. */
    JsonNode nextLine(int maxLineBytes) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      try {
        while (true) {
          int b = body.read();
          if (b == -1) {
            if (expired.get()) {
              throw readFailure(null);
            }
            if (line.size() == 0) {
              return null;
            }
            break;
          }
          if (b == '\n') {
            if (line.size() == 0) {
              continue;
            }
            break;
          }
          if (line.size() >= maxLineBytes) {
            throw tooLarge(maxLineBytes, "a line of a streamed answer is limited to " + maxLineBytes + " bytes");
          }
          line.write(b);
        }
      } catch (KuboRpcException e) {
        throw e;
      } catch (IOException e) {
        throw readFailure(e);
      }
      String text = line.toString(StandardCharsets.UTF_8).trim();
      try {
        JsonNode node = JSON.readTree(text);
        if (node == null || !node.isObject()) {
          throw new KuboRpcException(KuboRpcError.MALFORMED_RESPONSE, apiUrl(), endpoint, response.statusCode(), null,
              "expected a JSON object per line, got '" + abbreviate(text) + "'", null);
        }
        return node;
      } catch (JsonProcessingException e) {
        throw new KuboRpcException(KuboRpcError.MALFORMED_RESPONSE, apiUrl(), endpoint, response.statusCode(), null,
            "not a JSON line: '" + abbreviate(text) + "'", e);
      }
    }

    void forEachLine(int maxLineBytes, LineHandler handler) throws IOException {
      JsonNode line;
      while ((line = nextLine(maxLineBytes)) != null) {
        handler.accept(line);
      }
    }

    /** Reads an error answer (bounded, tolerant of a truncated or non-JSON body) and classifies it. */
    KuboRpcException errorAnswer() {
      int status = response.statusCode();
      String message;
      try {
        byte[] bytes = readPrefix(config.maxJsonBytes());
        String raw = new String(bytes, StandardCharsets.UTF_8).trim();
        message = raw;
        try {
          JsonNode node = JSON.readTree(raw);
          if (node != null && node.hasNonNull("Message")) {
            message = node.get("Message").asText();
          }
        } catch (JsonProcessingException e) {
          // Kubo's plain-text 404 ("404 page not found") and proxies' HTML pages: keep the text
        }
      } catch (IOException e) {
        message = "(error body unreadable: " + e.getMessage() + ")";
      }
      KuboRpcError error = KuboRpcError.classify(status, message);
      return new KuboRpcException(error, apiUrl(), endpoint, status, message, abbreviate(message), null);
    }

    private byte[] readPrefix(int limit) throws IOException {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while (out.size() < limit && (n = body.read(buf, 0, Math.min(buf.length, limit - out.size()))) != -1) {
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    }

    private KuboRpcException tooLarge(int limit, String why) {
      return new KuboRpcException(KuboRpcError.RESPONSE_TOO_LARGE, apiUrl(), endpoint, response.statusCode(), null,
          "more than " + limit + " bytes (" + why + ")", null);
    }

    private KuboRpcException readFailure(IOException cause) {
      if (expired.get()) {
        return new KuboRpcException(KuboRpcError.TIMED_OUT, apiUrl(), endpoint, response.statusCode(), null,
            "answer not complete within " + timeoutMillis + " ms", cause);
      }
      String what = cause == null ? "stream ended" : (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
      return new KuboRpcException(KuboRpcError.UNREACHABLE, apiUrl(), endpoint, response.statusCode(), null,
          "connection lost while reading the answer: " + what, cause);
    }

    private void closeQuietly() {
      if (closed.compareAndSet(false, true)) {
        try {
          body.close();
        } catch (IOException e) {
          // the connection is gone either way
        }
      }
    }

    @Override
    public void close() {
      deadlineTask.cancel(false);
      closeQuietly();
    }
  }
}
