package io.canopy.cli.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The client side of {@link RpcServer}: POSTs to {@code /api/v0/<command>} with the endpoint's
 * token, and turns error bodies back into {@link RpcException}s carrying the server's message.
 * Uploads are streamed in chunks (never held whole), downloads are copied as they arrive and
 * checked against the length the server announced.
 */
public final class RpcClient {
  public static final String PREFIX = "/api/v0/";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK = 64 * 1024;
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  private final ApiEndpoint endpoint;

  public RpcClient(ApiEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  public ApiEndpoint endpoint() {
    return endpoint;
  }

  /** Positional arguments and options of one request, in order. */
  public static final class Query {
    private final List<Map.Entry<String, String>> params = new ArrayList<>();

    public static Query of(String... args) {
      Query q = new Query();
      for (String a : args) {
        q.arg(a);
      }
      return q;
    }

    public Query arg(String value) {
      return option("arg", value);
    }

    public Query option(String name, Object value) {
      if (value != null) {
        params.add(Map.entry(name, String.valueOf(value)));
      }
      return this;
    }

    String encoded() {
      StringBuilder s = new StringBuilder();
      for (Map.Entry<String, String> p : params) {
        s.append(s.length() == 0 ? '?' : '&')
            .append(URLEncoder.encode(p.getKey(), StandardCharsets.UTF_8)).append('=')
            .append(URLEncoder.encode(p.getValue(), StandardCharsets.UTF_8));
      }
      return s.toString();
    }
  }

  /** Whether something accepts connections at the endpoint (a stale api file: nothing does). */
  public boolean reachable() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(endpoint.url().getHost(), endpoint.url().getPort()), CONNECT_TIMEOUT_MILLIS);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A command without a body, answered with JSON. */
  public JsonNode call(String command, Query query) throws IOException {
    HttpURLConnection c = open(command, query, null);
    c.setFixedLengthStreamingMode(0); // also: never silently re-sent
    c.getOutputStream().close();
    return readJson(command, c);
  }

  /**
   * A command answered with raw bytes, copied to {@code out}; returns how many. Fails if the
   * answer breaks off or is shorter than announced.
   */
  public long download(String command, Query query, OutputStream out) throws IOException {
    HttpURLConnection c = open(command, query, null);
    c.setFixedLengthStreamingMode(0);
    c.getOutputStream().close();
    checkStatus(command, c);
    String announced = c.getHeaderField("X-Content-Length");
    long expected = announced == null ? -1 : Long.parseLong(announced);
    long copied = 0;
    byte[] buffer = new byte[CHUNK];
    try (InputStream in = c.getInputStream()) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        out.write(buffer, 0, n);
        copied += n;
      }
    } catch (IOException e) {
      throw brokenOff(command, copied, expected, e);
    }
    if (expected >= 0 && copied != expected) {
      throw brokenOff(command, copied, expected, null);
    }
    return copied;
  }

  /** Starts a streamed upload; write the body to {@link Upload#body()}, then {@link Upload#finish()}. */
  public Upload upload(String command, Query query, String contentType) throws IOException {
    HttpURLConnection c = open(command, query, contentType);
    c.setChunkedStreamingMode(CHUNK);
    return new Upload(command, c);
  }

  /** One streamed request body in progress. */
  public final class Upload implements AutoCloseable {
    private final String command;
    private final HttpURLConnection connection;
    private OutputStream body;
    private boolean done;

    private Upload(String command, HttpURLConnection connection) {
      this.command = command;
      this.connection = connection;
    }

    public OutputStream body() throws IOException {
      if (body == null) {
        try {
          body = connection.getOutputStream();
        } catch (ConnectException e) {
          throw unreachable(e);
        }
      }
      return body;
    }

    /** Ends the body and reads the JSON answer. */
    public JsonNode finish() throws IOException {
      body().close();
      done = true;
      return readJson(command, connection);
    }

    /** Without {@link #finish()}: drops the connection, so the server sees the body cut short. */
    @Override
    public void close() {
      if (!done) {
        done = true;
        connection.disconnect();
      }
    }
  }

  private HttpURLConnection open(String command, Query query, String contentType) throws IOException {
    HttpURLConnection c = (HttpURLConnection) endpoint.url().resolve(PREFIX + command + query.encoded()).toURL().openConnection();
    c.setRequestMethod("POST");
    c.setDoOutput(true);
    c.setUseCaches(false);
    c.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
    c.setRequestProperty("Authorization", "Bearer " + endpoint.token());
    if (contentType != null) {
      c.setRequestProperty("Content-Type", contentType);
    }
    return c;
  }

  private JsonNode readJson(String command, HttpURLConnection c) throws IOException {
    checkStatus(command, c);
    try (InputStream in = c.getInputStream()) {
      return JSON.readTree(in);
    }
  }

  private void checkStatus(String command, HttpURLConnection c) throws IOException {
    int status;
    try {
      status = c.getResponseCode();
    } catch (ConnectException e) {
      throw unreachable(e);
    }
    if (status / 100 == 2) {
      return;
    }
    String message = null;
    try (InputStream err = c.getErrorStream()) {
      if (err != null) {
        JsonNode body = JSON.readTree(err.readNBytes(1 << 20));
        if (body != null && body.hasNonNull("Message")) {
          message = body.get("Message").asText();
        }
      }
    } catch (IOException e) {
      // no readable error body: fall back to the status line
    }
    if (message == null) {
      message = "the daemon at " + endpoint + " answered " + command + " with HTTP " + status;
    }
    throw new RpcException(RpcError.ofStatus(status), message);
  }

  private IOException unreachable(ConnectException e) {
    return new ConnectException("cannot reach the daemon's API at " + endpoint + ": " + e.getMessage());
  }

  private RpcException brokenOff(String command, long copied, long expected, IOException cause) {
    return new RpcException(RpcError.FAILED, "the daemon's answer to " + command + " broke off after " + copied
        + (expected >= 0 ? " of " + expected : "") + " bytes (the daemon's log says why)", cause);
  }
}
