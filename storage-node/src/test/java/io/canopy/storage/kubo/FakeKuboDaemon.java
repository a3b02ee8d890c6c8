package io.canopy.storage.kubo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.dag.DagWalker;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.stream.Collectors;

/**
 * A stand-in for a Kubo daemon's RPC API on 127.0.0.1 (JDK HttpServer), answering the commands the
 * backend uses the way Kubo documents them, error bodies included: blocks in memory keyed by
 * multihash, recursive pins, gc that keeps what pins reach. Tests replace any command's handler
 * with {@link #override} to make the daemon lie, stall or babble.
 */
final class FakeKuboDaemon implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What repo/stat adds to the blocks' bytes, as a real repo's datastore and config would. */
  static final long REPO_OVERHEAD = 4096;

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final MemoryBlockstore blocks = new MemoryBlockstore();
  private final Set<Cid> recursivePins = ConcurrentHashMap.newKeySet();
  private final Map<String, HttpHandler> overrides = new ConcurrentHashMap<>();
  private final List<URI> requests = new CopyOnWriteArrayList<>();
  private final List<Map<String, List<String>>> requestHeaders = new CopyOnWriteArrayList<>();

  FakeKuboDaemon() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  KuboRpcConfig.Builder config() {
    return KuboRpcConfig.builder().apiUrl(url());
  }

  /** Replaces the handler of {@code command} (e.g. {@code "block/get"}). */
  void override(String command, HttpHandler handler) {
    overrides.put(command, handler);
  }

  List<URI> requests() {
    return requests;
  }

  List<Map<String, List<String>>> requestHeaders() {
    return requestHeaders;
  }

  /** The query of the last request to {@code command}. */
  Map<String, List<String>> lastQuery(String command) {
    for (int i = requests.size() - 1; i >= 0; i--) {
      if (requests.get(i).getPath().equals("/api/v0/" + command)) {
        return query(requests.get(i));
      }
    }
    throw new AssertionError("no request to " + command + " in " + requests);
  }

  MemoryBlockstore blocks() {
    return blocks;
  }

  Set<Cid> recursivePins() {
    return recursivePins;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      requests.add(ex.getRequestURI());
      requestHeaders.add(Map.copyOf(ex.getRequestHeaders()));
      String path = ex.getRequestURI().getPath();
      if (!path.startsWith("/api/v0/")) {
        text(ex, 404, "404 page not found");
        return;
      }
      if (!"POST".equals(ex.getRequestMethod())) {
        text(ex, 405, "405 - Method Not Allowed");
        return;
      }
      String command = path.substring("/api/v0/".length());
      HttpHandler override = overrides.get(command);
      if (override != null) {
        override.handle(ex);
        return;
      }
      Map<String, List<String>> q = query(ex.getRequestURI());
      switch (command) {
        case "version" -> json(ex, 200, Map.of("Version", "0.29.0", "Commit", "", "Repo", "15", "System", "amd64/linux", "Golang", "go1.22.4"));
        case "id" -> json(ex, 200, Map.of("ID", "12D3KooWFakeFakeFake", "AgentVersion", "kubo/0.29.0/", "Addresses", List.of()));
        case "block/put" -> blockPut(ex, q);
        case "block/get" -> {
          Cid cid = arg(q);
          byte[] data = lookup(ex, q, cid);
          if (data != null) {
            ex.getResponseHeaders().set("Content-Type", "application/vnd.ipld.raw");
            bytes(ex, 200, data);
          }
        }
        case "block/stat" -> {
          Cid cid = arg(q);
          byte[] data = lookup(ex, q, cid);
          if (data != null) {
            json(ex, 200, Map.of("Key", cid.toString(), "Size", data.length));
          }
        }
        case "block/rm" -> blockRm(ex, q);
        case "pin/add" -> pinAdd(ex, q);
        case "pin/rm" -> {
          Cid cid = arg(q);
          if (!recursivePins.remove(cid)) {
            error(ex, 500, "not pinned or pinned indirectly");
          } else {
            json(ex, 200, Map.of("Pins", List.of(cid.toString())));
          }
        }
        case "pin/ls" -> pinLs(ex, q);
        case "repo/gc" -> repoGc(ex);
        case "repo/stat" -> {
          long size = REPO_OVERHEAD;
          List<Cid> keys = blocks.keys().toList();
          for (Cid k : keys) {
            size += blocks.size(k);
          }
          Map<String, Object> out = new LinkedHashMap<>();
          out.put("RepoSize", size);
          out.put("StorageMax", 10_000_000_000L);
          if (!q.containsKey("size-only")) {
            out.put("NumObjects", keys.size());
          }
          json(ex, 200, out);
        }
        case "refs/local" -> {
          StringBuilder body = new StringBuilder();
          for (Cid k : blocks.keys().toList()) {
            body.append(JSON.writeValueAsString(Map.of("Ref", k.toString(), "Err", ""))).append('\n');
          }
          ndjson(ex, body.toString());
        }
        default -> text(ex, 404, "404 page not found");
      }
    } catch (RuntimeException e) {
      // a test's mistake: make it visible rather than hang the client
      e.printStackTrace();
    }
  }

  private byte[] lookup(HttpExchange ex, Map<String, List<String>> q, Cid cid) throws IOException {
    try {
      return blocks.get(cid);
    } catch (BlockNotFoundException e) {
      String prefix = q.containsKey("offline") ? "block was not found locally (offline): " : "";
      error(ex, 500, prefix + "ipld: could not find " + cid);
      return null;
    }
  }

  private void blockPut(HttpExchange ex, Map<String, List<String>> q) throws IOException {
    byte[] data = multipartFile(ex.getRequestBody().readAllBytes(), ex.getRequestHeaders().getFirst("Content-Type"));
    String format = first(q, "format", "");
    String codecName = first(q, "cid-codec", "raw");
    Multicodec hash = Multicodec.byName(first(q, "mhtype", "sha2-256")).orElseThrow();
    int version = 1;
    if (!format.isEmpty()) {
      if (!"raw".equals(codecName) && q.containsKey("cid-codec")) {
        error(ex, 500, "unable to use \"format\" (deprecated) and a custom \"cid-codec\" at the same time");
        return;
      }
      version = "v0".equals(format) ? 0 : 1;
      codecName = "v0".equals(format) ? "dag-pb" : format;
    }
    Multicodec codec = Multicodec.byName(codecName).orElseThrow();
    Block block = Block.of(version, codec, hash, data);
    blocks.put(block);
    json(ex, 200, Map.of("Key", block.cid().toString(), "Size", data.length));
  }

  private void blockRm(HttpExchange ex, Map<String, List<String>> q) throws IOException {
    StringBuilder out = new StringBuilder();
    Set<Multihash> kept = reachableFromPins();
    for (String a : q.getOrDefault("arg", List.of())) {
      Cid cid = Cid.parse(a);
      Map<String, String> line = new LinkedHashMap<>();
      line.put("Hash", cid.toString());
      if (kept.contains(cid.multihash())) {
        line.put("Error", "pinned: recursive");
      } else if (!blocks.has(cid) && !q.containsKey("force")) {
        line.put("Error", "ipld: could not find " + cid);
      } else {
        blocks.delete(cid);
      }
      out.append(JSON.writeValueAsString(line)).append('\n');
    }
    ndjson(ex, out.toString());
  }

  private void pinAdd(HttpExchange ex, Map<String, List<String>> q) throws IOException {
    Cid root = arg(q);
    try {
      DagWalker.over(blocks).walk(root, (cid, data) -> true);
    } catch (BlockNotFoundException e) {
      error(ex, 500, "pin: block was not found locally (offline): ipld: could not find " + e.cid());
      return;
    }
    recursivePins.add(root);
    json(ex, 200, Map.of("Pins", List.of(root.toString())));
  }

  private void pinLs(HttpExchange ex, Map<String, List<String>> q) throws IOException {
    if (q.containsKey("arg")) {
      Cid cid = arg(q);
      if (!recursivePins.contains(cid)) {
        error(ex, 500, "path '" + cid + "' is not pinned");
        return;
      }
      ObjectNode keys = JSON.createObjectNode();
      keys.putObject(cid.toString()).put("Type", "recursive");
      ObjectNode out = JSON.createObjectNode();
      out.set("Keys", keys);
      json(ex, 200, out);
      return;
    }
    StringBuilder out = new StringBuilder();
    for (Cid pin : recursivePins) {
      out.append(JSON.writeValueAsString(Map.of("Cid", pin.toString(), "Type", "recursive", "Name", ""))).append('\n');
    }
    ndjson(ex, out.toString());
  }

  private void repoGc(HttpExchange ex) throws IOException {
    Set<Multihash> kept = reachableFromPins();
    StringBuilder out = new StringBuilder();
    for (Cid k : blocks.keys().toList()) {
      if (!kept.contains(k.multihash())) {
        blocks.delete(k);
        out.append(JSON.writeValueAsString(Map.of("Key", Map.of("/", k.toString())))).append('\n');
      }
    }
    ndjson(ex, out.toString());
  }

  private Set<Multihash> reachableFromPins() throws IOException {
    Set<Multihash> kept = new HashSet<>();
    DagWalker walker = DagWalker.over(blocks);
    walker.walk(new ArrayList<>(recursivePins), new DagWalker.Visitor() {
      @Override
      public boolean visit(Cid cid, byte[] data) {
        kept.add(cid.multihash());
        return true;
      }

      @Override
      public boolean unresolved(Cid cid, Exception cause) {
        return true;
      }
    });
    return kept;
  }

  /** The first file part of a multipart/form-data body. */
  static byte[] multipartFile(byte[] body, String contentType) {
    String boundary = contentType.substring(contentType.indexOf("boundary=") + "boundary=".length());
    byte[] headerEnd = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    int start = indexOf(body, headerEnd, 0) + headerEnd.length;
    int end = indexOf(body, ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII), start);
    return Arrays.copyOfRange(body, start, end);
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = from; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalArgumentException("malformed multipart body");
  }

  static Map<String, List<String>> query(URI uri) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    String raw = uri.getRawQuery();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
    }
    return out;
  }

  private static Cid arg(Map<String, List<String>> q) {
    return Cid.parse(q.get("arg").get(0));
  }

  private static String first(Map<String, List<String>> q, String key, String dflt) {
    List<String> v = q.get(key);
    return v == null || v.isEmpty() ? dflt : v.get(0);
  }

  static void error(HttpExchange ex, int status, String message) throws IOException {
    json(ex, status, Map.of("Message", message, "Code", 0, "Type", "error"));
  }

  static void json(HttpExchange ex, int status, Object body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json");
    bytes(ex, status, JSON.writeValueAsBytes(body));
  }

  static void ndjson(HttpExchange ex, String body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.getResponseHeaders().set("X-Chunked-Output", "1");
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(200, 0); // chunked, as Kubo streams
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  static void text(HttpExchange ex, int status, String body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    bytes(ex, status, body.getBytes(StandardCharsets.UTF_8));
  }

  static void bytes(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** The CIDs the daemon holds, as sorted text: handy in assertions. */
  Set<String> keysText() throws IOException {
    return blocks.keys().map(Cid::toString).sorted().collect(Collectors.toCollection(LinkedHashSet::new));
  }
}
