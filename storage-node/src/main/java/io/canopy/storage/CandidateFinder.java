package io.canopy.storage;

import io.canopy.identity.PeerId;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** Finds storage nodes that could take a replica: connected peers that speak the storage protocol, and the DHT's providers of the storage service key. */
@FunctionalInterface
public interface CandidateFinder {
  CompletableFuture<Set<PeerId>> candidates();
}
