package io.canopy.storage;

import io.canopy.content.block.Blockstore;
import io.canopy.content.dag.DagWalker;
import io.canopy.multiformats.Cid;
import java.io.IOException;

/** A DAG's size as deals count it: the sum of the byte lengths of its blocks. */
final class DagSize {
  private DagSize() {}

  /**
   * Walks the whole DAG; {@code verify} re-hashes every block (a storage node checking what it
   * fetched). Throws, naming the block, if one is missing or corrupt.
   */
  static long of(Blockstore blocks, Cid root, boolean verify) throws IOException {
    long[] total = {0};
    (verify ? DagWalker.verifying(blocks) : DagWalker.over(blocks)).walk(root, (cid, data) -> {
      total[0] += data.length;
      return true;
    });
    return total[0];
  }
}
