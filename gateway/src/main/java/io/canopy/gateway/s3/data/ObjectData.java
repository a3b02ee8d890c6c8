package io.canopy.gateway.s3.data;

import io.canopy.content.block.Blockstore;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import io.canopy.multiformats.Cid;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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
