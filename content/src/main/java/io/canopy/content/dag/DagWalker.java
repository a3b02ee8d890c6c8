package io.canopy.content.dag;

import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.block.CorruptBlockException;
import io.canopy.multiformats.Cid;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Depth-first, pre-order walk of DAGs in a {@link Blockstore}: a block is visited before its
 * children, children in link order, each block once. This is the order CAR export writes and the
 * trustless gateway calls {@code order=dfs}.
 *
 * <p>One walker is one traversal: it remembers every block it has reached across calls to {@link
 * #walk}, so DAGs that share subtrees (several pins of versions of one folder) are read once. It
 * keeps CIDs (the seen set and the pending links), never block bytes, so memory grows with the
 * number of blocks, not their size.
 *
 * <p>Blocks are deduplicated by codec and multihash, not by CID bytes: a CIDv0 and its CIDv1 name
 * the same node, but a raw and a dag-pb CID of the same bytes are read differently and are both
 * followed.
 */
public final class DagWalker {

  /** What a walk does with each block it reaches. */
  public interface Visitor {
    /**
     * A block of the DAG, reached through {@code cid} (as the parent's link spells it). Return
     * false to end the walk early.
     */
    boolean visit(Cid cid, byte[] data) throws IOException;

    /**
     * A block that was reached but could not be descended into: it is missing from the store
     * ({@link BlockNotFoundException}), corrupt ({@link CorruptBlockException}, verifying walkers
     * only), or its links cannot be decoded ({@link UnsupportedCodecException}, {@code
     * DagPbException}). Its children, if any, stay unknown. The default rethrows, ending the walk;
     * return false to end it quietly, true to carry on with the rest of the DAG.
     */
    default boolean unresolved(Cid cid, Exception cause) throws IOException {
      if (cause instanceof IOException io) {
        throw io;
      }
      throw (RuntimeException) cause;
    }
  }

  private final Blockstore blocks;
  private final boolean verify;
  private final Set<Cid> seen = new HashSet<>();

  private DagWalker(Blockstore blocks, boolean verify) {
    this.blocks = blocks;
    this.verify = verify;
  }

  /** A walker that trusts the store's bytes (pinning, GC: hashing every block would cost a full read). */
  public static DagWalker over(Blockstore blocks) {
    return new DagWalker(blocks, false);
  }

  /** A walker that checks each block against its CID (export: never hand a peer a rotten block). */
  public static DagWalker verifying(Blockstore blocks) {
    return new DagWalker(blocks, true);
  }

  /** Walks the DAG under {@code root}, skipping blocks this walker already reached. */
  public boolean walk(Cid root, Visitor visitor) throws IOException {
    return walk(List.of(root), visitor);
  }

  /**
   * Walks the DAGs under {@code roots}, in order. Returns false if the visitor ended the walk early.
   */
  public boolean walk(List<Cid> roots, Visitor visitor) throws IOException {
    // An explicit stack rather than recursion: a deep (trickle) DAG must not overflow the thread stack.
    Deque<Cid> pending = new ArrayDeque<>();
    for (int i = roots.size() - 1; i >= 0; i--) {
      pending.push(roots.get(i));
    }
    while (!pending.isEmpty()) {
      Cid cid = pending.pop();
      if (!seen.add(cid.toV1())) {
        continue;
      }
      byte[] data;
      try {
        data = read(cid);
      } catch (BlockNotFoundException | CorruptBlockException e) {
        if (!visitor.unresolved(cid, e)) {
          return false;
        }
        continue;
      }
      if (!visitor.visit(cid, data)) {
        return false;
      }
      List<Cid> links;
      try {
        links = DagLinks.links(cid, data);
      } catch (IllegalArgumentException e) { // undecodable dag-pb or an unsupported codec
        if (!visitor.unresolved(cid, e)) {
          return false;
        }
        continue;
      }
      for (int i = links.size() - 1; i >= 0; i--) {
        pending.push(links.get(i));
      }
    }
    return true;
  }

  /** Whether this walker has already reached the block {@code cid} names. */
  public boolean reached(Cid cid) {
    return seen.contains(cid.toV1());
  }

  private byte[] read(Cid cid) throws IOException {
    if (DagLinks.isInline(cid)) {
      // Identity CIDs are virtual blocks: no store holds them, the CID is the data.
      return cid.multihash().digest();
    }
    return verify ? blocks.getVerified(cid) : blocks.get(cid);
  }
}
