package io.canopy.gateway.http;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;

/**
 * A Vert.x request body as a blocking InputStream for a worker thread, with backpressure: the
 * request stays paused until the worker first reads; while more than {@code maxBuffered} bytes
 * wait unread the request is paused again, and resumed once the worker has taken half of them. So
 * a fast client cannot make the gateway buffer a whole object.
 *
 * <p>Construct it on the request's event loop, before anything else touches the request (it
 * installs the request's data, end and exception handlers). Pause and resume decisions are taken
 * on the event loop only; the worker only hands the event loop a task.
 *
 * <p>Buffers: Vert.x hands each chunk as a heap {@link Buffer} this class owns until it is read;
 * nothing needs releasing.
 */
public final class RequestBodyStream extends InputStream {
  private static final long READ_WAIT_MILLIS = 120_000;

  private final Context context;
  private final HttpServerRequest request;
  private final long maxBuffered;
  private final boolean expectContinue;

  private final ArrayDeque<Buffer> chunks = new ArrayDeque<>();
  private long queued;
  private boolean ended;
  private Throwable failure;
  private boolean paused = true; // event-loop state: whether we asked the request to pause
  private boolean started;
  private Buffer current;
  private int position;

  public RequestBodyStream(Context context, HttpServerRequest request, long maxBuffered) {
    this.context = context;
    this.request = request;
    this.maxBuffered = maxBuffered;
    String expect = request.getHeader("Expect");
    this.expectContinue = expect != null && expect.trim().equalsIgnoreCase("100-continue");
    request.pause();
    request.handler(this::onData);
    request.endHandler(v -> onEnd());
    request.exceptionHandler(this::onError);
  }

  // ---- event loop -----------------------------------------------------------------------------

  private void onData(Buffer chunk) {
    boolean pause;
    synchronized (this) {
      chunks.add(chunk);
      queued += chunk.length();
      pause = queued >= maxBuffered && !paused;
      if (pause) {
        paused = true;
      }
      notifyAll();
    }
    if (pause) {
      request.pause();
    }
  }

  private synchronized void onEnd() {
    ended = true;
    notifyAll();
  }

  private synchronized void onError(Throwable t) {
    if (failure == null) {
      failure = t;
    }
    notifyAll();
  }

  private void resumeIfDrained() {
    boolean resume;
    synchronized (this) {
      resume = paused && !ended && queued <= maxBuffered / 2;
      if (resume) {
        paused = false;
      }
    }
    if (resume) {
      request.resume();
    }
  }

  /**
   * Once the request is answered: drops what is queued and lets the rest of the body flow (and be
   * discarded), so the request ends and the connection can carry the next one. Any thread.
   */
  public void finish() {
    context.runOnContext(v -> {
      synchronized (this) {
        chunks.clear();
        queued = 0;
        paused = false;
        current = null;
        if (ended || failure != null) {
          return;
        }
      }
      try {
        request.handler(chunk -> { });
        request.resume();
      } catch (IllegalStateException alreadyRead) {
        // the request ended meanwhile: nothing left to discard
      }
    });
  }

  /** The body could not be read (the client went away, or stalled). */
  public static final class BodyReadFailure extends IOException {
    BodyReadFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  // ---- worker ---------------------------------------------------------------------------------

  /** Whether the whole body has arrived (and so the connection can carry the next request). */
  public synchronized boolean ended() {
    return ended;
  }

  /** Whether the worker ever asked for the body (so a 100 Continue went out if one was expected). */
  public synchronized boolean started() {
    return started;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    Buffer chunk;
    int from;
    int n;
    boolean askForMore = false;
    synchronized (this) {
      if (!started) {
        started = true;
        askForMore = true;
        if (expectContinue) {
          context.runOnContext(v -> {
            if (!request.response().headWritten()) {
              request.response().writeContinue();
            }
          });
        }
      }
      if (askForMore) {
        context.runOnContext(v -> resumeIfDrained());
        askForMore = false;
      }
      long deadline = System.currentTimeMillis() + READ_WAIT_MILLIS;
      while (current == null || position >= current.length()) {
        current = chunks.poll();
        position = 0;
        if (current != null) {
          queued -= current.length();
          askForMore = true;
          continue;
        }
        if (failure != null) {
          throw new BodyReadFailure("the request body was cut short: " + failure.getMessage(), failure);
        }
        if (ended) {
          return -1;
        }
        long wait = deadline - System.currentTimeMillis();
        if (wait <= 0) {
          throw new BodyReadFailure("the client sent nothing for " + READ_WAIT_MILLIS / 1000 + " s", null);
        }
        try {
          wait(wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while waiting for the request body");
        }
      }
      chunk = current;
      from = position;
      n = Math.min(len, chunk.length() - from);
      position += n;
    }
    chunk.getBytes(from, from + n, b, off);
    if (askForMore) {
      context.runOnContext(v -> resumeIfDrained());
    }
    return n;
  }
}
