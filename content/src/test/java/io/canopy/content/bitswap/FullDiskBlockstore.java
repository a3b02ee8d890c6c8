package io.canopy.content.bitswap;

import io.canopy.content.block.Block;
import io.canopy.content.block.Blockstore;
import io.canopy.multiformats.Cid;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** A store whose disk fills up after a number of puts, and is freed again on demand. */
final class FullDiskBlockstore implements Blockstore {
  static final String NO_SPACE = "No space left on device";

  private final Blockstore inner;
  private final AtomicInteger putsLeft;
  private final AtomicInteger failedPuts = new AtomicInteger();

  FullDiskBlockstore(Blockstore inner, int putsBeforeFull) {
    this.inner = inner;
    this.putsLeft = new AtomicInteger(putsBeforeFull);
  }

  /** Space was freed: puts work again. */
  void recover() {
    putsLeft.set(Integer.MAX_VALUE);
  }

  int failedPuts() {
    return failedPuts.get();
  }

  @Override
  public void put(Block block) throws IOException {
    if (putsLeft.getAndDecrement() <= 0) {
      putsLeft.set(0);
      failedPuts.incrementAndGet();
      throw new IOException(NO_SPACE);
    }
    inner.put(block);
  }

  @Override
  public boolean has(Cid cid) throws IOException {
    return inner.has(cid);
  }

  @Override
  public byte[] get(Cid cid) throws IOException {
    return inner.get(cid);
  }

  @Override
  public void delete(Cid cid) throws IOException {
    inner.delete(cid);
  }

  @Override
  public long size(Cid cid) throws IOException {
    return inner.size(cid);
  }

  @Override
  public Stream<Cid> keys() throws IOException {
    return inner.keys();
  }
}
