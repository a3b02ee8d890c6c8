package io.canopy.content.block;

import io.canopy.multiformats.Cid;
import java.io.IOException;
import java.util.stream.Stream;

/**
 * Where blocks live (nabu's {@code Blockstore}: has/get/put/rm). Keys are multihashes in effect: a
 * CIDv0 and a CIDv1 of the same bytes name the same stored block, as in Kubo. Implementations are
 * safe for concurrent use; decorators (verifying, providing, counting) wrap another store.
 */
public interface Blockstore {
  boolean has(Cid cid) throws IOException;

  /** The block's bytes, as stored; {@link BlockNotFoundException} if absent. */
  byte[] get(Cid cid) throws IOException;

  /**
   * The block's bytes after checking they hash to {@code cid}; {@link CorruptBlockException} if
   * they do not. Used for repair, for blocks served to peers, and whenever the caller asks.
   */
  default byte[] getVerified(Cid cid) throws IOException {
    byte[] data = get(cid);
    new Block(cid, data).verify();
    return data;
  }

  /**
   * Stores the block; a no-op if it is already present. Never leaves a torn block behind, but the
   * block is only sure to survive a power cut after {@link #sync}.
   */
  void put(Block block) throws IOException;

  /** Makes every block put so far durable. Call it before recording anything that relies on them. */
  default void sync() throws IOException {}

  /** Removes the block; a no-op if it is absent. */
  void delete(Cid cid) throws IOException;

  /** The stored block's size in bytes; {@link BlockNotFoundException} if absent. */
  long size(Cid cid) throws IOException;

  /**
   * Every stored block, as a raw-codec CIDv1 of its multihash (the store keeps multihashes, not
   * codecs). The stream holds open files: close it.
   */
  Stream<Cid> keys() throws IOException;
}
