package io.canopy.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.gateway.http.HttpListener;
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
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The node's web dashboard ({@code canopy daemon --dashboard HOST:PORT}) on its own loopback
 * listener: the page ({@code /}, with its script and style, plain files from the jar, nothing from
 * another site) and the two documents it polls, {@code /status.json} ({@link NodeStatus}) and
 * {@code /network.json} ({@link NetworkView}).
 *
 * <p>Read-only and bounded: GET and HEAD only (405 otherwise), no request body is read, a target
 * longer than {@link #MAX_TARGET} is refused (414), and each document is built at most once per
 * {@link #DOCUMENT_TTL} however many clients poll. A request whose {@code Host} header is not this
 * listener's loopback address is refused (403), so that a web page from elsewhere cannot read the
 * documents through DNS rebinding; the answers forbid framing and inline scripts. A client must
 * send its request head within {@link #HEAD_TIMEOUT}, so slow clients cannot hold the listener.
 */
final class Dashboard implements AutoCloseable {
  static final String RESOURCES = "/io/canopy/cli/dashboard/";
  static final int MAX_TARGET = 2048;
  static final Duration DOCUMENT_TTL = Duration.ofSeconds(1);
  static final int THREADS = 4;
  static final Duration HEAD_TIMEOUT = Duration.ofSeconds(10);
  /** Keeps a polling page's connection between its polls (it polls every few seconds). */
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Builds one JSON document. */
  @FunctionalInterface
  interface Document {
    Object build() throws Exception;
  }

  private record Page(String contentType, byte[] bytes) {}

  /** One document, rebuilt at most once per {@link #DOCUMENT_TTL}. */
  private final class Cached {
    private final Document document;
    private byte[] bytes;
    private long builtMillis = Long.MIN_VALUE / 2;

    Cached(Document document) {
      this.document = document;
    }

    synchronized byte[] get() throws Exception {
      if (bytes == null || clock.millis() - builtMillis >= DOCUMENT_TTL.toMillis()) {
        bytes = JSON.writeValueAsBytes(document.build());
        builtMillis = clock.millis();
      }
      return bytes;
    }
  }

  private final Vertx vertx;
  private final URI url;
  private final Clock clock;
  private final Consumer<String> log;
  private final Map<String, Page> pages;
  private final Map<String, Cached> documents;
  /** Set once the port is known; until then (a request racing the start) every Host is refused. */
  private volatile Set<String> allowedHosts = Set.of();

  private Dashboard(Vertx vertx, InetSocketAddress address, Clock clock, Consumer<String> log, Map<String, Page> pages,
                    Document status, Document network, Duration headTimeout) throws IOException {
    this.vertx = vertx;
    this.clock = clock;
    this.log = log;
    this.pages = pages;
    this.documents = Map.of("/status.json", new Cached(status), "/network.json", new Cached(network));
    this.url = HttpListener.listen(vertx, "dashboard", address,
        new HttpListener.Limits(MAX_TARGET + 64, 16 * 1024, headTimeout, IDLE_TIMEOUT, IDLE_TIMEOUT), this::handle).resolve("/");
    int port = url.getPort();
    String literal = address.getAddress().getHostAddress();
    this.allowedHosts = Set.copyOf(java.util.List.of(
        (literal.contains(":") ? "[" + literal + "]" : literal) + ":" + port,
        "localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port));
  }

  /** Listens on {@code address} (loopback only; port 0 picks a free one) and serves until closed. */
  static Dashboard start(InetSocketAddress address, Document status, Document network, Clock clock, Consumer<String> log)
      throws IOException {
    return start(address, status, network, clock, log, HEAD_TIMEOUT);
  }

  /** As {@link #start(InetSocketAddress, Document, Document, Clock, Consumer)}, with another request head deadline (tests). */
  static Dashboard start(InetSocketAddress address, Document status, Document network, Clock clock, Consumer<String> log,
                         Duration headTimeout) throws IOException {
    if (address.getAddress() == null || !address.getAddress().isLoopbackAddress()) {
      throw new CommandException("--dashboard " + address + ": the dashboard must listen on a loopback address (127.0.0.1 or [::1])");
    }
    Map<String, Page> pages = Map.of(
        "/", page("index.html", "text/html; charset=utf-8"),
        "/dashboard.js", page("dashboard.js", "text/javascript; charset=utf-8"),
        "/dashboard.css", page("dashboard.css", "text/css; charset=utf-8"));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(THREADS).setInternalBlockingPoolSize(1));
    try {
      return new Dashboard(vertx, address, clock, log, pages, status, network, headTimeout);
    } catch (IOException e) {
      vertx.close();
      throw new CommandException(e.getMessage(), e);
    }
  }

  private static Page page(String name, String contentType) throws IOException {
    try (InputStream in = Dashboard.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IOException("the dashboard's " + name + " is missing from the jar");
      }
      return new Page(contentType, in.readAllBytes());
    }
  }

  /** {@code http://HOST:PORT/}. */
  URI url() {
    return url;
  }

  /** On the event loop: everything but building a document, which runs on a worker. */
  private void handle(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    response.putHeader("X-Content-Type-Options", "nosniff");
    response.putHeader("Referrer-Policy", "no-referrer");
    response.putHeader("X-Frame-Options", "DENY");
    response.putHeader("Content-Security-Policy", CSP);
    HttpMethod method = request.method();
    if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
      response.putHeader("Allow", "GET, HEAD");
      text(response, 405, "method " + method + " not allowed: the dashboard is read-only (GET)");
      return;
    }
    String host = request.getHeader("Host");
    if (host != null && !allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
      text(response, 403, "host '" + host + "' is not this dashboard's address");
      return;
    }
    if (request.uri().length() > MAX_TARGET) {
      text(response, 414, "request target over " + MAX_TARGET + " characters");
      return;
    }
    String path = request.path();
    Page page = pages.get(path);
    if (page != null) {
      response.putHeader("Cache-Control", "no-cache");
      send(response, 200, page.contentType(), page.bytes());
      return;
    }
    Cached document = documents.get(path);
    if (document == null) {
      text(response, 404, "no such page: " + path);
      return;
    }
    vertx.executeBlocking(document::get, false).onComplete(built -> {
      if (built.failed()) {
        Throwable e = built.cause();
        log.accept("dashboard: " + path + " failed: " + ErrorReport.describe(e));
        text(response, 500, path + " failed: " + ErrorReport.oneLine(ErrorReport.describe(e)));
        return;
      }
      response.putHeader("Cache-Control", "no-store");
      send(response, 200, "application/json", built.result());
    });
  }

  private static void text(HttpServerResponse response, int status, String message) {
    send(response, status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Vert.x sends the headers alone, Content-Length included, when the request is a HEAD. */
  private static void send(HttpServerResponse response, int status, String contentType, byte[] body) {
    response.setStatusCode(status).putHeader("Content-Type", contentType).end(Buffer.buffer(body));
  }

  /** Stops accepting and drops open connections. Idempotent. */
  @Override
  public void close() {
    String failure = HttpListener.close(vertx);
    if (failure != null) {
      log.accept("the dashboard did not stop cleanly: " + failure);
    }
  }
}
