package io.canopy.content.importer;

import io.canopy.content.unixfs.UnixFsType;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;

/**
 * Cuts a stream into fixed-size chunks (Kubo's {@code size-N} chunker: full chunks, the last one
 * short) and turns each into a leaf on worker threads, so hashing and block writes of several
 * leaves overlap. At most {@code window} chunks are in flight, which bounds memory however large
 * the file is. Leaves come out in file order.
 */
final class LeafStream implements AutoCloseable {
  /**
   * Daemon workers shared by all imports. A leaf is hashed (CPU) and then written with an fsync
   * (waiting on the disk); many more threads than cores let the fsyncs of different blocks
   * overlap, which the file system commits together, while hashing still fills every core.
   */
  private static final ExecutorService WORKERS =
      Executors.newFixedThreadPool(
          Math.max(16, 2 * Runtime.getRuntime().availableProcessors()),
          r -> {
            Thread t = new Thread(r, "canopy-import");
            t.setDaemon(true);
            return t;
          });

  private final InputStream in;
  private final int chunkSize;
  private final NodeWriter writer;
  private final UnixFsType leafType;
  private final int window;
  private final LongConsumer progress;
  private final ArrayDeque<Future<DagLink>> inFlight = new ArrayDeque<>();
  private boolean eof;

  LeafStream(InputStream in, ImportOptions options, NodeWriter writer, UnixFsType leafType, LongConsumer progress) {
    this.in = in;
    this.chunkSize = options.chunkSize();
    this.writer = writer;
    this.leafType = leafType;
    this.progress = progress;
    // Enough chunks to keep every worker busy, and no more than ~16 MiB of them held at once.
    this.window = Math.max(2, Math.min(64, (16 << 20) / chunkSize));
  }

  boolean hasNext() throws IOException {
    fill();
    return !inFlight.isEmpty();
  }

  DagLink next() throws IOException {
    fill();
    Future<DagLink> head = inFlight.poll();
    if (head == null) {
      throw new IllegalStateException("no more leaves");
    }
    try {
      return head.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("import interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof UncheckedIOException uio) {
        throw uio.getCause();
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException(cause);
    }
  }

  private void fill() throws IOException {
    while (!eof && inFlight.size() < window) {
      byte[] chunk = readChunk();
      if (chunk.length < chunkSize) {
        eof = true;
        if (chunk.length == 0) {
          break;
        }
      }
      progress.accept(chunk.length);
      inFlight.add(WORKERS.submit(() -> writer.leaf(chunk, leafType)));
    }
  }

  /** A full chunk, or what is left before the end; read straight into the chunk's own array. */
  private byte[] readChunk() throws IOException {
    byte[] chunk = new byte[chunkSize];
    int n = in.readNBytes(chunk, 0, chunkSize);
    return n == chunkSize ? chunk : Arrays.copyOf(chunk, n);
  }

  /** Waits for leaves still being written, so a failed import leaves no writer running. */
  @Override
  public void close() {
    for (Future<DagLink> f : inFlight) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException ignored) {
        // the import already failed; the first error is the one reported
      }
    }
    inFlight.clear();
  }
}
