package io.canopy.content.exporter;

import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.content.unixfs.UnixFsException;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.util.List;

/**
 * A decoded block seen as UnixFS: a raw block is file bytes; a DAG-PB block carries UnixFS Data.
 * {@code unixfs} is null for raw blocks.
 */
record UnixFsNode(Cid cid, byte[] rawBytes, List<PbLink> links, UnixFsData unixfs) {

  static UnixFsNode decode(Cid cid, byte[] block) {
    if (cid.codec() == Multicodec.RAW.code()) {
      return new UnixFsNode(cid, block, List.of(), null);
    }
    if (cid.codec() != Multicodec.DAG_PB.code()) {
      throw new UnixFsException(cid + " is " + Multicodec.describe(cid.codec()) + ", not UnixFS (dag-pb or raw)");
    }
    PbNode node = DagPb.decode(block);
    UnixFsData data;
    try {
      data = UnixFsData.decode(node.data());
    } catch (UnixFsException e) {
      throw new UnixFsException(cid + " is not a UnixFS node: " + e.getMessage());
    }
    return new UnixFsNode(cid, null, node.links(), data);
  }

  /** File, Raw (trickle leaves) or a raw block. */
  boolean isFile() {
    return unixfs == null || unixfs.type().isFileData();
  }

  boolean isDirectory() {
    return unixfs != null && unixfs.type().isDirectory();
  }

  UnixFsType type() {
    return unixfs == null ? UnixFsType.RAW : unixfs.type();
  }

  /** Bytes of file content this node stands for. */
  long fileSize() {
    if (unixfs == null) {
      return rawBytes.length;
    }
    if (unixfs.fileSize() != null) {
      return unixfs.fileSize();
    }
    long size = unixfs.dataOrEmpty().length;
    for (long b : unixfs.blockSizes()) {
      size += b;
    }
    return size;
  }

  /** The content bytes held inline in this node (all of a leaf; usually none for an inner node). */
  byte[] inlineData() {
    return unixfs == null ? rawBytes : unixfs.dataOrEmpty();
  }
}
