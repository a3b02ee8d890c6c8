package io.canopy.content.blockstore;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/** A blockstore in memory, keyed by multihash like the file store: for tests and scratch work. */
public final class MemoryBlockstore implements Blockstore {
  private final ConcurrentHashMap<Multihash, byte[]> blocks = new ConcurrentHashMap<>();

  @Override
  public boolean has(Cid cid) {
    return isIdentity(cid) || blocks.containsKey(cid.multihash());
  }

  @Override
  public byte[] get(Cid cid) throws BlockNotFoundException {
    if (isIdentity(cid)) {
      return cid.multihash().digest();
    }
    byte[] data = blocks.get(cid.multihash());
    if (data == null) {
      throw new BlockNotFoundException(cid);
    }
    return data.clone();
  }

  @Override
  public void put(Block block) {
    if (!isIdentity(block.cid())) {
      blocks.putIfAbsent(block.cid().multihash(), block.data().clone());
    }
  }

  @Override
  public void delete(Cid cid) {
    blocks.remove(cid.multihash());
  }

  @Override
  public long size(Cid cid) throws BlockNotFoundException {
    return get(cid).length;
  }

  @Override
  public Stream<Cid> keys() {
    return List.copyOf(blocks.keySet()).stream().map(mh -> Cid.v1(Multicodec.RAW, mh));
  }

  /** Overwrites a stored block's bytes without checking them: lets tests simulate bit rot. */
  public void corrupt(Cid cid, byte[] data) {
    blocks.put(cid.multihash(), data.clone());
  }

  public int count() {
    return blocks.size();
  }

  private static boolean isIdentity(Cid cid) {
    return cid.multihash().code() == Multicodec.IDENTITY.code();
  }
}
