package io.canopy.gateway.openai;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The OpenAI face over HTTP: route ({@link OpenAiOperation#route}) → read the body, at most
 * {@code maxBodyBytes} → on a worker thread, authenticate and dispatch ({@link OpenAiApi}) → send
 * the JSON back from the event loop. Bodies are small JSON documents, so they are buffered whole;
 * one over the limit is refused with 413 as soon as its Content-Length (or its bytes) say so, and
 * the connection is closed rather than drained. Unknown routes and wrong methods are answered
 * after their (bounded) body has been read and dropped.
 *
 * <p>Streamed replies ({@code "stream": true}) are written by the worker thread through an {@link
 * EventStream} ({@link ClientConnection}): each event is handed to the request's event loop, and
 * the worker waits there while Vert.x's write queue for the client is full, so a slow reader slows
 * the generation down instead of making the gateway buffer its text (at most one write queue, and
 * a client that reads nothing for {@link #STALLED_CLIENT_TIMEOUT} is dropped). When the client's
 * connection closes, or a write to it fails, the next piece of text the backend produces throws
 * {@link CancellationException} so the job stops; a non-streamed generation is stopped the same way.
 */
public final class OpenAiHandler implements Handler<HttpServerRequest> {
  private static final System.Logger LOG = System.getLogger(OpenAiHandler.class.getName());
  /** The largest request body accepted: 4 MiB, room for {@link EmbeddingsRequest#MAX_INPUTS} inputs of text. */
  public static final int DEFAULT_MAX_BODY_BYTES = 4 << 20;
  /** OpenAI's response header naming the request, for support and logs. */
  public static final String REQUEST_ID_HEADER = "x-request-id";
  /** How long a streamed reply waits for a client that reads nothing before dropping it. */
  public static final Duration STALLED_CLIENT_TIMEOUT = Duration.ofMinutes(2);

  private static final SecureRandom IDS = new SecureRandom();

  private final Vertx vertx;
  private final OpenAiApi api;
  private final int maxBodyBytes;

  public OpenAiHandler(Vertx vertx, InferenceBackend backend, ApiKeys keys, int maxBodyBytes) {
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("maxBodyBytes " + maxBodyBytes);
    }
    this.vertx = vertx;
    this.api = new OpenAiApi(backend, keys);
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void handle(HttpServerRequest req) {
    String requestId = "req_" + HexFormat.of().formatHex(randomId());
    OpenAiOperation routed = null;
    OpenAiException misrouted = null;
    try {
      routed = OpenAiOperation.route(req.method(), req.path());
    } catch (OpenAiException e) {
      // Answered once the body is read (and dropped), so the connection can carry the next request.
      misrouted = e;
    }
    OpenAiOperation op = routed;
    OpenAiException routeError = misrouted;
    String declared = req.getHeader("Content-Length");
    if (declared != null) {
      long length;
      try {
        length = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        length = -1;
      }
      if (length > maxBodyBytes) {
        send(req, requestId, tooLarge(), true);
        return;
      }
    }
    String expect = req.getHeader("Expect");
    if (expect != null && expect.trim().equalsIgnoreCase("100-continue")) {
      // The body is within the limit (or its length is unknown): let the client send it.
      req.response().writeContinue();
    }
    Context context = vertx.getOrCreateContext();
    Buffer body = Buffer.buffer();
    boolean[] refused = {false};
    long[] seen = {0};
    req.handler(chunk -> {
      if (refused[0]) {
        return;
      }
      seen[0] += chunk.length();
      if (seen[0] > maxBodyBytes) {
        refused[0] = true;
        send(req, requestId, tooLarge(), true);
        return;
      }
      if (routeError == null) {
        body.appendBuffer(chunk);
      }
    });
    req.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, "OpenAI request body failed", e));
    req.endHandler(v -> {
      if (refused[0]) {
        return;
      }
      if (routeError != null) {
        send(req, requestId, OpenAiApi.errorReply(routeError), false);
        return;
      }
      String authorization = req.getHeader("Authorization");
      byte[] bytes = body.getBytes();
      ClientConnection client = new ClientConnection(context, req, requestId);
      req.response().closeHandler(closed -> client.gone());
      req.response().exceptionHandler(e -> client.gone());
      context.<Optional<OpenAiReply>>executeBlocking(() -> api.serve(op, authorization, bytes, client), false)
          .onComplete(ar -> {
            if (ar.succeeded()) {
              // Empty: the reply was streamed, and the stream ended.
              ar.result().ifPresent(reply -> send(req, requestId, reply, false));
            } else {
              LOG.log(System.Logger.Level.WARNING, "OpenAI request failed outside its handler", ar.cause());
              send(req, requestId, OpenAiApi.errorReply(new OpenAiException(OpenAiError.INTERNAL,
                  "The server had an error while processing your request.")), false);
            }
          });
    });
  }

  private OpenAiReply tooLarge() {
    return OpenAiApi.errorReply(new OpenAiException(OpenAiError.REQUEST_TOO_LARGE,
        "The request body is larger than the limit of " + maxBodyBytes + " bytes."));
  }

  private static void send(HttpServerRequest req, String requestId, OpenAiReply reply, boolean close) {
    HttpServerResponse res = req.response();
    if (res.ended() || res.closed()) {
      return;
    }
    if (res.headWritten()) {
      // A stream already started (only a failure outside OpenAiApi gets here): cut it short.
      res.reset();
      return;
    }
    res.setStatusCode(reply.status())
        .putHeader("Content-Type", "application/json")
        .putHeader(REQUEST_ID_HEADER, requestId);
    if (close) {
      res.putHeader("Connection", "close");
      res.end(Buffer.buffer(reply.json())).onComplete(v -> req.connection().close());
    } else {
      res.end(Buffer.buffer(reply.json()));
    }
  }

  /**
   * The way back to one client, for the worker thread serving its request. Every touch of the
   * response happens on the request's event loop ({@code context}); the worker only waits.
   */
  private static final class ClientConnection implements EventStream {
    private final Context context;
    private final HttpServerRequest req;
    private final String requestId;
    private volatile boolean gone;
    /** The wait of the event being sent, completed when the client can take more (or left). */
    private volatile CompletableFuture<Void> writable = CompletableFuture.completedFuture(null);
    /** Whether the head of the stream went out; event loop only. */
    private boolean started;

    ClientConnection(Context context, HttpServerRequest req, String requestId) {
      this.context = context;
      this.req = req;
      this.requestId = requestId;
    }

    /** The client's connection closed, or writing to it failed. Any thread. */
    void gone() {
      gone = true;
      writable.complete(null);
    }

    @Override
    public boolean clientGone() {
      return gone;
    }

    @Override
    public void send(String data) {
      if (gone) {
        throw new CancellationException("the client went away");
      }
      Buffer event = Buffer.buffer("data: " + data + "\n\n");
      CompletableFuture<Void> next = new CompletableFuture<>();
      writable = next;
      context.runOnContext(v -> {
        HttpServerResponse res = req.response();
        if (gone || res.closed() || res.ended()) {
          gone();
          return;
        }
        if (!started) {
          started = true;
          res.setStatusCode(200)
              .putHeader("Content-Type", "text/event-stream; charset=utf-8")
              .putHeader("Cache-Control", "no-cache")
              .putHeader(REQUEST_ID_HEADER, requestId)
              .setChunked(true);
        }
        res.write(event).onFailure(e -> gone());
        if (res.writeQueueFull()) {
          res.drainHandler(d -> next.complete(null));
        } else {
          next.complete(null);
        }
      });
      try {
        next.get(STALLED_CLIENT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        LOG.log(System.Logger.Level.DEBUG, "OpenAI client read nothing for {0}; dropping it", STALLED_CLIENT_TIMEOUT);
        gone();
        context.runOnContext(v -> req.response().reset());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        gone();
      } catch (ExecutionException e) {
        throw new IllegalStateException(e);
      }
      if (gone) {
        throw new CancellationException("the client went away");
      }
    }

    @Override
    public void end() {
      context.runOnContext(v -> {
        HttpServerResponse res = req.response();
        if (res.ended() || res.closed()) {
          return;
        }
        if (gone || !started) {
          // A write failed, or nothing was ever sent: no well-formed end can follow.
          res.reset();
          return;
        }
        res.end();
      });
    }
  }

  private static byte[] randomId() {
    byte[] id = new byte[12];
    IDS.nextBytes(id);
    return id;
  }
}
