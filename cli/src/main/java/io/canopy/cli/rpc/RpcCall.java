package io.canopy.cli.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.gateway.http.BlockingResponseStream;
import io.canopy.gateway.http.RequestBodyStream;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One request to a route, as its handler sees it: the query (Kubo style: {@code arg} repeated for
 * positional arguments, other names for options), the body (cut off at the route's limit), and
 * two ways to answer, JSON or a byte stream. A stream's status line is sent only when its first
 * byte is written, so a handler that fails before producing output still gets a proper error
 * response; one that fails midway makes the server drop the connection, which the client sees as
 * a stream that ended early.
 */
public final class RpcCall {
  private final HttpServerRequest request;
  private final HttpServerResponse response;
  private final RequestBodyStream requestBody;
  private final List<Map.Entry<String, String>> query;
  private final long maxBodyBytes;
  private final ObjectMapper json;
  /** When the read the handler is blocked in began; 0 when it is not reading. */
  private volatile long readStartedAt;
  private volatile boolean responded;
  private WatchedInput body;

  RpcCall(HttpServerRequest request, RequestBodyStream requestBody, List<Map.Entry<String, String>> query, long maxBodyBytes,
          ObjectMapper json) {
    this.request = request;
    this.response = request.response();
    this.requestBody = requestBody;
    this.query = query;
    this.maxBodyBytes = maxBodyBytes;
    this.json = json;
  }

  /** The positional arguments ({@code arg=…}, in order). */
  public List<String> args() {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, String> e : query) {
      if (e.getKey().equals("arg")) {
        out.add(e.getValue());
      }
    }
    return out;
  }

  /** The arguments, which must number between {@code min} and {@code max}; else 400. */
  public List<String> args(int min, int max) {
    List<String> args = args();
    if (args.size() < min || args.size() > max) {
      String wanted = min == max ? String.valueOf(min) : max == Integer.MAX_VALUE ? "at least " + min : min + " to " + max;
      throw RpcException.badRequest("expected " + wanted + " 'arg' parameter" + (max == 1 ? "" : "s") + ", got " + args.size());
    }
    return args;
  }

  /** The single argument; 400 unless there is exactly one. */
  public String arg() {
    return args(1, 1).get(0);
  }

  /** The last value of option {@code name}, or null. */
  public String option(String name) {
    String value = null;
    for (Map.Entry<String, String> e : query) {
      if (e.getKey().equals(name)) {
        value = e.getValue();
      }
    }
    return value;
  }

  public boolean flag(String name, boolean fallback) {
    String v = option(name);
    if (v == null) {
      return fallback;
    }
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "", "true", "1" -> true;
      case "false", "0" -> false;
      default -> throw RpcException.badRequest("option '" + name + "' must be true or false, got '" + v + "'");
    };
  }

  public long longOption(String name, long fallback) {
    String v = option(name);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw RpcException.badRequest("option '" + name + "' must be an integer, got '" + v + "'");
    }
  }

  /** The request's Content-Type, without parameters, or "". */
  public String contentType() {
    String type = request.getHeader("Content-Type");
    return type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
  }

  /** The first value of request header {@code name}, or null. */
  public String header(String name) {
    return request.getHeader(name);
  }

  /** Sets a response header; only before the answer starts. */
  public void responseHeader(String name, String value) {
    if (responded) {
      throw new IllegalStateException("the answer has started");
    }
    response.putHeader(name, value);
  }

  /**
   * The body. Reading past the route's limit fails with 413; a client silent for longer than the
   * server's idle timeout has its connection closed.
   */
  public InputStream body() {
    if (body == null) {
      body = new WatchedInput(requestBody);
    }
    return body;
  }

  /** Answers 200 with {@code value} as JSON. */
  public void respondJson(Object value) throws IOException {
    byte[] bytes = json.writeValueAsBytes(value);
    response.putHeader("Content-Type", "application/json");
    start(200, bytes.length);
    response.end(Buffer.buffer(bytes));
  }

  /**
   * A stream for a raw answer. Nothing is sent until the first write; {@code length} (≥ 0) is
   * announced in {@code X-Content-Length}, as Kubo does for cat, so the client can tell a whole
   * answer from one cut short. The handler closes it when done.
   */
  public OutputStream respondStream(String contentType, long length) {
    response.putHeader("Content-Type", contentType);
    if (length >= 0) {
      response.putHeader("X-Content-Length", Long.toString(length));
    }
    return new FilterOutputStream(null) {
      private OutputStream target;

      private OutputStream target() throws IOException {
        if (target == null) {
          start(200, -1); // chunked: an abort is then visible to the client as a broken stream
          target = new BlockingResponseStream(response);
        }
        return target;
      }

      @Override
      public void write(int b) throws IOException {
        target().write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (len > 0) {
          target().write(b, off, len);
        }
      }

      @Override
      public void flush() throws IOException {
        if (target != null) {
          target.flush();
        }
      }

      @Override
      public void close() throws IOException {
        target().close();
        if (!response.ended()) {
          response.end();
        }
      }
    };
  }

  boolean responded() {
    return responded;
  }

  /**
   * Commits to an answer: its status and framing ({@code bodyLength} -1 for a chunked body of
   * unknown length); the head goes out with the first bytes of the body.
   */
  void start(int status, long bodyLength) {
    responded = true;
    response.setStatusCode(status);
    if (bodyLength < 0) {
      response.setChunked(true);
    } else {
      response.putHeader("Content-Length", Long.toString(bodyLength));
    }
  }

  /** Whether the handler has been blocked reading from its client for longer than {@code idleNanos}. */
  boolean stalled(long now, long idleNanos) {
    long started = readStartedAt;
    return started != 0 && !responded && now - started > idleNanos;
  }

  HttpServerRequest request() {
    return request;
  }

  static List<Map.Entry<String, String>> parseQuery(String raw, int maxParams) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      if (out.size() == maxParams) {
        throw RpcException.badRequest("too many query parameters (the limit is " + maxParams + ")");
      }
      int eq = pair.indexOf('=');
      try {
        String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        out.add(Map.entry(key, value));
      } catch (IllegalArgumentException e) {
        throw RpcException.badRequest("malformed query parameter '" + pair + "': " + e.getMessage());
      }
    }
    return out;
  }

  /** The request body, counted against the route's limit and watched for a silent client. */
  private final class WatchedInput extends FilterInputStream {
    private long read;

    WatchedInput(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      readStartedAt = System.nanoTime() | 1; // never 0 while reading
      int n;
      try {
        n = super.read(b, off, len);
      } finally {
        readStartedAt = 0;
      }
      if (n > 0) {
        read += n;
        if (read > maxBodyBytes) {
          throw new RpcException(RpcError.PAYLOAD_TOO_LARGE,
              "request body is larger than this route's limit of " + maxBodyBytes + " bytes");
        }
      }
      return n;
    }
  }
}
