package io.canopy.content.bitswap;

/**
 * What this node and one peer exchanged, as of the moment it was read.
 *
 * @param bytesSent block bytes sent to the peer
 * @param bytesReceived block bytes received from the peer (accepted ones)
 * @param blocksSent blocks sent to the peer
 * @param blocksReceived blocks received from the peer (accepted ones)
 * @param wantsPending entries of the peer's wantlist with us (not yet answered, or waiting for a block we lack)
 * @param strikes protocol violations counted against the peer
 * @param blocked whether the peer used up its strikes and is being ignored
 */
public record Ledger(
    long bytesSent, long bytesReceived, long blocksSent, long blocksReceived, int wantsPending, int strikes, boolean blocked) {}
