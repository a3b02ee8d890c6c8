package io.canopy.content.importer;

import io.canopy.content.unixfs.UnixFsType;
import io.canopy.content.unixfs.UnixTime;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Lays out one file's chunks as go-unixfs (boxo importer/balanced and importer/trickle) does, so
 * that the root CID is Kubo's. Streaming: only the links of unfinished nodes are held in memory.
 */
final class FileBuilder {
  /** Trickle's "depthRepeat": subtrees of each depth that a trickle node holds. */
  private static final int TRICKLE_DEPTH_REPEAT = 4;

  private final ImportOptions options;
  private final NodeWriter writer;
  private final LongConsumer progress;

  FileBuilder(ImportOptions options, NodeWriter writer, LongConsumer progress) {
    this.options = options;
    this.writer = writer;
    this.progress = progress;
  }

  DagLink build(InputStream in, Integer mode, UnixTime mtime) throws IOException {
    return options.layout() == Layout.TRICKLE ? trickle(in, mode, mtime) : balanced(in, mode, mtime);
  }

  // --- balanced -----------------------------------------------------------------------------

  private DagLink balanced(InputStream raw, Integer mode, UnixTime mtime) throws IOException {
    // A file of at most one chunk is its own root (an empty file is one empty leaf), so peek
    // whether a second chunk exists before starting the pipeline.
    PushbackInputStream in = new PushbackInputStream(raw, 1);
    byte[] first = in.readNBytes(options.chunkSize());
    int next = first.length == options.chunkSize() ? in.read() : -1;
    if (next < 0) {
      progress.accept(first.length);
      boolean metadata = mode != null || mtime != null;
      return metadata ? writer.fileWithData(first, mode, mtime) : writer.leaf(first, UnixFsType.FILE);
    }
    in.unread(next);
    InputStream all = new SequenceInputStream(new ByteArrayInputStream(first), in);
    try (LeafStream leaves = new LeafStream(all, options, writer, UnixFsType.FILE, progress)) {
      return balancedTree(leaves, mode, mtime);
    }
  }

  /**
   * The balanced layout over leaves that already exist (no bytes are read): the same tree, hence
   * the same root, as importing the bytes those leaves hold, provided every leaf but the last holds
   * a full chunk and the leaves are of the kind these options make. A single leaf is its own root,
   * as a one-chunk file is.
   */
  DagLink balancedOver(Iterator<DagLink> leaves) throws IOException {
    if (!leaves.hasNext()) {
      throw new IllegalArgumentException("a file has at least one leaf");
    }
    DagLink first = leaves.next();
    if (!leaves.hasNext()) {
      return first;
    }
    List<List<DagLink>> levels = new ArrayList<>();
    push(levels, 0, first);
    while (leaves.hasNext()) {
      push(levels, 0, leaves.next());
    }
    return fold(levels, null, null);
  }

  /**
   * levels.get(d) holds the finished nodes of depth d that wait for a parent. A full level is
   * folded into one parent the moment another node arrives for it, which yields exactly the tree
   * of boxo's balanced builder: every node full except along the right edge.
   */
  private DagLink balancedTree(LeafStream leaves, Integer mode, UnixTime mtime) throws IOException {
    List<List<DagLink>> levels = new ArrayList<>();
    while (leaves.hasNext()) {
      push(levels, 0, leaves.next());
    }
    return fold(levels, mode, mtime);
  }

  /** Folds the waiting nodes of every level, bottom up, into the root. */
  private DagLink fold(List<List<DagLink>> levels, Integer mode, UnixTime mtime) throws IOException {
    for (int depth = 0; ; depth++) {
      List<DagLink> level = levels.get(depth);
      if (depth == levels.size() - 1) {
        return writer.file(level, mode, mtime);
      }
      DagLink parent = writer.file(level, null, null);
      level.clear();
      push(levels, depth + 1, parent);
    }
  }

  private void push(List<List<DagLink>> levels, int depth, DagLink link) throws IOException {
    if (levels.size() == depth) {
      levels.add(new ArrayList<>(options.maxLinks()));
    }
    List<DagLink> level = levels.get(depth);
    if (level.size() == options.maxLinks()) {
      DagLink parent = writer.file(level, null, null);
      level.clear();
      push(levels, depth + 1, parent);
    }
    level.add(link);
  }

  // --- trickle ------------------------------------------------------------------------------

  /** boxo's trickle: the root is always a File node (even over a single leaf); leaves are Raw. */
  private DagLink trickle(InputStream in, Integer mode, UnixTime mtime) throws IOException {
    try (LeafStream leaves = new LeafStream(in, options, writer, UnixFsType.RAW, progress)) {
      List<DagLink> root = new ArrayList<>();
      fillTrickle(leaves, root, -1);
      return writer.file(root, mode, mtime);
    }
  }

  /** A layer of leaves, then TRICKLE_DEPTH_REPEAT subtrees of each depth below maxDepth (-1: unbounded). */
  private void fillTrickle(LeafStream leaves, List<DagLink> node, int maxDepth) throws IOException {
    while (node.size() < options.maxLinks() && leaves.hasNext()) {
      node.add(leaves.next());
    }
    for (int depth = 1; maxDepth == -1 || depth < maxDepth; depth++) {
      if (!leaves.hasNext()) {
        return;
      }
      for (int repeat = 0; repeat < TRICKLE_DEPTH_REPEAT && leaves.hasNext(); repeat++) {
        List<DagLink> child = new ArrayList<>();
        fillTrickle(leaves, child, depth);
        node.add(writer.file(child, null, null));
      }
    }
  }
}
