package io.canopy.storage;

import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Brings a whole DAG into the node's store, every block verified against its CID (Bitswap in a node). */
@FunctionalInterface
public interface DagFetcher {
  /** Fetches from {@code sources} (dialled first) and any other peer known to have the blocks; fails after {@code timeout}. */
  CompletableFuture<Void> fetch(Cid root, List<Multiaddr> sources, Duration timeout);
}
