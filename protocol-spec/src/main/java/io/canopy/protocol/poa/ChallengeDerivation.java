package io.canopy.protocol.poa;

import io.canopy.identity.PeerId;
import io.canopy.protocol.epoch.Beacon;
import io.canopy.protocol.epoch.Draw;
import java.nio.charset.StandardCharsets;

/**
 * Which bytes of a deal's file a replica must prove in an epoch (spec/proofs.md §5.2): k byte
 * offsets drawn uniformly, with replacement, from the epoch's beacon, the deal and the node, so
 * anyone can recompute them and nobody could know them before the beacon.
 */
public final class ChallengeDerivation {
  /** The draw domain of storage challenges (spec/epochs.md §4.3). */
  public static final String DOMAIN = "canopy-challenge-v1";
  /** k: draws per (deal, replica) per epoch unless configured otherwise. */
  public static final int DEFAULT_DRAWS = 20;
  /** Draws per challenge at most (bounds the proof's size). */
  public static final int MAX_DRAWS = 64;
  /** Directory walks (§5.2.3) use draw numbers {@code j·64 + depth}: at most 64 levels. */
  public static final int WALK_STRIDE = 64;

  private ChallengeDerivation() {}

  /** {@code seed = Draw.seed("canopy-challenge-v1", beacon(e), dealId UTF-8, node peer-id bytes)}. */
  public static byte[] seed(Beacon beacon, String dealId, PeerId node) {
    return Draw.seed(DOMAIN, beacon, dealId.getBytes(StandardCharsets.UTF_8), node.toBytes());
  }

  /** {@code offset_j = Draw.uniform(seed, j, fileSize)} for {@code j = 0..k-1}; none for an empty file. */
  public static long[] offsets(Beacon beacon, String dealId, PeerId node, long fileSize, int k) {
    if (k < 0 || k > MAX_DRAWS) {
      throw new IllegalArgumentException("k must be 0.." + MAX_DRAWS + ": " + k);
    }
    if (fileSize < 0) {
      throw new IllegalArgumentException("file size must not be negative: " + fileSize);
    }
    if (fileSize == 0) {
      return new long[0];
    }
    byte[] seed = seed(beacon, dealId, node);
    long[] out = new long[k];
    for (int j = 0; j < k; j++) {
      out[j] = Draw.uniform(seed, j, fileSize);
    }
    return out;
  }

  /** The link a directory walk takes at {@code depth} for draw {@code j} (§5.2.3): {@code uniform(seed, j·64 + depth, links)}. */
  public static int directoryLink(byte[] seed, int j, int depth, int links) {
    if (depth < 0 || depth >= WALK_STRIDE) {
      throw new IllegalArgumentException("depth must be 0.." + (WALK_STRIDE - 1) + ": " + depth);
    }
    return (int) Draw.uniform(seed, j * WALK_STRIDE + depth, links);
  }
}
