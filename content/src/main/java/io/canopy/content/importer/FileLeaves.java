package io.canopy.content.importer;

import io.canopy.content.block.Blockstore;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The leaves of a stored UnixFS file, in file order, as links (CID, Tsize, content size), found by
 * reading only the inner nodes: a child is a leaf when it is a raw block or when its stored size
 * is the whole of its link's Tsize (an inner node's Tsize also counts its children). With {@link
 * Importer#importLeaves} this joins files end to end without reading their bytes.
 */
public final class FileLeaves {
  private FileLeaves() {}

  /** Thrown when a DAG is not a UnixFS file of the expected shape. */
  public static final class NotAFile extends IOException {
    public NotAFile(String message) {
      super(message);
    }
  }

  /** The leaves of the file rooted at {@code root}; a one-block file is its own single leaf. */
  public static List<DagLink> of(Blockstore store, Cid root) throws IOException {
    byte[] block = store.getVerified(root);
    if (root.codec() == Multicodec.RAW.code()) {
      return List.of(new DagLink(root, block.length, block.length));
    }
    PbNode node = pbNode(root, block);
    UnixFsData data = fileData(root, node);
    if (node.links().isEmpty()) {
      return List.of(new DagLink(root, block.length, data.dataOrEmpty().length));
    }
    List<DagLink> out = new ArrayList<>();
    collect(store, root, node, data, out);
    return out;
  }

  private static void collect(Blockstore store, Cid cid, PbNode node, UnixFsData data, List<DagLink> out)
      throws IOException {
    if (data.blockSizes().size() != node.links().size()) {
      throw new NotAFile(cid + " has " + node.links().size() + " links but " + data.blockSizes().size() + " blocksizes");
    }
    if (data.data() != null && data.data().length > 0) {
      throw new NotAFile(cid + " holds content bytes next to its links");
    }
    for (int i = 0; i < node.links().size(); i++) {
      PbLink link = node.links().get(i);
      Cid child = link.hash();
      long fileSize = data.blockSizes().get(i);
      if (child.codec() == Multicodec.RAW.code() || store.size(child) == link.tsizeOrZero()) {
        out.add(new DagLink(child, link.tsizeOrZero(), fileSize));
        continue;
      }
      if (child.codec() != Multicodec.DAG_PB.code()) {
        throw new NotAFile(child + " is neither raw nor DAG-PB");
      }
      PbNode inner = pbNode(child, store.getVerified(child));
      UnixFsData innerData = fileData(child, inner);
      if (inner.links().isEmpty()) {
        throw new NotAFile(child + " is a leaf whose link's Tsize is not its size");
      }
      collect(store, child, inner, innerData, out);
    }
  }

  private static PbNode pbNode(Cid cid, byte[] block) throws NotAFile {
    if (cid.codec() != Multicodec.DAG_PB.code()) {
      throw new NotAFile(cid + " is neither raw nor DAG-PB");
    }
    try {
      return DagPb.decode(block);
    } catch (IllegalArgumentException e) {
      throw new NotAFile(cid + " is not DAG-PB: " + e.getMessage());
    }
  }

  private static UnixFsData fileData(Cid cid, PbNode node) throws NotAFile {
    UnixFsData data;
    try {
      data = UnixFsData.decode(node.data());
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new NotAFile(cid + " has no UnixFS data: " + e.getMessage());
    }
    if (data.type() != UnixFsType.FILE && data.type() != UnixFsType.RAW) {
      throw new NotAFile(cid + " is a UnixFS " + data.type() + ", not a file");
    }
    return data;
  }
}
