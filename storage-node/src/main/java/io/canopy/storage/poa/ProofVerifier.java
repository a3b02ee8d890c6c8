package io.canopy.storage.poa;

import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multihash;
import io.canopy.protocol.poa.Challenge;
import io.canopy.protocol.poa.PoaMessageException;
import io.canopy.protocol.poa.Proof;
import io.canopy.protocol.poa.ProofBlock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a storage proof against the deal's root CID alone (spec/proofs.md §5.4.2): every
 * block's bytes hash to its CID; for every drawn offset the walk from the root, following the
 * UnixFS blocksizes, finds every block it needs in the proof and ends at a leaf holding the
 * offset; and the proof holds nothing else. Pure: no I/O, no clock.
 */
public final class ProofVerifier {
  private ProofVerifier() {}

  /** Passed, or the first failure with a reason. */
  public record Outcome(ProofFailure failure, String detail) {
    public static final Outcome PASS = new Outcome(null, "");

    public boolean passed() {
      return failure == null;
    }

    /** {@code "FAILURE: detail"}, or empty for a pass: the verdict's reason. */
    public String reason() {
      return passed() ? "" : detail.startsWith(failure.name()) ? detail : failure + ": " + detail;
    }
  }

  /** Decodes and verifies the encoded proof answering {@code challenge}. */
  public static Outcome verify(Challenge challenge, byte[] encodedProof) {
    int draws = challenge.draws();
    Proof proof;
    try {
      proof = Proof.decode(encodedProof, Proof.maxSize(draws), Proof.maxBlocks(draws));
    } catch (PoaMessageException e) {
      ProofFailure f = encodedProof.length > Proof.maxSize(draws) || e.getMessage().contains("more than") || e.getMessage().contains("exceeds") ? ProofFailure.OVER_LIMIT : ProofFailure.MALFORMED;
      return new Outcome(f, e.getMessage());
    }
    return verify(challenge.root(), challenge.fileSize(), challenge.offsets(), proof);
  }

  /** Verifies {@code proof} for the {@code offsets} of the file of {@code fileSize} bytes under {@code root}. */
  public static Outcome verify(Cid root, long fileSize, long[] offsets, Proof proof) {
    int draws = offsets.length;
    if (proof.blocks().size() > Proof.maxBlocks(draws)) {
      return new Outcome(ProofFailure.OVER_LIMIT, proof.blocks().size() + " blocks, at most " + Proof.maxBlocks(draws));
    }
    long bytes = 0;
    Map<Multihash, byte[]> byHash = new HashMap<>();
    for (ProofBlock b : proof.blocks()) {
      bytes += b.data().length;
      if (bytes > Proof.maxSize(draws)) {
        return new Outcome(ProofFailure.OVER_LIMIT, "blocks exceed " + Proof.maxSize(draws) + " bytes");
      }
      boolean matches;
      try {
        matches = b.cid().multihash().matches(b.data());
      } catch (RuntimeException e) {
        matches = false; // an unsupported hash function proves nothing
      }
      if (!matches) {
        return new Outcome(ProofFailure.BAD_BLOCK_HASH, b.cid() + ": its bytes do not hash to its CID");
      }
      if (byHash.put(b.cid().multihash(), b.data()) != null) {
        return new Outcome(ProofFailure.DUPLICATE_BLOCK, b.cid().toString());
      }
    }
    Set<Multihash> used = new HashSet<>();
    LeafPath paths = new LeafPath(root, fileSize, cid -> byHash.get(cid.multihash()));
    try {
      if (draws == 0) {
        markUsed(paths.to(-1), used);
      }
      for (long offset : offsets) {
        markUsed(paths.to(offset), used);
      }
    } catch (LeafPath.PathException e) {
      return new Outcome(e.failure(), e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // the map source does no I/O
    }
    for (ProofBlock b : proof.blocks()) {
      if (!used.contains(b.cid().multihash())) {
        return new Outcome(ProofFailure.EXTRA_BLOCK, b.cid() + " is on no drawn path");
      }
    }
    return Outcome.PASS;
  }

  private static void markUsed(List<Cid> path, Set<Multihash> used) {
    for (Cid c : path) {
      used.add(c.multihash());
    }
  }
}
