package io.canopy.cli.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The node's local RPC API on the JDK's HTTP server, shaped like Kubo's: {@code POST
 * /api/v0/<command>?arg=…}, JSON answers (raw bytes for content), errors as {@code {"Message": …,
 * "Code": …, "Type": "error"}} with the status of {@link RpcError}.
 *
 * <p>Every request goes through the same steps, in this order, before its route's handler runs:
 * POST only; the bearer token (compared in constant time); a known route; a query within limits;
 * a free slot among {@link RpcConfig#maxConcurrentRequests()} (else 503 at once); a declared body
 * size within the route's limit (else 413 before a byte of it is read). Routes are added with
 * {@link #route} by whoever wires the node, before or after start.
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

  private final HttpServer server;
  private final byte[] expectedAuthorization;
  private final RpcConfig config;
  private final Function<Throwable, String> describe;
  private final Consumer<String> log;
  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  private final Semaphore slots;
  private final ExecutorService workers;
  private final ScheduledExecutorService watchdog;
  private final Map<RpcCall, Boolean> active = new ConcurrentHashMap<>();

  /**
   * Binds {@code address} (port 0: an ephemeral one). Requests must carry {@code Authorization:
   * Bearer <token>}. {@code describe} turns a handler's failure into the error message;
   * {@code log} receives one line per failure worth an operator's attention.
   */
  public RpcServer(InetSocketAddress address, String token, RpcConfig config,
      Function<Throwable, String> describe, Consumer<String> log) throws IOException {
    this(address, ("Bearer " + Objects.requireNonNull(token, "token")).getBytes(StandardCharsets.UTF_8), config, describe, log);
  }

  /**
   * A server that asks no token, as Kubo's RPC API: for {@code canopy daemon --rpc}, which should
   * listen on loopback only. Requests with an {@code Origin} header (from a browser) get 403.
   */
  public static RpcServer withoutToken(InetSocketAddress address, RpcConfig config,
      Function<Throwable, String> describe, Consumer<String> log) throws IOException {
    return new RpcServer(address, (byte[]) null, config, describe, log);
  }

  /** {@code expectedAuthorization} null: no token (see {@link #withoutToken}). */
  private RpcServer(InetSocketAddress address, byte[] expectedAuthorization, RpcConfig config,
      Function<Throwable, String> describe, Consumer<String> log) throws IOException {
    this.expectedAuthorization = expectedAuthorization;
    this.config = config;
    this.describe = describe;
    this.log = log;
    this.slots = new Semaphore(config.maxConcurrentRequests());
    this.server = HttpServer.create(address, 64);
    // A few threads beyond the slots answer the overflow with 503 instead of letting it queue.
    AtomicInteger n = new AtomicInteger();
    this.workers = Executors.newFixedThreadPool(config.maxConcurrentRequests() + 4, r -> {
      Thread t = new Thread(r, "canopy-rpc-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "canopy-rpc-watchdog");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(workers);
    server.createContext("/", this::dispatch);
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

  public RpcServer start() {
    server.start();
    long period = Math.max(100, Math.min(1000, config.readIdleTimeout().toMillis() / 4));
    watchdog.scheduleAtFixedRate(this::dropStalledCalls, period, period, TimeUnit.MILLISECONDS);
    return this;
  }

  /** The base URL, {@code http://127.0.0.1:PORT}. */
  public URI url() {
    InetSocketAddress a = server.getAddress();
    return URI.create("http://" + a.getAddress().getHostAddress() + ":" + a.getPort());
  }

  /** Stops accepting, gives running requests a second to finish, then drops them. Idempotent. */
  @Override
  public void close() {
    server.stop(1);
    watchdog.shutdownNow();
    workers.shutdownNow();
  }

  private void dispatch(HttpExchange exchange) throws IOException {
    try {
      String failure = refusal(exchange);
      if (failure != null) {
        return; // answered
      }
      Route route = routes.get(exchange.getRequestURI().getRawPath());
      if (route == null) {
        error(exchange, RpcError.NOT_FOUND, "unknown command '" + exchange.getRequestURI().getRawPath() + "'");
        return;
      }
      String rawQuery = exchange.getRequestURI().getRawQuery();
      if (rawQuery != null && rawQuery.length() > config.maxQueryBytes()) {
        error(exchange, RpcError.BAD_REQUEST, "query is " + rawQuery.length() + " bytes, over the limit of " + config.maxQueryBytes());
        return;
      }
      List<Map.Entry<String, String>> query;
      try {
        query = RpcCall.parseQuery(rawQuery, config.maxQueryParams());
      } catch (RpcException e) {
        error(exchange, e.error(), e.getMessage());
        return;
      }
      String declared = exchange.getRequestHeaders().getFirst("Content-Length");
      if (declared != null && Long.parseLong(declared.trim()) > route.maxBodyBytes()) {
        error(exchange, RpcError.PAYLOAD_TOO_LARGE,
            "request body of " + declared.trim() + " bytes is over this route's limit of " + route.maxBodyBytes() + " bytes");
        return;
      }
      if (!slots.tryAcquire()) {
        error(exchange, RpcError.BUSY, "the daemon is busy: " + config.maxConcurrentRequests()
            + " requests are in progress; try again shortly");
        return;
      }
      try {
        run(exchange, route, query);
      } finally {
        slots.release();
      }
    } catch (NumberFormatException e) {
      error(exchange, RpcError.BAD_REQUEST, "malformed Content-Length");
    } finally {
      exchange.close();
    }
  }

  /** Answers and returns a reason if the request must not reach a route; null if it may. */
  private String refusal(HttpExchange exchange) throws IOException {
    if (!"POST".equals(exchange.getRequestMethod())) {
      exchange.getResponseHeaders().set("Allow", "POST");
      error(exchange, RpcError.METHOD_NOT_ALLOWED, "method " + exchange.getRequestMethod() + " not allowed: the API takes POST");
      return "method";
    }
    if (expectedAuthorization == null) {
      String origin = exchange.getRequestHeaders().getFirst("Origin");
      if (origin != null) {
        error(exchange, RpcError.FORBIDDEN, "requests from a browser origin (" + origin
            + ") are refused: this API has no token, so only local programs may use it");
        return "origin";
      }
      return null;
    }
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    byte[] given = auth == null ? new byte[0] : auth.getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(given, expectedAuthorization)) {
      exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      error(exchange, RpcError.UNAUTHORIZED, auth == null
          ? "missing 'Authorization: Bearer <token>' header (the token is in the node's home, file 'api')"
          : "wrong API token");
      return "auth";
    }
    return null;
  }

  private void run(HttpExchange exchange, Route route, List<Map.Entry<String, String>> query) throws IOException {
    RpcCall call = new RpcCall(exchange, query, route.maxBodyBytes(), JSON);
    active.put(call, Boolean.TRUE);
    try {
      route.handler().handle(call);
    } catch (Exception | StackOverflowError e) {
      RpcError kind = e instanceof RpcException r ? r.error() : RpcError.FAILED;
      String message = e instanceof RpcException ? e.getMessage() : describe.apply(e);
      if (call.responded()) {
        // Part of the answer is out: dropping the connection is the only way left to say so.
        log.accept(exchange.getRequestURI().getRawPath() + " failed after its answer started: " + message);
        throw new IOException(message, e);
      }
      if (kind == RpcError.FAILED && !(e instanceof RpcException) && message.startsWith("internal error")) {
        log.accept(exchange.getRequestURI().getRawPath() + ": " + message);
      }
      error(exchange, kind, message);
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
        log.accept(call.exchange().getRequestURI().getRawPath() + ": client silent for "
            + config.readIdleTimeout().toSeconds() + " s mid-request; closing its connection");
        active.remove(call);
        call.exchange().close(); // before any response: the JDK closes the socket
      }
    }
  }

  private static void error(HttpExchange exchange, RpcError kind, String message) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("Message", message);
    body.put("Code", kind.kuboCode());
    body.put("Type", "error");
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    if (kind.httpStatus() >= 400 && kind != RpcError.FAILED && kind != RpcError.BUSY) {
      // The body may be unread (a 413 or a refused upload): do not let the JDK drain it.
      exchange.getResponseHeaders().set("Connection", "close");
    }
    exchange.sendResponseHeaders(kind.httpStatus(), bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
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
