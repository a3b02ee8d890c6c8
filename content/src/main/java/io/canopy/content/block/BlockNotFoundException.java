package io.canopy.content.block;

import io.canopy.multiformats.Cid;
import java.io.IOException;

/** The block is not in this store (and, where a network is involved, could not be fetched). */
public class BlockNotFoundException extends IOException {
  private static final long serialVersionUID = 1L;
  private final transient Cid cid;

  public BlockNotFoundException(Cid cid) {
    super("block " + cid + " not found in the local store");
    this.cid = cid;
  }

  public Cid cid() {
    return cid;
  }
}
