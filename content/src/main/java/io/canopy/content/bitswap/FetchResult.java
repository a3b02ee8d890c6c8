package io.canopy.content.bitswap;

import java.time.Duration;

/**
 * What {@link Bitswap#fetchDag} brought into the store.
 *
 * @param blocks blocks of the DAG (fetched or already local)
 * @param bytes their bytes
 * @param duration time from the call to the last block stored
 */
public record FetchResult(long blocks, long bytes, Duration duration) {}
