package io.canopy.p2p.identify;

/** Protocol ids of identify (libp2p specs identify/README.md). */
public final class Identify {
  public static final String PROTOCOL_ID = "/ipfs/id/1.0.0";
  public static final String PUSH_PROTOCOL_ID = "/ipfs/id/push/1.0.0";

  private Identify() {}
}
