package io.canopy.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
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
 * documents through DNS rebinding; the answers forbid framing and inline scripts.
 */
final class Dashboard implements AutoCloseable {
  static final String RESOURCES = "/io/canopy/cli/dashboard/";
  static final int MAX_TARGET = 2048;
  static final Duration DOCUMENT_TTL = Duration.ofSeconds(1);
  static final int THREADS = 4;
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

  private final HttpServer server;
  private final ExecutorService workers;
  private final Clock clock;
  private final Consumer<String> log;
  private final Map<String, Page> pages;
  private final Map<String, Cached> documents;
  private final Set<String> allowedHosts;

  private Dashboard(HttpServer server, ExecutorService workers, Clock clock, Consumer<String> log, Map<String, Page> pages,
                    Document status, Document network) {
    this.server = server;
    this.workers = workers;
    this.clock = clock;
    this.log = log;
    this.pages = pages;
    this.documents = Map.of("/status.json", new Cached(status), "/network.json", new Cached(network));
    int port = server.getAddress().getPort();
    String literal = server.getAddress().getAddress().getHostAddress();
    this.allowedHosts = Set.copyOf(java.util.List.of(
        (literal.contains(":") ? "[" + literal + "]" : literal) + ":" + port,
        "localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port));
  }

  /** Listens on {@code address} (loopback only; port 0 picks a free one) and serves until closed. */
  static Dashboard start(InetSocketAddress address, Document status, Document network, Clock clock, Consumer<String> log)
      throws IOException {
    if (address.getAddress() == null || !address.getAddress().isLoopbackAddress()) {
      throw new CommandException("--dashboard " + address + ": the dashboard must listen on a loopback address (127.0.0.1 or [::1])");
    }
    Map<String, Page> pages = Map.of(
        "/", page("index.html", "text/html; charset=utf-8"),
        "/dashboard.js", page("dashboard.js", "text/javascript; charset=utf-8"),
        "/dashboard.css", page("dashboard.css", "text/css; charset=utf-8"));
    HttpServer server;
    try {
      server = HttpServer.create(address, 64);
    } catch (IOException e) {
      throw new CommandException("cannot listen on " + address + " for the dashboard: " + e.getMessage(), e);
    }
    AtomicInteger n = new AtomicInteger();
    ExecutorService workers = Executors.newFixedThreadPool(THREADS, r -> {
      Thread t = new Thread(r, "canopy-dashboard-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(workers);
    Dashboard d = new Dashboard(server, workers, clock, log, pages, status, network);
    server.createContext("/", d::handle);
    server.start();
    return d;
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
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().getHostAddress();
    return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/");
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
      exchange.getResponseHeaders().set("X-Frame-Options", "DENY");
      exchange.getResponseHeaders().set("Content-Security-Policy", CSP);
      String method = exchange.getRequestMethod();
      boolean head = "HEAD".equals(method);
      if (!"GET".equals(method) && !head) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        text(exchange, 405, "method " + method + " not allowed: the dashboard is read-only (GET)", false);
        return;
      }
      String host = exchange.getRequestHeaders().getFirst("Host");
      if (host != null && !allowedHosts.contains(host.toLowerCase(Locale.ROOT))) {
        text(exchange, 403, "host '" + host + "' is not this dashboard's address", head);
        return;
      }
      String target = exchange.getRequestURI().toString();
      if (target.length() > MAX_TARGET) {
        text(exchange, 414, "request target over " + MAX_TARGET + " characters", head);
        return;
      }
      String path = exchange.getRequestURI().getRawPath();
      Page page = pages.get(path);
      if (page != null) {
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        send(exchange, 200, page.contentType(), page.bytes(), head);
        return;
      }
      Cached document = documents.get(path);
      if (document == null) {
        text(exchange, 404, "no such page: " + path, head);
        return;
      }
      byte[] json;
      try {
        json = document.get();
      } catch (Exception e) {
        log.accept("dashboard: " + path + " failed: " + ErrorReport.describe(e));
        text(exchange, 500, path + " failed: " + ErrorReport.oneLine(ErrorReport.describe(e)), head);
        return;
      }
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      send(exchange, 200, "application/json", json, head);
    } finally {
      exchange.close();
    }
  }

  private static void text(HttpExchange exchange, int status, String message, boolean head) throws IOException {
    send(exchange, status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8), head);
  }

  private static void send(HttpExchange exchange, int status, String contentType, byte[] body, boolean head) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    if (head) {
      exchange.sendResponseHeaders(status, -1); // the JDK server sends no body for HEAD
      return;
    }
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** Stops accepting; requests in progress get a second to finish. Idempotent. */
  @Override
  public void close() {
    server.stop(1);
    workers.shutdownNow();
  }
}
