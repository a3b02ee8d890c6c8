package io.canopy.content.bitswap;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of one {@link Bitswap}, as of the moment they were read.
 *
 * @param blocksReceived blocks received that we wanted (verified and stored)
 * @param bytesReceived their bytes
 * @param blocksSent blocks handed to peers' connections
 * @param bytesSent their bytes
 * @param duplicateBlocks blocks received that we had already received
 * @param duplicateBytes their bytes
 * @param rejectedBlocks blocks received that matched no want (wrong bytes for the CID, never asked for, malformed)
 * @param wantsRefused wantlist entries refused because a peer's wantlist was full
 * @param messagesReceived messages decoded from peers
 * @param messagesSent messages written to peers
 * @param wantsInFlight blocks being fetched from the network right now
 * @param maxWantsInFlight the most blocks that were being fetched from the network at once
 */
public record BitswapStats(
    long blocksReceived,
    long bytesReceived,
    long blocksSent,
    long bytesSent,
    long duplicateBlocks,
    long duplicateBytes,
    long rejectedBlocks,
    long wantsRefused,
    long messagesReceived,
    long messagesSent,
    long wantsInFlight,
    long maxWantsInFlight) {

  /** The live counters behind the snapshots; updated from any thread. */
  static final class Counters {
    final LongAdder blocksReceived = new LongAdder();
    final LongAdder bytesReceived = new LongAdder();
    final LongAdder blocksSent = new LongAdder();
    final LongAdder bytesSent = new LongAdder();
    final LongAdder duplicateBlocks = new LongAdder();
    final LongAdder duplicateBytes = new LongAdder();
    final LongAdder rejectedBlocks = new LongAdder();
    final LongAdder wantsRefused = new LongAdder();
    final LongAdder messagesReceived = new LongAdder();
    final LongAdder messagesSent = new LongAdder();
    final AtomicLong wantsInFlight = new AtomicLong();
    final AtomicLong maxWantsInFlight = new AtomicLong();

    void wantsInFlight(long now) {
      wantsInFlight.set(now);
      maxWantsInFlight.accumulateAndGet(now, Math::max);
    }

    BitswapStats snapshot() {
      return new BitswapStats(blocksReceived.sum(), bytesReceived.sum(), blocksSent.sum(), bytesSent.sum(),
          duplicateBlocks.sum(), duplicateBytes.sum(), rejectedBlocks.sum(), wantsRefused.sum(),
          messagesReceived.sum(), messagesSent.sum(), wantsInFlight.get(), maxWantsInFlight.get());
    }
  }
}
