package io.canopy.content;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adds a file far larger than the heap into an on-disk blockstore and reads it back, in a JVM whose
 * heap is 256 MiB (surefire's "bounded-heap" execution): the importer and exporter must stream. The
 * content is generated and checked on the fly, so the test itself holds no more than a chunk either.
 *
 * <p>{@code mvn verify} adds 2 GiB + 64 MiB: over 8 times the heap, and past
 * {@code Integer.MAX_VALUE}, so a size or offset kept in an int still fails (the tail read starts
 * beyond 2^31). Every block is fdatasynced, so the time goes with the size; the full-size run
 * (README, "Tests") is {@code -Dcanopy.bigFileBytes=4294967296} (4 GiB, which also passes 2^32).
 */
@Tag("bounded-heap")
class LargeFileBoundedHeapTest {
  private static final long SIZE = Long.getLong("canopy.bigFileBytes", (2L << 30) + (64L << 20));
  private static final long SEED = 2026;

  @Test
  void addAndCatAFileMuchLargerThanTheHeap(@TempDir Path home) throws IOException {
    assertThat(Runtime.getRuntime().maxMemory()).as("this test must run with a small heap").isLessThanOrEqualTo(300L << 20);
    FileBlockstore store = FileBlockstore.open(home.resolve("blocks"));

    ImportResult added = new Importer(store::put, ImportOptions.defaults()).importFile(new Generated(SIZE));
    assertThat(added.fileSize()).isEqualTo(SIZE);

    Checked out = new Checked();
    new Exporter(store).cat(added.cid(), 0, -1, out);
    assertThat(out.count).isEqualTo(SIZE);

    Checked tail = new Checked();
    tail.skipTo(SIZE - 1_000_000);
    new Exporter(store).cat(added.cid(), SIZE - 1_000_000, -1, tail);
    assertThat(tail.count).isEqualTo(SIZE);
  }

  /**
   * SIZE pseudo-random bytes from a fixed seed, produced as they are read. Byte i is byte i % 8 of
   * the SplitMix64 mix of word i / 8, so any offset can be reached at once ({@link #seek}) instead
   * of by generating every byte before it.
   */
  private static final class Generated extends InputStream {
    private final long size;
    private long pos;
    private long word;

    Generated(long size) {
      this.size = size;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - pos);
      for (int i = 0; i < n; i++) {
        b[off + i] = next();
      }
      return n;
    }

    void seek(long offset) {
      pos = offset;
      word = wordAt(offset >>> 3);
    }

    byte next() {
      if ((pos & 7) == 0) {
        word = wordAt(pos >>> 3);
      }
      byte v = (byte) (word >>> (8 * (pos & 7)));
      pos++;
      return v;
    }

    /** SplitMix64's output function on the index-th step from SEED. */
    private static long wordAt(long index) {
      long z = SEED + (index + 1) * 0x9E3779B97F4A7C15L;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }
  }

  /** Compares every byte written with the generator's byte at the same offset. */
  private static final class Checked extends OutputStream {
    private final Generated expected = new Generated(Long.MAX_VALUE);
    long count;

    void skipTo(long offset) {
      expected.seek(offset);
      count = offset;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      for (int i = 0; i < len; i++) {
        if (b[off + i] != expected.next()) {
          throw new AssertionError("byte " + (count + i) + " differs from what was added");
        }
      }
      count += len;
    }
  }
}
