package io.canopy.storage.poa;

import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.poa.Proof;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The root→leaf path of one byte offset of a UnixFS file (spec/proofs.md §5.4.1), walked the way
 * the Exporter seeks: at each DAG-PB File node, skip the inline data, then follow the child whose
 * {@code blocksizes} range holds the offset; a raw block or a node without links is the leaf.
 * The prover walks its local blockstore; the verifier walks the proof's blocks. Every node's
 * size is checked against what its parent says, so a path can only end at the leaf that really
 * holds the offset.
 */
public final class LeafPath {
  /** A block by CID; null when absent. */
  @FunctionalInterface
  public interface BlockSource {
    byte[] get(Cid cid) throws IOException;
  }

  /** A path that cannot be walked, with the reason and the block where it stopped. */
  public static final class PathException extends Exception {
    private final ProofFailure failure;

    public PathException(ProofFailure failure, String message) {
      super(failure + ": " + message);
      this.failure = failure;
    }

    public ProofFailure failure() {
      return failure;
    }
  }

  /** A block's content as the walk needs it, decoded and checked once per proof. */
  private record Node(boolean raw, int inline, List<PbLink> links, List<Long> sizes, long total) {}

  private final Cid root;
  private final long fileSize;
  private final BlockSource source;
  private final Map<Cid, Node> decoded = new HashMap<>();

  /** Walks under {@code root}, a file of {@code fileSize} bytes; decoded nodes are reused across offsets. */
  public LeafPath(Cid root, long fileSize, BlockSource source) {
    this.root = root;
    this.fileSize = fileSize;
    this.source = source;
  }

  /** {@code new LeafPath(root, fileSize, source).to(offset)}. */
  public static List<Cid> walk(Cid root, long fileSize, long offset, BlockSource source) throws PathException, IOException {
    return new LeafPath(root, fileSize, source).to(offset);
  }

  /**
   * The CIDs from the root to the leaf holding byte {@code offset} of the file, in order. With
   * {@code offset < 0}, only the root is visited and checked (an empty file's proof).
   */
  public List<Cid> to(long offset) throws PathException, IOException {
    List<Cid> path = new ArrayList<>();
    Cid cid = root;
    long expected = fileSize;
    long at = offset;
    for (int depth = 0; ; depth++) {
      if (depth > Proof.MAX_DEPTH) {
        throw new PathException(ProofFailure.BAD_PATH, "path deeper than " + Proof.MAX_DEPTH + " levels");
      }
      Node node = node(cid, depth);
      path.add(cid);
      checkSize(cid, depth, node.total(), expected);
      if (node.raw() || at < 0 || at < node.inline()) {
        return path; // a raw block is all content; else the offset is in this node's own data (or only the root was asked for)
      }
      long pos = node.inline();
      int child = -1;
      for (int i = 0; i < node.links().size(); i++) {
        if (at < pos + node.sizes().get(i)) {
          child = i;
          break;
        }
        pos += node.sizes().get(i);
      }
      if (child < 0) {
        throw new PathException(ProofFailure.BAD_PATH, "offset " + at + " is past the end of " + cid);
      }
      cid = node.links().get(child).hash();
      expected = node.sizes().get(child);
      at -= pos;
    }
  }

  private Node node(Cid cid, int depth) throws PathException, IOException {
    Node cached = decoded.get(cid);
    if (cached != null) {
      return cached;
    }
    byte[] block = source.get(cid);
    if (block == null) {
      throw new PathException(ProofFailure.MISSING_BLOCK, cid + " (depth " + depth + ")");
    }
    Node node = decode(cid, depth, block);
    decoded.put(cid, node);
    return node;
  }

  private static Node decode(Cid cid, int depth, byte[] block) throws PathException {
    if (cid.codec() == Multicodec.RAW.code()) {
      return new Node(true, block.length, List.of(), List.of(), block.length);
    }
    if (cid.codec() != Multicodec.DAG_PB.code()) {
      throw new PathException(depth == 0 ? ProofFailure.UNSUPPORTED_ROOT : ProofFailure.BAD_PATH,
          cid + " is " + Multicodec.describe(cid.codec()) + ", not UnixFS");
    }
    PbNode node;
    UnixFsData data;
    try {
      node = DagPb.decode(block);
      data = UnixFsData.decode(node.data());
    } catch (RuntimeException e) {
      throw new PathException(ProofFailure.BAD_PATH, cid + " is not a UnixFS node: " + e.getMessage());
    }
    if (!data.type().isFileData()) {
      throw new PathException(depth == 0 ? ProofFailure.UNSUPPORTED_ROOT : ProofFailure.BAD_PATH,
          cid + " is a UnixFS " + data.type().name().toLowerCase(Locale.ROOT) + ", not file data");
    }
    int inline = data.dataOrEmpty().length;
    List<PbLink> links = node.links();
    List<Long> sizes = data.blockSizes();
    if (sizes.size() != links.size()) {
      throw new PathException(ProofFailure.BAD_PATH, cid + " has " + links.size() + " links but " + sizes.size() + " blocksizes");
    }
    long total = inline;
    for (long s : sizes) {
      if (s < 0) {
        throw new PathException(ProofFailure.BAD_PATH, cid + " has a negative blocksize");
      }
      total += s;
    }
    if (data.fileSize() != null && data.fileSize() != total) {
      throw new PathException(ProofFailure.BAD_PATH, cid + " says filesize " + data.fileSize() + " but holds " + total + " bytes");
    }
    return new Node(false, inline, links, sizes, total);
  }

  private static void checkSize(Cid cid, int depth, long actual, long expected) throws PathException {
    if (actual != expected) {
      if (depth == 0) {
        throw new PathException(ProofFailure.WRONG_FILE_SIZE, "root " + cid + " holds " + actual + " bytes, the deal says " + expected);
      }
      throw new PathException(ProofFailure.BAD_PATH, cid + " holds " + actual + " bytes, its parent's blocksizes say " + expected);
    }
  }
}
