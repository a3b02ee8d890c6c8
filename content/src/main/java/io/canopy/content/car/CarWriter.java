package io.canopy.content.car;

import io.canopy.content.block.Block;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Varint;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Writes a CARv1 stream (ipld.io/specs/transport/car/carv1): {@code varint(len) header}, then one
 * section per block, {@code varint(len(cid) + len(data)) cid data}. Writes go straight to the
 * stream (nothing is buffered here), which stays the caller's to flush and close.
 */
public final class CarWriter implements Flushable {
  private final OutputStream out;
  private long blocksWritten;

  private CarWriter(OutputStream out) {
    this.out = out;
  }

  /**
   * Writes the header naming {@code roots} and returns a writer for the blocks. At least one root is
   * required: go-car, and so Kubo, refuse a CAR without roots.
   */
  public static CarWriter open(OutputStream out, List<Cid> roots) throws IOException {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("a CAR needs at least one root");
    }
    byte[] header = new CarHeader(roots).encode();
    out.write(Varint.encode(header.length));
    out.write(header);
    return new CarWriter(out);
  }

  public void write(Block block) throws IOException {
    write(block.cid(), block.data());
  }

  /** Appends one section. The caller vouches that {@code data} hashes to {@code cid}. */
  public void write(Cid cid, byte[] data) throws IOException {
    byte[] cidBytes = cid.toBytes();
    long sectionLength = (long) cidBytes.length + data.length;
    byte[] prefix = new byte[Varint.size(sectionLength) + cidBytes.length];
    int offset = Varint.write(sectionLength, prefix, 0);
    System.arraycopy(cidBytes, 0, prefix, offset, cidBytes.length);
    out.write(prefix);
    out.write(data);
    blocksWritten++;
  }

  public long blocksWritten() {
    return blocksWritten;
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }
}
