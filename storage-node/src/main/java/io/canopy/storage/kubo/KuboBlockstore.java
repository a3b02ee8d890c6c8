package io.canopy.storage.kubo;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.block.CorruptBlockException;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A {@link Blockstore} kept in an IPFS daemon (Kubo, or js-ipfs) through its RPC API. Like Kubo's
 * own store it is keyed by multihash: a CIDv0 and a CIDv1 of the same bytes are one block.
 *
 * <p>A daemon can be wrong too (a bug, a disk that rots under it, a proxy in the way), so every
 * block read is checked against its CID: {@link #get} throws {@link CorruptBlockException} for bytes
 * that do not hash to it, just as {@link #getVerified} does. Writes are checked the other way:
 * block/put must name the bytes with exactly our CID.
 *
 * <p>Identity CIDs carry their bytes and are answered here, never sent to the daemon. Lookups are
 * kept to the daemon's own store (see {@link KuboRpcClient}): an absent block is {@link
 * BlockNotFoundException} at once, the daemon does not go and fetch it.
 */
public final class KuboBlockstore implements Blockstore {
  private final KuboRpcClient client;

  public KuboBlockstore(KuboRpcClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  public KuboRpcClient client() {
    return client;
  }

  @Override
  public boolean has(Cid cid) throws IOException {
    if (isIdentity(cid)) {
      return true;
    }
    try {
      client.blockStat(cid);
      return true;
    } catch (BlockNotFoundException e) {
      return false;
    }
  }

  /** The block's bytes, checked against {@code cid}; {@link CorruptBlockException} if they differ. */
  @Override
  public byte[] get(Cid cid) throws IOException {
    if (isIdentity(cid)) {
      return cid.multihash().digest();
    }
    byte[] data = client.blockGet(cid);
    if (!cid.multihash().matches(data)) {
      throw new CorruptBlockException(cid, "the IPFS daemon at " + client.apiUrl() + " returned " + data.length
          + " bytes that do not hash to it");
    }
    return data;
  }

  @Override
  public byte[] getVerified(Cid cid) throws IOException {
    return get(cid); // get verifies already
  }

  @Override
  public void put(Block block) throws IOException {
    if (isIdentity(block.cid())) {
      return;
    }
    client.blockPut(block);
  }

  /**
   * A no-op: the daemon has stored a block when block/put answers (Kubo's flatfs syncs each write
   * by default, {@code Datastore.Spec ... "sync": true}); nothing is buffered on this side.
   */
  @Override
  public void sync() {}

  /** Removes the block; a no-op if absent; {@code PinException} if the daemon keeps it pinned. */
  @Override
  public void delete(Cid cid) throws IOException {
    if (!isIdentity(cid)) {
      client.blockRm(cid);
    }
  }

  @Override
  public long size(Cid cid) throws IOException {
    if (isIdentity(cid)) {
      return cid.multihash().digestLength();
    }
    return client.blockStat(cid).size();
  }

  /** Every block in the daemon (refs/local), including ones Canopy did not put there. */
  @Override
  public Stream<Cid> keys() throws IOException {
    return client.refsLocal();
  }

  @Override
  public String toString() {
    return "KuboBlockstore[" + client.apiUrl() + "]";
  }

  private static boolean isIdentity(Cid cid) {
    return cid.multihash().code() == Multicodec.IDENTITY.code();
  }
}
