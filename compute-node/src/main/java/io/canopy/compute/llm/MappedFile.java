package io.canopy.compute.llm;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only memory map of a whole file of any size. A single {@link MappedByteBuffer} is limited
 * to 2 GiB, so the file is mapped lazily in {@link #SEGMENT_BYTES} segments; every read is checked
 * against the file size and fails with {@link GgufFormatException} instead of an index error.
 * Tensor data is mapped separately, in row-aligned chunks, by {@link #mapRegion}.
 */
final class MappedFile implements Closeable {
  static final int SEGMENT_SHIFT = 30;
  static final long SEGMENT_BYTES = 1L << SEGMENT_SHIFT;

  private final Path path;
  private final FileChannel channel;
  private final long size;
  private final MappedByteBuffer[] segments;

  MappedFile(Path path) throws IOException {
    this.path = path;
    this.channel = FileChannel.open(path, StandardOpenOption.READ);
    this.size = channel.size();
    this.segments = new MappedByteBuffer[(int) ((size + SEGMENT_BYTES - 1) >>> SEGMENT_SHIFT)];
  }

  Path path() {
    return path;
  }

  long size() {
    return size;
  }

  private ByteBuffer segment(int index) throws IOException {
    MappedByteBuffer s = segments[index];
    if (s == null) {
      long start = (long) index << SEGMENT_SHIFT;
      s = channel.map(FileChannel.MapMode.READ_ONLY, start, Math.min(SEGMENT_BYTES, size - start));
      segments[index] = s;
    }
    return s;
  }

  void require(long position, long length, String what) throws GgufFormatException {
    if (position < 0 || length < 0 || position > size || length > size - position) {
      throw new GgufFormatException("truncated or corrupt file: " + what + " needs " + length + " bytes at offset "
          + position + " but the file has " + size + " bytes");
    }
  }

  int u8(long position) throws IOException {
    require(position, 1, "byte");
    return segment((int) (position >>> SEGMENT_SHIFT)).get((int) (position & (SEGMENT_BYTES - 1))) & 0xFF;
  }

  /** Little-endian unsigned read of {@code n <= 8} bytes, safe across segment boundaries. */
  long le(long position, int n, String what) throws IOException {
    require(position, n, what);
    long v = 0;
    for (int i = 0; i < n; i++) {
      long p = position + i;
      int b = segment((int) (p >>> SEGMENT_SHIFT)).get((int) (p & (SEGMENT_BYTES - 1))) & 0xFF;
      v |= (long) b << (8 * i);
    }
    return v;
  }

  byte[] bytes(long position, int length, String what) throws IOException {
    require(position, length, what);
    byte[] out = new byte[length];
    int done = 0;
    while (done < length) {
      long p = position + done;
      ByteBuffer seg = segment((int) (p >>> SEGMENT_SHIFT));
      int off = (int) (p & (SEGMENT_BYTES - 1));
      int n = Math.min(length - done, seg.limit() - off);
      seg.get(off, out, done, n);
      done += n;
    }
    return out;
  }

  /** A fresh little-endian mapping of {@code [position, position + length)}; length at most 2 GiB - 1. */
  ByteBuffer mapRegion(long position, int length) throws IOException {
    require(position, length, "tensor data");
    return channel.map(FileChannel.MapMode.READ_ONLY, position, length).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
