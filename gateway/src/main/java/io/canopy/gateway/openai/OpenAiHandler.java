package io.canopy.gateway.openai;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The OpenAI face over HTTP: route ({@link OpenAiOperation#route}) → read the body, at most
 * {@code maxBodyBytes} → on a worker thread, authenticate and dispatch ({@link OpenAiApi}) → send
 * the JSON back from the event loop. Bodies are small JSON documents, so they are buffered whole;
 * one over the limit is refused with 413 as soon as its Content-Length (or its bytes) say so, and
 * the connection is closed rather than drained. Unknown routes and wrong methods are answered
 * after their (bounded) body has been read and dropped.
 */
public final class OpenAiHandler implements Handler<HttpServerRequest> {
  private static final System.Logger LOG = System.getLogger(OpenAiHandler.class.getName());
  /** The largest request body accepted: 4 MiB, room for {@link EmbeddingsRequest#MAX_INPUTS} inputs of text. */
  public static final int DEFAULT_MAX_BODY_BYTES = 4 << 20;
  /** OpenAI's response header naming the request, for support and logs. */
  public static final String REQUEST_ID_HEADER = "x-request-id";

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
      context.<OpenAiReply>executeBlocking(() -> api.serve(op, authorization, bytes), false)
          .onComplete(ar -> {
            if (ar.succeeded()) {
              send(req, requestId, ar.result(), false);
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

  private static byte[] randomId() {
    byte[] id = new byte[12];
    IDS.nextBytes(id);
    return id;
  }
}
