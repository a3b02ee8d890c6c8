package io.canopy.content.block;

import io.canopy.multiformats.Cid;

/** A block whose bytes no longer match its CID (bit rot on disk, a lying peer). */
public class CorruptBlockException extends IllegalStateException {
  private static final long serialVersionUID = 1L;
  private final transient Cid cid;

  public CorruptBlockException(Cid cid, String why) {
    super("block " + cid + " is corrupt: " + why);
    this.cid = cid;
  }

  public Cid cid() {
    return cid;
  }
}
