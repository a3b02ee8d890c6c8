package io.canopy.storage;

import java.util.List;

/** An owned deal with where its replicas are: what `canopy deal status` shows. */
public record DealStatus(DealStore.OwnedDeal deal, List<DealStore.Replica> replicas) {
  public long activeReplicas() {
    return replicas.stream().filter(r -> r.state() == DealStore.ReplicaState.ACTIVE).count();
  }
}
