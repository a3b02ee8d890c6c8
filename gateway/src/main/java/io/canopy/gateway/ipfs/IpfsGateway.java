package io.canopy.gateway.ipfs;

import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.car.CarExporter;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.exporter.PathNotFoundException;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.gateway.http.BlockingResponseStream;
import io.canopy.gateway.http.ByteRange;
import io.canopy.multiformats.Cid;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * The path gateway, {@code GET|HEAD /ipfs/{cid}[/path]} (ipfs/specs http-gateways): files with
 * Range, directories (their index.html, else a listing), {@code ?format=raw|car} and the matching
 * Accept types, ETag = CID and immutable caching. It reads through whatever Blockstore it is
 * given; in a node that is one that fetches what the node lacks over Bitswap, so any CID the
 * network can find works. Exporting runs on worker threads and streams with backpressure.
 */
public final class IpfsGateway implements Handler<HttpServerRequest> {
  private static final System.Logger LOG = System.getLogger(IpfsGateway.class.getName());
  static final String IMMUTABLE = "public, max-age=29030400, immutable";

  private final Vertx vertx;
  private final Blockstore blocks;
  private final Exporter exporter;

  public IpfsGateway(Vertx vertx, Blockstore blocks) {
    this.vertx = vertx;
    this.blocks = blocks;
    this.exporter = new Exporter(blocks);
  }

