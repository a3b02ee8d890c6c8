package io.canopy.gateway.s3.data;

import io.canopy.content.block.Blockstore;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.importer.DagLink;
import io.canopy.content.importer.FileLeaves;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.content.importer.Layout;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * The data plane of S3 objects: an object's bytes become a UnixFS DAG in the node's blockstore
 * (the CID Kubo's {@code ipfs add} gives, so the object is readable at {@code /ipfs/CID}), with
 * the MD5 S3 uses as ETag computed on the way in, in one pass and bounded memory. Reads stream
 * any byte range back out of the DAG.
 */
public final class ObjectData {
  /**
   * An object's stored form: its root CID, its size, the hex MD5 of its bytes, and the bytes its
   * DAG's blocks take (what a storage deal for it is sized by).
   */
  public record Stored(Cid cid, long size, String md5Hex, long dagBytes) {}

  /** {@code length} bytes from {@code offset} of the stored file {@code cid}. */
  public record Segment(Cid cid, long offset, long length) {
    public Segment {
      if (offset < 0 || length < 0) {
        throw new IllegalArgumentException("segment " + offset + "+" + length);
      }
    }
  }

  /** Bytes read from stored files at a time while importing them anew. */
  static final int SLICE = 1 << 20;

  private final Blockstore blocks;
  private final ImportOptions options;

  public ObjectData(Blockstore blocks) {
    this(blocks, ImportOptions.defaults());
  }

  public ObjectData(Blockstore blocks, ImportOptions options) {
    this.blocks = blocks;
    this.options = options;
  }

  /**
   * Imports {@code body} and makes its blocks durable before returning: a PUT is acknowledged
   * only once the bytes survive a crash. {@code maxBytes} bounds what a client may send.
   */
  public Stored put(InputStream body, long maxBytes) throws IOException {
    CountingMd5 in = new CountingMd5(body, maxBytes);
    LongAdder dagBytes = new LongAdder();
    Cid cid = new Importer(block -> {
      blocks.put(block);
      dagBytes.add(block.data().length);
    }, options).importFile(in).cid();
    blocks.sync();
    return new Stored(cid, in.count, HexFormat.of().formatHex(in.md5.digest()), dagBytes.sum());
  }

  /**
   * Imports segments of stored files, laid end to end, as one new file (an UploadPartCopy's
   * range, a multipart object whose parts do not fall on chunk boundaries). Bounded memory: one
   * slice of {@link #SLICE} bytes is read at a time.
   */
  public Stored importSegments(List<Segment> segments, long maxBytes) throws IOException {
    try (InputStream in = new SegmentsInputStream(segments)) {
      return put(in, maxBytes);
    }
  }

  /**
   * The file made of whole stored files (the parts of a multipart upload) in order, with the CID
   * importing their concatenated bytes gives: joined from the parts' leaves when they line up on
   * chunk boundaries ({@link #joinLeaves}), else imported anew. The MD5 is null when joined.
   */
  public Stored concatenate(List<Cid> parts, List<Long> sizes) throws IOException {
    Optional<Stored> joined = joinLeaves(parts, sizes);
    if (joined.isPresent()) {
      return joined.get();
    }
    long total = sizes.stream().mapToLong(Long::longValue).sum();
    List<Segment> segments = new ArrayList<>(parts.size());
    for (int i = 0; i < parts.size(); i++) {
      segments.add(new Segment(parts.get(i), 0, sizes.get(i)));
    }
    Stored stored = importSegments(segments, Long.MAX_VALUE);
    if (stored.size() != total) {
      throw new IOException("the parts gave " + stored.size() + " bytes, not " + total);
    }
    return stored;
  }

  /**
   * The balanced DAG of the parts' bytes laid end to end, built from the parts' leaves without
   * reading their bytes: only the parts' inner nodes are read and only the new inner nodes are
   * written. That is the DAG importing the whole file gives exactly when the concatenation's leaves
   * are the parts' leaves, so this applies only when every part but the last holds a whole number
   * of chunks, no part is empty, and every leaf is of the kind these import options make. Empty
   * when it does not apply; then the bytes must be imported anew. The MD5 is null (not read).
   */
  public Optional<Stored> joinLeaves(List<Cid> parts, List<Long> sizes) throws IOException {
    if (parts.isEmpty() || parts.size() != sizes.size() || options.layout() != Layout.BALANCED) {
      return Optional.empty();
    }
    long total = 0;
    for (int i = 0; i < sizes.size(); i++) {
      long size = sizes.get(i);
      if (size <= 0 || (i < sizes.size() - 1 && size % options.chunkSize() != 0)) {
        return Optional.empty();
      }
      total += size;
    }
    ImportResult joined;
    try {
      joined = new Importer(blocks::put, options).importLeaves(new PartLeaves(parts, sizes));
    } catch (NotJoinable e) {
      return Optional.empty();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    blocks.sync();
    return Optional.of(new Stored(joined.cid(), total, null, joined.size()));
  }

  /** A part whose leaves are not the whole file's chunks (another chunker, leaf format or size). */
  private static final class NotJoinable extends RuntimeException {
    NotJoinable(String message) {
      super(message, null, false, false);
    }
  }

  /** The leaves of the parts in order, one part's at a time, each checked against the options. */
  private final class PartLeaves implements Iterator<DagLink> {
    private final List<Cid> parts;
    private final List<Long> sizes;
    private int part;
    private Iterator<DagLink> current = Collections.emptyIterator();

    PartLeaves(List<Cid> parts, List<Long> sizes) {
      this.parts = parts;
      this.sizes = sizes;
    }

    @Override
    public boolean hasNext() {
      while (!current.hasNext() && part < parts.size()) {
        current = leavesOf(part++).iterator();
      }
      return current.hasNext();
    }

    @Override
    public DagLink next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return current.next();
    }

    private List<DagLink> leavesOf(int index) {
      Cid root = parts.get(index);
      List<DagLink> leaves;
      try {
        leaves = FileLeaves.of(blocks, root);
      } catch (FileLeaves.NotAFile e) {
        throw new NotJoinable(e.getMessage());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      boolean lastPart = index == parts.size() - 1;
      long total = 0;
      for (int i = 0; i < leaves.size(); i++) {
        DagLink leaf = leaves.get(i);
        Cid cid = leaf.cid();
        boolean kind = options.rawLeaves()
            ? cid.codec() == Multicodec.RAW.code()
            : cid.codec() == Multicodec.DAG_PB.code() && cid.version() == options.cidVersion();
        boolean full = leaf.fileSize() == options.chunkSize() || (lastPart && i == leaves.size() - 1);
        if (!kind || !full || cid.multihash().code() != options.hash().code()) {
          throw new NotJoinable("part " + root + " has a leaf " + cid + " of " + leaf.fileSize() + " bytes");
        }
        total += leaf.fileSize();
      }
      if (total != sizes.get(index)) {
        throw new NotJoinable("part " + root + " holds " + total + " bytes, not " + sizes.get(index));
      }
      return leaves;
    }
  }

  /** The bytes of several segments in order, read from their DAGs one slice at a time. */
  private final class SegmentsInputStream extends InputStream {
    private final List<Segment> segments;
    private int segment;
    private long done;
    private byte[] slice = new byte[0];
    private int position;

    SegmentsInputStream(List<Segment> segments) {
      this.segments = segments;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (position >= slice.length) {
        if (segment >= segments.size()) {
          return -1;
        }
        Segment s = segments.get(segment);
        long n = Math.min(SLICE, s.length() - done);
        if (n <= 0) {
          segment++;
          done = 0;
          continue;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) n);
        ObjectData.this.read(s.cid(), s.offset() + done, n, out);
        slice = out.toByteArray();
        position = 0;
        done += n;
        if (slice.length != n) {
          throw new IOException(s.cid() + " gave " + slice.length + " bytes at " + (s.offset() + done - n) + ", not " + n);
        }
      }
      int n = Math.min(len, slice.length - position);
      System.arraycopy(slice, position, b, off, n);
      position += n;
      return n;
    }
  }

  /** Writes {@code length} bytes from {@code offset} ({@code length < 0}: to the end). */
  public void read(Cid cid, long offset, long length, OutputStream out) throws IOException {
    new Exporter(blocks).cat(cid, offset, length, out);
  }

  public long size(Cid cid) throws IOException {
    return new Exporter(blocks).fileSize(cid);
  }

  /** Thrown when a body is larger than the caller allows (S3's EntityTooLarge). */
  public static final class TooLarge extends IOException {
    public TooLarge(long max) {
      super("the body is larger than " + max + " bytes");
    }
  }

  private static final class CountingMd5 extends FilterInputStream {
    final MessageDigest md5;
    final long max;
    long count;

    CountingMd5(InputStream in, long max) {
      super(in);
      this.max = max;
      try {
        this.md5 = MessageDigest.getInstance("MD5");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JDK has MD5", e);
      }
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        md5.update((byte) b);
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        md5.update(b, off, n);
        counted(n);
      }
      return n;
    }

    private void counted(int n) throws TooLarge {
      count += n;
      if (count > max) {
        throw new TooLarge(max);
      }
    }
  }
}
