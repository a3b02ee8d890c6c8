package io.canopy.storage.kubo;

import io.canopy.content.block.Blockstore;
import io.canopy.multiformats.Cid;
import io.canopy.storage.ContentStore;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The storage role's content kept in an IPFS daemon the operator already runs ({@code --ipfs-api
 * http://127.0.0.1:5001}): blocks through {@link KuboBlockstore}, pins as the daemon's recursive
 * pins, garbage collection as its {@code repo/gc}.
 *
 * <p>The daemon's pins and garbage collector are shared with whatever else the operator does with
 * that daemon: {@link #collectGarbage()} removes every unpinned block in it, Canopy's or not, as
 * {@code ipfs repo gc} would; {@link #usedBytes()} is the daemon's whole repo size.
 */
public final class KuboContentStore implements ContentStore {
  private final KuboRpcClient client;
  private final KuboBlockstore blocks;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** Uses {@code client}, and closes it on {@link #close()}. */
  public KuboContentStore(KuboRpcClient client) {
    this.client = Objects.requireNonNull(client, "client");
    this.blocks = new KuboBlockstore(client);
  }

  /**
   * Connects to the daemon and checks that it answers ({@code version}, which also picks the
   * dialect); fails with an {@link IOException} naming the URL if it does not.
   */
  public static KuboContentStore open(KuboRpcConfig config) throws IOException {
    KuboRpcClient client = new KuboRpcClient(config);
    try {
      client.version();
      return new KuboContentStore(client);
    } catch (IOException | RuntimeException e) {
      client.close();
      throw e;
    }
  }

  public KuboRpcClient client() {
    return client;
  }

  @Override
  public Blockstore blocks() {
    return blocks;
  }

  @Override
  public void pinRecursive(Cid root) throws IOException {
    client.pinAdd(root);
  }

  @Override
  public void unpin(Cid root) throws IOException {
    client.pinRm(root);
  }

  @Override
  public boolean isPinned(Cid root) throws IOException {
    return client.pinLs(root, "recursive").isPresent();
  }

  @Override
  public long collectGarbage() throws IOException {
    return client.repoGc();
  }

  /** The daemon's repo size ({@code repo/stat --size-only}): its blocks plus its own datastore. */
  @Override
  public long usedBytes() throws IOException {
    return client.repoStat(true).repoSize();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "KuboContentStore[" + client.apiUrl() + "]";
  }
}
