package io.canopy.content.importer;

import io.canopy.content.block.Block;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.content.unixfs.UnixTime;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Varint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes the blocks of a UnixFS file the way go-unixfs does and hands them to the sink. Thread
 * safe: leaves are encoded on worker threads.
 */
final class NodeWriter {
  private final ImportOptions options;
  private final BlockSink sink;

  NodeWriter(ImportOptions options, BlockSink sink) {
    this.options = options;
    this.sink = sink;
  }

  /**
   * A leaf holding one chunk: a raw block (always CIDv1, since raw cannot be v0), or a DAG-PB node
   * whose UnixFS type is File for the balanced layout and Raw for trickle, as go-unixfs writes.
   */
  DagLink leaf(byte[] chunk, UnixFsType leafType) throws IOException {
    Leaf leaf = encodeLeaf(chunk, leafType);
    sink.put(leaf.block());
    return leaf.link();
  }

  /** A leaf's block, made and hashed but not yet stored, and the link to it. */
  record Leaf(Block block, DagLink link) {}

  /** The CPU half of {@link #leaf}; {@link #store} is the I/O half. */
  Leaf encodeLeaf(byte[] chunk, UnixFsType leafType) {
    if (options.rawLeaves()) {
      Block block = Block.of(1, Multicodec.RAW, options.hash(), chunk);
      return new Leaf(block, new DagLink(block.cid(), chunk.length, chunk.length));
    }
    byte[] bytes = leafNode(leafType, chunk);
    Block block = Block.of(options.cidVersion(), Multicodec.DAG_PB, options.hash(), bytes);
    return new Leaf(block, new DagLink(block.cid(), bytes.length, chunk.length));
  }

  void store(Block block) throws IOException {
    sink.put(block);
  }

  /**
   * The bytes of {@code PBNode{Data: UnixFS{Type, Data: chunk, filesize}}} in one pass: the same
   * bytes DagPb and UnixFsData would produce, without copying a chunk through both.
   */
  static byte[] leafNode(UnixFsType type, byte[] chunk) {
    int n = chunk.length;
    int unixfs = 2 + (n == 0 ? 0 : 1 + Varint.size(n) + n) + 1 + Varint.size(n);
    byte[] out = new byte[1 + Varint.size(unixfs) + unixfs];
    int pos = 0;
    out[pos++] = 0x0a; // PBNode.Data, bytes
    pos = Varint.write(unixfs, out, pos);
    out[pos++] = 0x08; // Data.Type, varint
    out[pos++] = (byte) type.wire();
    if (n > 0) {
      out[pos++] = 0x12; // Data.Data, bytes
      pos = Varint.write(n, out, pos);
      System.arraycopy(chunk, 0, out, pos, n);
      pos += n;
    }
    out[pos++] = 0x18; // Data.filesize, varint
    Varint.write(n, out, pos);
    return out;
  }

  /** A File node over {@code children}, optionally carrying the file's mode and mtime. */
  DagLink file(List<DagLink> children, Integer mode, UnixTime mtime) throws IOException {
    List<Long> blockSizes = new ArrayList<>(children.size());
    List<PbLink> links = new ArrayList<>(children.size());
    long fileSize = 0;
    for (DagLink child : children) {
      blockSizes.add(child.fileSize());
      links.add(PbLink.of(child.cid(), "", child.tsize()));
      fileSize += child.fileSize();
    }
    UnixFsData data = UnixFsData.file(null, fileSize, blockSizes).withMetadata(mode, mtime);
    return dagPb(data, links, fileSize);
  }

  /** A single-chunk file whose metadata needs a UnixFS node even when leaves are raw. */
  DagLink fileWithData(byte[] chunk, Integer mode, UnixTime mtime) throws IOException {
    UnixFsData data = UnixFsData.file(chunk, chunk.length, List.of()).withMetadata(mode, mtime);
    return dagPb(data, List.of(), chunk.length);
  }

  DagLink dagPb(UnixFsData data, List<PbLink> links, long fileSize) throws IOException {
    byte[] bytes = DagPb.encode(PbNode.of(data.encode(), links));
    Block block = Block.of(options.cidVersion(), Multicodec.DAG_PB, options.hash(), bytes);
    sink.put(block);
    long tsize = bytes.length;
    for (PbLink link : links) {
      tsize += link.tsizeOrZero();
    }
    return new DagLink(block.cid(), tsize, fileSize);
  }
}
