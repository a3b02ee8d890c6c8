package io.canopy.content.pin;

import io.canopy.multiformats.Cid;
import java.util.List;

/**
 * What a garbage collection did.
 *
 * @param removed the blocks deleted, as raw CIDv1s of their multihashes (the store's keys)
 * @param bytesFreed the sum of their sizes
 * @param unresolved blocks of pinned DAGs that could not be read or decoded; when there are any,
 *     nothing is removed, because the unknown children of such a block could be any stored block
 */
public record GcResult(List<Cid> removed, long bytesFreed, List<UnresolvedBlock> unresolved) {
  public GcResult {
    removed = List.copyOf(removed);
    unresolved = List.copyOf(unresolved);
  }

  /**
   * A block reachable from a pin that the collector could not descend into.
   *
   * @param pin the recursive pin whose DAG it belongs to
   * @param block the block
   * @param reason why: missing from the store, not valid dag-pb, a codec Canopy cannot read
   */
  public record UnresolvedBlock(Cid pin, Cid block, String reason) {}

  /** Whether the collection ran to the end (every pinned DAG was fully walked). */
  public boolean complete() {
    return unresolved.isEmpty();
  }
}
