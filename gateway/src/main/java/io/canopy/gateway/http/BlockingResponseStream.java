package io.canopy.gateway.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An OutputStream for blocking producers (the exporter, the CAR writer) running on a worker
 * thread, writing into a Vert.x response. Small writes are gathered into chunks of {@link #CHUNK};
 * a write of a chunk or more (a whole 256 KiB leaf, typically) goes out as one buffer, copied
 * once. When the response's write queue ({@link #WRITE_QUEUE_BYTES}) is full the worker waits for
 * it to drain, so a slow client holds back the producer instead of making the gateway buffer the
 * whole object. A client that goes away makes the next write fail, which stops the producer.
 */
public final class BlockingResponseStream extends OutputStream {
  static final int CHUNK = 64 * 1024;
  /** Bytes queued towards the client before the producer waits: a few leaves, not Vert.x's default 64 KiB. */
  static final int WRITE_QUEUE_BYTES = 1 << 20;
  private static final long DRAIN_WAIT_SECONDS = 60;

  private final HttpServerResponse response;
  private final byte[] buffer = new byte[CHUNK];
  private int filled;
  private volatile boolean closedByClient;
  private volatile CountDownLatch waiting;

  public BlockingResponseStream(HttpServerResponse response) {
    this.response = response;
    response.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
    response.closeHandler(v -> {
      closedByClient = true;
      CountDownLatch w = waiting;
      if (w != null) {
        w.countDown(); // wake the producer: the next write fails
      }
    });
  }

  @Override
  public void write(int b) throws IOException {
    if (filled == CHUNK) {
      flushChunk();
    }
    buffer[filled++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (len >= CHUNK) {
      flushChunk();
      Buffer whole = Buffer.buffer(len);
      whole.appendBytes(b, off, len);
      send(whole);
      return;
    }
    while (len > 0) {
      if (filled == CHUNK) {
        flushChunk();
      }
      int n = Math.min(len, CHUNK - filled);
      System.arraycopy(b, off, buffer, filled, n);
      filled += n;
      off += n;
      len -= n;
    }
  }

  @Override
  public void flush() throws IOException {
    flushChunk();
  }

  private void flushChunk() throws IOException {
    if (filled == 0) {
      return;
    }
    if (closedByClient) {
      throw new IOException("the client closed the connection");
    }
    Buffer chunk = Buffer.buffer(filled);
    chunk.appendBytes(buffer, 0, filled);
    filled = 0;
    send(chunk);
  }

  private void send(Buffer chunk) throws IOException {
    if (closedByClient) {
      throw new IOException("the client closed the connection");
    }
    CountDownLatch drained = new CountDownLatch(1);
    response.write(chunk);
    if (response.writeQueueFull()) {
      waiting = drained;
      response.drainHandler(v -> drained.countDown());
      if (!response.writeQueueFull()) { // drained between the check and the handler
        drained.countDown();
      }
      try {
        if (!drained.await(DRAIN_WAIT_SECONDS, TimeUnit.SECONDS)) {
          throw new IOException("the client read nothing for " + DRAIN_WAIT_SECONDS + " s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while the client was slow to read");
      }
    }
  }

  /** Sends what is left; the caller ends the response. */
  @Override
  public void close() throws IOException {
    flushChunk();
  }
}
