package io.canopy.gateway.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Closes an HTTP connection that has not delivered a complete request head in time: within {@code
 * headTimeout} of connecting, and within {@code nextRequestTimeout} of its previous response. The
 * idle timeout alone cannot do this, because it restarts with every byte, so a client trickling
 * one header byte every few seconds (slowloris) would hold its connection forever.
 *
 * <p>Install {@link #connected} as the server's connection handler and wrap the request handler
 * with {@link #wrap}. Under HTTP/2 only the first request is timed (its streams come and go
 * independently; the idle timeout covers the rest).
 */
public final class RequestHeadDeadline {
  private static final System.Logger LOG = System.getLogger(RequestHeadDeadline.class.getName());

  private final Vertx vertx;
  private final long headMillis;
  private final long nextRequestMillis;
  /** The timer of each connection that owes us a request head. */
  private final Map<HttpConnection, Long> timers = new ConcurrentHashMap<>();

  public RequestHeadDeadline(Vertx vertx, Duration headTimeout, Duration nextRequestTimeout) {
    if (headTimeout.isNegative() || headTimeout.isZero() || nextRequestTimeout.isNegative() || nextRequestTimeout.isZero()) {
      throw new IllegalArgumentException("timeouts must be positive: " + headTimeout + ", " + nextRequestTimeout);
    }
    this.vertx = vertx;
    this.headMillis = headTimeout.toMillis();
    this.nextRequestMillis = nextRequestTimeout.toMillis();
  }

  /** The server's connection handler: starts the clock for the first request head. */
  public void connected(HttpConnection connection) {
    arm(connection, headMillis, "no complete request head within " + headMillis + " ms of connecting");
    connection.closeHandler(v -> cancel(connection));
  }

  /** {@code handler}, stopping the clock when a request head has arrived and restarting it after the response. */
  public Handler<HttpServerRequest> wrap(Handler<HttpServerRequest> handler) {
    return req -> {
      HttpConnection connection = req.connection();
      cancel(connection);
      if (req.version() != HttpVersion.HTTP_2) {
        req.response().endHandler(v -> arm(connection, nextRequestMillis,
            "no complete request head within " + nextRequestMillis + " ms of the previous response"));
      }
      handler.handle(req);
    };
  }

  /** Connections still waiting for a request head (for tests and metrics). */
  public int waiting() {
    return timers.size();
  }

  private void arm(HttpConnection connection, long millis, String reason) {
    long id = vertx.setTimer(millis, timer -> {
      if (timers.remove(connection, timer)) {
        LOG.log(Level.DEBUG, "closing the HTTP connection from {0}: {1}", connection.remoteAddress(), reason);
        connection.close();
      }
    });
    Long previous = timers.put(connection, id);
    if (previous != null) {
      vertx.cancelTimer(previous);
    }
  }

  private void cancel(HttpConnection connection) {
    Long id = timers.remove(connection);
    if (id != null) {
      vertx.cancelTimer(id);
    }
  }
}
