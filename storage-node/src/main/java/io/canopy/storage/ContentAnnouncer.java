package io.canopy.storage;

import io.canopy.multiformats.Cid;

/** Tells the network which roots this node holds (the DHT's provider records in a node). */
public interface ContentAnnouncer {
  ContentAnnouncer NONE = new ContentAnnouncer() {
    @Override
    public void provide(Cid root) {}

    @Override
    public void stopProviding(Cid root) {}
  };

  void provide(Cid root);

  void stopProviding(Cid root);
}
