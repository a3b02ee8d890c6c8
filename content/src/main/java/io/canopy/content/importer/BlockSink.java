package io.canopy.content.importer;

import io.canopy.content.block.Block;
import java.io.IOException;

/**
 * Where the importer sends each block it makes: a blockstore's {@code put}, or nothing for
 * {@code --only-hash}. Called from several threads at once. The block's byte array may be reused
 * by the importer once {@code put} returns: a sink that keeps blocks in memory must copy them.
 */
@FunctionalInterface
public interface BlockSink {
  BlockSink DISCARD = block -> {};

  void put(Block block) throws IOException;
}
