package io.canopy.storage;

import io.canopy.content.block.Blockstore;
import io.canopy.multiformats.Cid;
import java.io.IOException;

/**
 * Where a storage node keeps the content of its deals: its own blockstore and pin table, or an
 * IPFS daemon the operator already runs (Kubo RPC). Bitswap serves from {@link #blocks()} and
 * fetches into it; a deal's root is pinned once every block of its DAG is present and verified.
 */
public interface ContentStore extends AutoCloseable {
  Blockstore blocks();

  /** Pins {@code root} and everything it links to; every block must already be present. */
  void pinRecursive(Cid root) throws IOException;

  /**
   * Pins a DAG the caller has just written in full through {@link #blocks()} (an import), where
   * walking it again would only read back what was written; stores may skip that walk.
   */
  default void pinJustWritten(Cid root) throws IOException {
    pinRecursive(root);
  }

  /** Removes the recursive pin on {@code root}; a no-op if it is not pinned. */
  void unpin(Cid root) throws IOException;

  boolean isPinned(Cid root) throws IOException;

  /** Deletes every block no pin keeps; the number of blocks removed. */
  long collectGarbage() throws IOException;

  /** Bytes the stored blocks take. */
  long usedBytes() throws IOException;

  @Override
  void close() throws IOException;
}
