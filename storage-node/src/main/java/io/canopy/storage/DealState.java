package io.canopy.storage;

/** Where an owned deal stands. */
public enum DealState {
  /** Replicas are being placed. */
  PLACING,
  /** Every replica holds the deal. */
  ACTIVE,
  /** Fewer replicas than asked for hold it; the repair loop is placing more. */
  DEGRADED,
  /** No node holds it (the content could not be fetched, or no node had room); the reason says why. */
  FAILED,
  /** The deal's time is over and its replicas were released. */
  ENDED
}
