package io.canopy.content.bitswap;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;

/**
 * Read-side backpressure for one peer: counts the bytes of its messages that were received and
 * not yet processed, over all its streams. Past the limit the stream that read the last message
 * stops reading (autoRead off), so yamux stops the peer after one window; processing done below
 * the limit turns reading back on. A peer sending faster than we process cannot grow our memory.
 */
final class InboundGate {
  private final long limit;
  private long pending;
  private List<Channel> paused = new ArrayList<>();

  InboundGate(long limit) {
    this.limit = limit;
  }

  /** Counts a message in. Call {@link #pauseIfFull} with its stream next, on that stream's loop. */
  synchronized void acquire(long bytes) {
    pending += bytes;
  }

  /** Stops {@code stream} reading if the peer is over its limit (checked again under the lock). */
  synchronized void pauseIfFull(Channel stream) {
    if (pending > limit && !paused.contains(stream)) {
      stream.config().setAutoRead(false);
      paused.add(stream);
    }
  }

  /** A message is processed: below the limit, paused streams read again. */
  void release(long bytes) {
    List<Channel> resume;
    synchronized (this) {
      pending -= bytes;
      if (pending > limit || paused.isEmpty()) {
        return;
      }
      resume = paused;
      paused = new ArrayList<>();
    }
    for (Channel ch : resume) {
      ch.eventLoop().execute(() -> ch.config().setAutoRead(true)); // setAutoRead(true) issues a read()
    }
  }

  synchronized long pending() {
    return pending;
  }
}
