package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import java.time.Duration;
import java.util.Map;

/**
 * What one iterative lookup did. {@code maxHops} is how far from our own routing table the
 * lookup had to go: peers from our table are hop 1, peers named by a hop-n peer are hop n+1; it
 * is the highest hop among the peers that answered. {@code failures} gives each peer that did not
 * answer usefully with the reason (timeout, dial failure, a malformed answer).
 */
public record LookupStats(
    String operation, int queried, int answered, int failed, int maxHops, Duration elapsed, boolean timedOut,
    Map<PeerId, String> failures) {

  public LookupStats {
    failures = Map.copyOf(failures);
  }

  static LookupStats none(String operation) {
    return new LookupStats(operation, 0, 0, 0, 0, Duration.ZERO, false, Map.of());
  }
}
