package io.canopy.p2p.ping;

/** The ping protocol (libp2p specs ping/ping.md): 32 random bytes, echoed back, on one stream. */
public final class Ping {
  public static final String PROTOCOL_ID = "/ipfs/ping/1.0.0";
  public static final int PAYLOAD_SIZE = 32;

  private Ping() {}
}