  @Override
  public void handle(HttpServerRequest req) {
    HttpServerResponse res = req.response();
    if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
      res.putHeader("Allow", "GET, HEAD");
      plain(res, 405, "method " + req.method() + " is not allowed; the gateway is read-only (GET, HEAD)");
      return;
    }
    GatewayRequest g;
    try {
      g = GatewayRequest.parse(req.path(), req.getParam("format"), req.getHeader("Accept"));
    } catch (GatewayRequest.BadRequest e) {
      plain(res, 400, e.getMessage());
      return;
    }
    boolean head = req.method() == HttpMethod.HEAD;
    // Unordered: requests must not queue behind one another (a block fetched from a slow peer, a slow client).
    vertx.executeBlocking(() -> {
      serve(req, res, g, head);
      return null;
    }, false).onFailure(e -> fail(res, g, e));
  }

  private void serve(HttpServerRequest req, HttpServerResponse res, GatewayRequest g, boolean head) throws IOException {
    Exporter.Resolved target = exporter.resolve(g.contentPath());
    res.putHeader("X-Ipfs-Path", g.contentPath());
    res.putHeader("Access-Control-Allow-Origin", "*");
    switch (g.format()) {
      case RAW -> raw(req, res, target.cid(), head);
      case CAR -> car(req, res, target.cid(), head);
      case UNIXFS -> {
        if (target.type() == UnixFsType.DIRECTORY || target.type() == UnixFsType.HAMT_SHARD) {
          directory(req, res, g, target, head);
        } else if (target.type() == UnixFsType.FILE || target.type() == UnixFsType.RAW) {
          file(req, res, target.cid(), target.size(), g.segments().isEmpty() ? null : g.segments().get(g.segments().size() - 1), head);
        } else {
          plain(res, 501, g.contentPath() + " is a " + target.type() + "; ask for ?format=raw to get its block");
        }
      }
    }
  }

  private void file(HttpServerRequest req, HttpServerResponse res, Cid cid, long size, String name, boolean head) throws IOException {
    String etag = "\"" + cid + "\"";
    if (notModified(req, res, etag)) {
      return;
    }
    res.putHeader("ETag", etag).putHeader("Cache-Control", IMMUTABLE).putHeader("Accept-Ranges", "bytes");
    res.putHeader("Content-Type", contentType(name));
    Optional<ByteRange> range;
    try {
      range = ByteRange.parse(req.getHeader("Range"), size);
    } catch (ByteRange.Unsatisfiable e) {
      res.putHeader("Content-Range", "bytes */" + size);
      plain(res, 416, e.getMessage());
      return;
    }
    long offset = range.map(ByteRange::first).orElse(0L);
    long length = range.map(ByteRange::length).orElse(size);
    if (range.isPresent()) {
      res.setStatusCode(206).putHeader("Content-Range", range.get().contentRange(size));
    }
    res.putHeader("Content-Length", Long.toString(length));
    if (head) {
      res.end();
      return;
    }
    stream(res, out -> exporter.cat(cid, offset, length, out));
  }

  private void directory(HttpServerRequest req, HttpServerResponse res, GatewayRequest g, Exporter.Resolved dir, boolean head) throws IOException {
    if (!req.path().endsWith("/")) {
      // Relative links in the listing and in index.html resolve against the folder only with a slash.
      String query = req.query();
      res.setStatusCode(301).putHeader("Location", req.path() + "/" + (query == null ? "" : "?" + query)).end();
      return;
    }
    Optional<Exporter.DirEntry> index = exporter.list(dir.cid()).stream().filter(e -> e.name().equals("index.html")).findFirst();
    if (index.isPresent()) {
      file(req, res, index.get().cid(), exporter.fileSize(index.get().cid()), "index.html", head);
      return;
    }
    String etag = "\"DirIndex-" + dir.cid() + "\"";
    if (notModified(req, res, etag)) {
      return;
    }
    byte[] html = DirectoryListing.html(g.contentPath(), exporter.list(dir.cid())).getBytes(StandardCharsets.UTF_8);
    res.putHeader("ETag", etag).putHeader("Cache-Control", IMMUTABLE)
        .putHeader("Content-Type", "text/html; charset=utf-8").putHeader("Content-Length", Integer.toString(html.length));
    if (head) {
      res.end();
    } else {
      res.end(io.vertx.core.buffer.Buffer.buffer(html));
    }
  }

  private void raw(HttpServerRequest req, HttpServerResponse res, Cid cid, boolean head) throws IOException {
    String etag = "\"" + cid + ".raw\"";
    if (notModified(req, res, etag)) {
      return;
    }
    byte[] block = blocks.getVerified(cid);
    res.putHeader("ETag", etag).putHeader("Cache-Control", IMMUTABLE)
        .putHeader("Content-Type", "application/vnd.ipld.raw").putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Content-Disposition", "attachment; filename=\"" + cid + ".bin\"")
        .putHeader("Content-Length", Integer.toString(block.length));
    if (head) {
      res.end();
    } else {
      res.end(io.vertx.core.buffer.Buffer.buffer(block));
    }
  }

  private void car(HttpServerRequest req, HttpServerResponse res, Cid cid, boolean head) throws IOException {
    String etag = "\"" + cid + ".car\"";
    if (notModified(req, res, etag)) {
      return;
    }
    res.putHeader("ETag", etag).putHeader("Cache-Control", IMMUTABLE)
        .putHeader("Content-Type", "application/vnd.ipld.car; version=1").putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Content-Disposition", "attachment; filename=\"" + cid + ".car\"");
    if (head) {
      res.end();
      return;
    }
    res.setChunked(true);
    stream(res, out -> new CarExporter(blocks).export(cid, out));
  }

  private interface Producer {
    void writeTo(OutputStream out) throws IOException;
  }

  /** Streams a body produced on this worker thread; a failure once bytes are out resets the connection, so the client cannot take a cut body for a whole one. */
  private static void stream(HttpServerResponse res, Producer producer) {
    try (BlockingResponseStream out = new BlockingResponseStream(res)) {
      producer.writeTo(out);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.INFO, "gateway response cut short: {0}", e.getMessage());
      res.reset();
      return;
    }
    res.end();
  }

  private static boolean notModified(HttpServerRequest req, HttpServerResponse res, String etag) {
    String inm = req.getHeader("If-None-Match");
    if (inm != null && (inm.trim().equals("*") || java.util.Arrays.stream(inm.split(",")).map(String::trim)
        .map(t -> t.startsWith("W/") ? t.substring(2) : t).anyMatch(etag::equals))) {
      res.setStatusCode(304).putHeader("ETag", etag).putHeader("Cache-Control", IMMUTABLE).end();
      return true;
    }
    return false;
  }

  private static String contentType(String name) {
    String guessed = name == null ? null : URLConnection.guessContentTypeFromName(name);
    if (guessed == null) {
      return "application/octet-stream";
    }
    return guessed.startsWith("text/") ? guessed + "; charset=utf-8" : guessed;
  }

  private static void fail(HttpServerResponse res, GatewayRequest g, Throwable e) {
    if (res.headWritten()) {
      res.reset();
      return;
    }
    if (e instanceof PathNotFoundException) {
      plain(res, 404, e.getMessage());
    } else if (e instanceof BlockNotFoundException nf) {
      boolean timedOut = nf.getCause() instanceof TimeoutException;
      plain(res, timedOut ? 504 : 404, timedOut
          ? "block " + nf.cid() + " of " + g.contentPath() + " was not found in time (no peer sent it)"
          : e.getMessage());
    } else if (e instanceof IOException && e.getMessage() != null && e.getMessage().contains("is not a")) {
      plain(res, 400, e.getMessage());
    } else {
      LOG.log(System.Logger.Level.WARNING, "gateway request " + g.contentPath() + " failed", e);
      plain(res, 500, "cannot serve " + g.contentPath() + ": " + e.getMessage());
    }
  }

  private static void plain(HttpServerResponse res, int status, String message) {
    if (res.ended()) {
      return;
    }
    res.setStatusCode(status).putHeader("Content-Type", "text/plain; charset=utf-8").end(message + "\n");
  }
}
