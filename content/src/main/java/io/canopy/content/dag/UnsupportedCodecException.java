package io.canopy.content.dag;

import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;

/** A block whose codec Canopy cannot follow links through (only dag-pb and raw are understood). */
public class UnsupportedCodecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final transient Cid cid;

  public UnsupportedCodecException(Cid cid) {
    super("cannot read the links of block " + cid + ": codec " + Multicodec.describe(cid.codec())
        + " is not supported (only dag-pb and raw are)");
    this.cid = cid;
  }

  public Cid cid() {
    return cid;
  }

  public long codec() {
    return cid.codec();
  }
}
