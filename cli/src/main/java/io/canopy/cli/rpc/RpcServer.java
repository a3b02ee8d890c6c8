package io.canopy.cli.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.gateway.http.HttpListener;
import io.canopy.gateway.http.RequestBodyStream;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The node's local RPC API, shaped like Kubo's: {@code POST
 * /api/v0/<command>?arg=…}, JSON answers (raw bytes for content), errors as {@code {"Message": …,
 * "Code": …, "Type": "error"}} with the status of {@link RpcError}.
 *
 * <p>Every request goes through the same steps, in this order, before its route's handler runs:
 * POST only; the bearer token (compared in constant time); a known route; a query within limits;
 * a declared body size within the route's limit (else 413 before a byte of it is read); a free
 * slot among {@link RpcConfig#maxConcurrentRequests()} (else 503 at once). These checks run on the
 * server's event loop; a route's handler runs on a worker thread, reading the body as a blocking
 * stream. Routes are added with {@link #route} by whoever wires the node, before or after start.
 *
 * <p>A client must deliver a whole request head within {@link RpcConfig#requestHeadTimeout()} of
 * connecting (or of its previous answer), and may not go silent mid-body for longer than {@link
 * RpcConfig#readIdleTimeout()}: slow or stalled clients are disconnected and never hold a worker
 * while their head trickles in. A call that works silently for a long time (a large pin) is not cut.
 *
 * <p>{@link #withoutToken} makes the token-free server of {@code canopy daemon --rpc}, the face
 * Kubo's RPC clients use unchanged (Kubo's RPC API has no authentication and listens on loopback).
 * In its place it refuses any request carrying an {@code Origin} header (403): browsers send one
 * on every cross-origin POST, so a web page cannot use the unauthenticated API through a visitor's
 * browser (Kubo does the same unless {@code API.HTTPHeaders} allows the origin), while command-line
 * and library clients send none.
 */
public final class RpcServer implements AutoCloseable {
  /** A route's logic; throws {@link RpcException} to choose the status, anything else is a 500. */
  @FunctionalInterface
  public interface Handler {
    void handle(RpcCall call) throws Exception;
  }

  private record Route(long maxBodyBytes, Handler handler) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Room for the path and the largest query {@link RpcConfig} allows, so that the query limit answers first. */
  private static final int REQUEST_LINE_SLACK = 8 * 1024;
  private static final int MAX_HEADER_SIZE = 16 * 1024;
  /** Request bodies read ahead of the handler, per call. */
  private static final long BODY_BUFFER_BYTES = 256 * 1024;

  private final InetSocketAddress address;
  private final byte[] expectedAuthorization;
  private final RpcConfig config;
  private final Function<Throwable, String> describe;
  private final Consumer<String> log;
  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  private final Semaphore slots;
  private final Vertx vertx;
  private final ExecutorService workers;
  private final ScheduledExecutorService watchdog;
  private final Map<RpcCall, Boolean> active = new ConcurrentHashMap<>();
  private volatile URI url;

  /**
   * Will listen on {@code address} (port 0: an ephemeral one) once started. Requests must carry
   * {@code Authorization: Bearer <token>}. {@code describe} turns a handler's failure into the
   * error message; {@code log} receives one line per failure worth an operator's attention.
   */
  public RpcServer(InetSocketAddress address, String token, RpcConfig config,
      Function<Throwable, String> describe, Consumer<String> log) {
    this(address, ("Bearer " + Objects.requireNonNull(token, "token")).getBytes(StandardCharsets.UTF_8), config, describe, log);
  }

  /**
   * A server that asks no token, as Kubo's RPC API: for {@code canopy daemon --rpc}, which should
   * listen on loopback only. Requests with an {@code Origin} header (from a browser) get 403.
   */
  public static RpcServer withoutToken(InetSocketAddress address, RpcConfig config,
      Function<Throwable, String> describe, Consumer<String> log) {
    return new RpcServer(address, (byte[]) null, config, describe, log);
  }

  /** {@code expectedAuthorization} null: no token (see {@link #withoutToken}). */
  private RpcServer(InetSocketAddress address, byte[] expectedAuthorization, RpcConfig config,
      Function<Throwable, String> describe, Consumer<String> log) {
    this.address = address;
    this.expectedAuthorization = expectedAuthorization;
    this.config = config;
    this.describe = describe;
    this.log = log;
    this.slots = new Semaphore(config.maxConcurrentRequests());
    // One event loop reads every connection's head; a handler takes a worker only once admitted.
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
    AtomicInteger n = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(config.maxConcurrentRequests(), r -> {
      Thread t = new Thread(r, "canopy-rpc-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "canopy-rpc-watchdog");
      t.setDaemon(true);
      return t;
    });
  }

  /** Adds a route that takes no body beyond {@link RpcConfig#maxBodyBytes()}. */
  public RpcServer route(String path, Handler handler) {
    return route(path, config.maxBodyBytes(), handler);
  }

  /** Adds a route whose body may be up to {@code maxBodyBytes} (an upload). */
  public RpcServer route(String path, long maxBodyBytes, Handler handler) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("a route path starts with '/': " + path);
    }
    if (routes.putIfAbsent(path, new Route(maxBodyBytes, handler)) != null) {
      throw new IllegalStateException("route " + path + " is already served");
    }
    return this;
  }

  public RpcConfig config() {
    return config;
  }

  /** Binds the address and starts serving; an {@link IOException} names the address if it cannot be bound. */
  public RpcServer start() throws IOException {
    // No idle timeout: a call may work silently for long (a large pin); the watchdog times silent bodies.
    url = HttpListener.listen(vertx, "RPC API", address, new HttpListener.Limits(config.maxQueryBytes() + REQUEST_LINE_SLACK,
        MAX_HEADER_SIZE, config.requestHeadTimeout(), config.readIdleTimeout(), Duration.ZERO), this::dispatch);
    long period = Math.max(100, Math.min(1000, config.readIdleTimeout().toMillis() / 4));
    watchdog.scheduleAtFixedRate(this::dropStalledCalls, period, period, TimeUnit.MILLISECONDS);
    return this;
  }

  /** The base URL, {@code http://127.0.0.1:PORT}; once started. */
  public URI url() {
    if (url == null) {
      throw new IllegalStateException("the RPC server is not started");
    }
    return url;
  }

  /** Stops accepting and drops running requests. Idempotent. */
  @Override
  public void close() {
    watchdog.shutdownNow();
    workers.shutdownNow();
    String failure = HttpListener.close(vertx);
    if (failure != null) {
      log.accept("the RPC server did not stop cleanly: " + failure);
    }
  }

  /** On the event loop: the checks that need no body, then the route's handler on a worker. */
  private void dispatch(HttpServerRequest request) {
    if (refusal(request) != null) {
      return; // answered
    }
    String path = request.path();
    Route route = routes.get(path);
    if (route == null) {
      error(request, RpcError.NOT_FOUND, "unknown command '" + path + "'");
      return;
    }
    String rawQuery = request.query();
    if (rawQuery != null && rawQuery.length() > config.maxQueryBytes()) {
      error(request, RpcError.BAD_REQUEST, "query is " + rawQuery.length() + " bytes, over the limit of " + config.maxQueryBytes());
      return;
    }
    List<Map.Entry<String, String>> query;
    try {
      query = RpcCall.parseQuery(rawQuery, config.maxQueryParams());
    } catch (RpcException e) {
      error(request, e.error(), e.getMessage());
      return;
    }
    String declared = request.getHeader("Content-Length");
    try {
      if (declared != null && Long.parseLong(declared.trim()) > route.maxBodyBytes()) {
        error(request, RpcError.PAYLOAD_TOO_LARGE,
            "request body of " + declared.trim() + " bytes is over this route's limit of " + route.maxBodyBytes() + " bytes");
        return;
      }
    } catch (NumberFormatException e) {
      error(request, RpcError.BAD_REQUEST, "malformed Content-Length");
      return;
    }
    if (!slots.tryAcquire()) {
      error(request, RpcError.BUSY, "the daemon is busy: " + config.maxConcurrentRequests()
          + " requests are in progress; try again shortly");
      return;
    }
    RequestBodyStream body = new RequestBodyStream(vertx.getOrCreateContext(), request, BODY_BUFFER_BYTES);
    RpcCall call = new RpcCall(request, body, query, route.maxBodyBytes(), JSON);
    try {
      workers.execute(() -> {
        try {
          run(request, route, call);
        } finally {
          body.finish();
          slots.release();
        }
      });
    } catch (RejectedExecutionException closing) {
      slots.release();
      request.connection().close();
    }
  }

  /** Answers and returns a reason if the request must not reach a route; null if it may. */
  private String refusal(HttpServerRequest request) {
    if (request.method() != HttpMethod.POST) {
      request.response().putHeader("Allow", "POST");
      error(request, RpcError.METHOD_NOT_ALLOWED, "method " + request.method() + " not allowed: the API takes POST");
      return "method";
    }
    if (expectedAuthorization == null) {
      String origin = request.getHeader("Origin");
      if (origin != null) {
        error(request, RpcError.FORBIDDEN, "requests from a browser origin (" + origin
            + ") are refused: this API has no token, so only local programs may use it");
        return "origin";
      }
      return null;
    }
    String auth = request.getHeader("Authorization");
    byte[] given = auth == null ? new byte[0] : auth.getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(given, expectedAuthorization)) {
      request.response().putHeader("WWW-Authenticate", "Bearer");
      error(request, RpcError.UNAUTHORIZED, auth == null
          ? "missing 'Authorization: Bearer <token>' header (the token is in the node's home, file 'api')"
          : "wrong API token");
      return "auth";
    }
    return null;
  }

  /** On a worker: the handler, then whatever the answer still lacks. */
  private void run(HttpServerRequest request, Route route, RpcCall call) {
    HttpServerResponse response = request.response();
    active.put(call, Boolean.TRUE);
    try {
      route.handler().handle(call);
      if (!call.responded()) {
        throw new IllegalStateException("internal error: " + request.path() + " gave no answer");
      }
      if (!response.ended()) {
        response.end(); // a stream the handler did not close
      }
    } catch (Exception | StackOverflowError e) {
      RpcError kind = e instanceof RpcException r ? r.error() : RpcError.FAILED;
      String message = e instanceof RpcException ? e.getMessage() : describe.apply(e);
      if (call.responded()) {
        // Part of the answer is out: dropping the connection is the only way left to say so.
        log.accept(request.path() + " failed after its answer started: " + message);
        response.reset();
        return;
      }
      if (kind == RpcError.FAILED && !(e instanceof RpcException) && message.startsWith("internal error")) {
        log.accept(request.path() + ": " + message);
      }
      error(request, kind, message);
    } finally {
      active.remove(call);
    }
  }

  /** Closes the connection of calls whose client went silent mid-request (the read then fails). */
  private void dropStalledCalls() {
    long now = System.nanoTime();
    long idle = config.readIdleTimeout().toNanos();
    for (RpcCall call : active.keySet()) {
      if (call.stalled(now, idle)) {
        log.accept(call.request().path() + ": client silent for " + config.readIdleTimeout().toSeconds()
            + " s mid-request; closing its connection");
        active.remove(call);
        call.request().connection().close();
      }
    }
  }

  /** The error as Kubo shapes it; any thread. */
  private static void error(HttpServerRequest request, RpcError kind, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("Message", message);
    body.put("Code", kind.kuboCode());
    body.put("Type", "error");
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException("a map of strings did not serialize", e);
    }
    HttpServerResponse response = request.response().setStatusCode(kind.httpStatus()).putHeader("Content-Type", "application/json");
    // The body may be unread (a 413 or a refused upload): close rather than read it to its end.
    boolean close = kind.httpStatus() >= 400 && kind != RpcError.FAILED && kind != RpcError.BUSY;
    if (close) {
      response.putHeader("Connection", "close");
    }
    response.end(Buffer.buffer(bytes)).onComplete(v -> {
      if (close) {
        request.connection().close();
      }
    });
  }

  /** Reads up to {@code max} bytes of {@code in}, failing with 413 past that. */
  public static byte[] readAtMost(InputStream in, int max, String what) throws IOException {
    byte[] bytes = in.readNBytes(max + 1);
    if (bytes.length > max) {
      throw new RpcException(RpcError.PAYLOAD_TOO_LARGE, what + " is larger than " + max + " bytes");
    }
    return bytes;
  }
}
