package io.canopy.gateway.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts an HTTP/1.1 listener with the limits every Canopy HTTP face needs against clients that
 * send slowly or too much: a longest request line and header block, a {@link RequestHeadDeadline},
 * and optionally an idle timeout. Used by the gateway's faces and the daemon's local APIs.
 */
public final class HttpListener {
  /**
   * @param maxInitialLine longest request line, in bytes (Vert.x answers 414 past it)
   * @param maxHeaderSize largest header block, in bytes (431 past it)
   * @param headTimeout time from connecting to a complete request head
   * @param nextRequestTimeout time from a response to the next complete request head on a kept-alive connection
   * @param idleTimeout silence after which a connection is closed whatever it is doing; zero for none
   *     (for APIs whose calls may work silently for a long time before answering)
   */
  public record Limits(int maxInitialLine, int maxHeaderSize, Duration headTimeout, Duration nextRequestTimeout, Duration idleTimeout) {}

  private HttpListener() {}

  /**
   * Listens on {@code address} (port 0: any free one) and returns the base URL, {@code
   * http://HOST:PORT} (127.0.0.1 for a wildcard address). {@code face} names the listener in the
   * error when the address cannot be bound.
   */
  public static URI listen(Vertx vertx, String face, InetSocketAddress address, Limits limits, Handler<HttpServerRequest> handler)
      throws IOException {
    HttpServerOptions options = new HttpServerOptions()
        .setMaxInitialLineLength(limits.maxInitialLine())
        .setMaxHeaderSize(limits.maxHeaderSize())
        // No HTTP/2 over cleartext: while Vert.x sniffs for its preface it does not report the
        // connection, so RequestHeadDeadline could not time a client that sends nothing at all.
        .setHttp2ClearTextEnabled(false)
        .setIdleTimeout((int) limits.idleTimeout().toSeconds())
        .setIdleTimeoutUnit(TimeUnit.SECONDS);
    RequestHeadDeadline deadline = new RequestHeadDeadline(vertx, limits.headTimeout(), limits.nextRequestTimeout());
    HttpServer server;
    try {
      server = vertx.createHttpServer(options).connectionHandler(deadline::connected).requestHandler(deadline.wrap(handler))
          .listen(address.getPort(), address.getHostString())
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IOException("cannot listen on " + address + " for the " + face + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("cannot listen on " + address + " for the " + face + ": no answer from the event loop in 30 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while starting the " + face, e);
    }
    String host = address.getAddress() != null && address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getHostString();
    return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.actualPort());
  }

  /**
   * Closes {@code vertx}, and with it every listener on it, waiting up to 30 s; returns why it did
   * not stop cleanly, or null if it did.
   */
  public static String close(Vertx vertx) {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while closing";
    } catch (ExecutionException e) {
      return String.valueOf(e.getCause());
    } catch (TimeoutException e) {
      return "still closing after 30 s";
    }
  }
}
