package io.canopy.content.bitswap;

import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Finds peers that provide a block when no connected peer has it; the DHT is plugged in here from
 * above (content does not depend on the DHT). Peers returned must have their addresses in the
 * host's peer store, so that Bitswap can dial them.
 */
@FunctionalInterface
public interface ProviderFinder {
  CompletableFuture<List<PeerId>> findProviders(Cid cid, int max);
}
