package io.canopy.content.pin;

import io.canopy.multiformats.Cid;
import java.util.Objects;

/** A pinned CID, as the user gave it (a CIDv0 stays v0), and how it is pinned. */
public record Pin(Cid cid, PinType type) {
  public Pin {
    Objects.requireNonNull(cid, "cid");
    if (type == null || type == PinType.ALL) {
      throw new IllegalArgumentException("a pin is recursive, direct or indirect, not " + type);
    }
  }
}
