package io.canopy.content.importer;

import io.canopy.content.block.Block;
import java.io.IOException;

/**
 * Where the importer sends each block it makes: a blockstore's {@code put}, or nothing for
 * {@code --only-hash}. Called from several threads at once.
 */
@FunctionalInterface
public interface BlockSink {
  BlockSink DISCARD = block -> {};

  void put(Block block) throws IOException;
}
