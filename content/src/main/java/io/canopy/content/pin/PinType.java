package io.canopy.content.pin;

/** How a block is kept from garbage collection (Kubo's pin types). */
public enum PinType {
  /** The block and everything reachable from it. */
  RECURSIVE,
  /** This block alone. */
  DIRECT,
  /** Reachable from a recursive pin; not stored, computed by walking the pinned DAGs. */
  INDIRECT,
  /** A filter for {@link PinStore#list}: every pin, each CID once with its strongest type. */
  ALL
}
