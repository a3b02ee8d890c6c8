package io.canopy.content.bitswap;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * A blockstore that fetches what the local one lacks over Bitswap (nabu's decorator style): a
 * get or has that misses locally asks the network, waits up to {@code fetchTimeout}, and stores
 * the verified block locally. So {@code new Exporter(new BitswapBlockstore(local, bitswap))}
 * reads files from the network.
 *
 * <p>Readers such as the exporter ask for one block at a time; to keep many blocks in flight, a
 * UnixFS file node fetched from the network has its children fetched ahead, in the background,
 * through one session.
 */
public final class BitswapBlockstore implements Blockstore, AutoCloseable {
  private final Blockstore local;
  private final Bitswap bitswap;
  private final BitswapSession session;

  public BitswapBlockstore(Blockstore local, Bitswap bitswap) {
    this.local = local;
    this.bitswap = bitswap;
    this.session = bitswap.newSession();
  }

  @Override
  public boolean has(Cid cid) throws IOException {
    if (local.has(cid)) {
      return true;
    }
    try {
      fetch(cid);
      return true;
    } catch (BlockNotFoundException e) {
      return false;
    }
  }

  @Override
  public byte[] get(Cid cid) throws IOException {
    try {
      return local.get(cid);
    } catch (BlockNotFoundException e) {
      return fetch(cid);
    }
  }

  @Override
  public void put(Block block) throws IOException {
    local.put(block);
  }

  @Override
  public void sync() throws IOException {
    local.sync();
  }

  @Override
  public void delete(Cid cid) throws IOException {
    local.delete(cid);
  }

  @Override
  public long size(Cid cid) throws IOException {
    try {
      return local.size(cid);
    } catch (BlockNotFoundException e) {
      return fetch(cid).length;
    }
  }

  /** The local store's keys: what the network might hold is not listed. */
  @Override
  public Stream<Cid> keys() throws IOException {
    return local.keys();
  }

  private byte[] fetch(Cid cid) throws IOException {
    CompletableFuture<Block> f = session.get(cid);
    try {
      Block b = f.get(bitswap.config().fetchTimeout().toMillis(), TimeUnit.MILLISECONDS);
      local.put(b); // Bitswap stored it in its own store, which need not be this one (a no-op if it is)
      prefetchChildren(b);
      return b.data();
    } catch (TimeoutException | CancellationException e) {
      f.cancel(false);
      BlockNotFoundException nf = new BlockNotFoundException(cid);
      nf.initCause(e);
      throw nf;
    } catch (InterruptedException e) {
      f.cancel(false);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while fetching " + cid);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      if (cause instanceof IOException io) {
        throw io;
      }
      BlockNotFoundException nf = new BlockNotFoundException(cid);
      nf.initCause(cause);
      throw nf;
    }
  }

  /** Starts fetching the children of a UnixFS file node, and theirs as they arrive. */
  private void prefetchChildren(Block block) {
    if (block.cid().codec() != Multicodec.DAG_PB.code()) {
      return;
    }
    try {
      PbNode node = DagPb.decode(block.data());
      if (node.links().isEmpty() || node.data() == null || UnixFsData.decode(node.data()).type() != UnixFsType.FILE) {
        return; // directories are not read ahead: a path lookup needs one entry, not all
      }
      for (PbLink link : node.links()) {
        session.get(link.hash()).thenAccept(this::prefetched);
      }
    } catch (RuntimeException e) {
      // not UnixFS: nothing to read ahead; the reader will report what is wrong with it
    }
  }

  private void prefetched(Block b) {
    try {
      local.put(b);
    } catch (IOException e) {
      return; // the reader will fetch it again, and see the error
    }
    prefetchChildren(b);
  }

  /** Stops the read-ahead; the local store stays open. */
  @Override
  public void close() {
    session.close();
  }
}
