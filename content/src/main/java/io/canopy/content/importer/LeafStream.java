package io.canopy.content.importer;

import io.canopy.content.Futures;
import io.canopy.content.unixfs.UnixFsType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongConsumer;

/**
 * Cuts a stream into fixed-size chunks (Kubo's {@code size-N} chunker: full chunks, the last one
 * short) and turns each into a leaf off the reading thread: hashed on one pool, stored on another,
 * so that every core hashes while block writes wait on the disk. At most {@code window} chunks
 * are in flight and their buffers are reused, which bounds memory however large the file is.
 * Leaves come out in file order.
 */
final class LeafStream implements AutoCloseable {
  /** Hashing is CPU-bound: one thread per core (more only slows a cold JVM down). */
  private static final ExecutorService HASHERS = daemonPool(Runtime.getRuntime().availableProcessors(), "canopy-hash");
  /**
   * A block write ends with an fsync that waits on the disk; many writes in flight let the file
   * system commit their fsyncs together.
   */
  private static final ExecutorService WRITERS = daemonPool(16, "canopy-write");

  private final InputStream in;
  private final int chunkSize;
  private final NodeWriter writer;
  private final UnixFsType leafType;
  private final int window;
  private final LongConsumer progress;
  private final ArrayDeque<CompletableFuture<DagLink>> inFlight = new ArrayDeque<>();
  /** Chunk buffers whose leaves are stored, ready for the next chunks. */
  private final ArrayDeque<byte[]> free = new ArrayDeque<>();
  private boolean eof;

  LeafStream(InputStream in, ImportOptions options, NodeWriter writer, UnixFsType leafType, LongConsumer progress) {
    this.in = in;
    this.chunkSize = options.chunkSize();
    this.writer = writer;
    this.leafType = leafType;
    this.progress = progress;
    // Enough chunks to keep every thread busy, and no more than ~16 MiB of them held at once.
    this.window = Math.max(2, Math.min(64, (16 << 20) / chunkSize));
  }

  private static ExecutorService daemonPool(int threads, String name) {
    return Executors.newFixedThreadPool(
        Math.max(1, threads),
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  boolean hasNext() throws IOException {
    fill();
    return !inFlight.isEmpty();
  }

  DagLink next() throws IOException {
    fill();
    CompletableFuture<DagLink> head = inFlight.poll();
    if (head == null) {
      throw new IllegalStateException("no more leaves");
    }
    return Futures.await(head);
  }

  private void fill() throws IOException {
    while (!eof && inFlight.size() < window) {
      byte[] buffer = takeBuffer();
      int n = in.readNBytes(buffer, 0, chunkSize);
      if (n < chunkSize) {
        eof = true;
        if (n == 0) {
          release(buffer);
          break;
        }
      }
      progress.accept(n);
      // A short last chunk gets an array of its own size: block bytes are the whole array.
      byte[] chunk = n == chunkSize ? buffer : Arrays.copyOf(buffer, n);
      if (chunk != buffer) {
        release(buffer);
      }
      inFlight.add(
          CompletableFuture.supplyAsync(() -> writer.encodeLeaf(chunk, leafType), HASHERS)
              .thenApplyAsync(leaf -> store(leaf, chunk), WRITERS));
    }
  }

  private DagLink store(NodeWriter.Leaf leaf, byte[] chunk) {
    try {
      writer.store(leaf.block());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (chunk.length == chunkSize) {
        release(chunk); // the sink has the bytes (BlockSink: blocks are not kept after put)
      }
    }
    return leaf.link();
  }

  private byte[] takeBuffer() {
    synchronized (free) {
      byte[] b = free.poll();
      return b != null ? b : new byte[chunkSize];
    }
  }

  private void release(byte[] buffer) {
    synchronized (free) {
      if (free.size() < window) {
        free.add(buffer);
      }
    }
  }

  /** Waits for leaves still being written, so a failed import leaves no writer running. */
  @Override
  public void close() {
    for (CompletableFuture<DagLink> f : inFlight) {
      try {
        f.join();
      } catch (CompletionException | java.util.concurrent.CancellationException ignored) {
        // the import already failed; the first error is the one reported
      }
    }
    inFlight.clear();
  }
}
