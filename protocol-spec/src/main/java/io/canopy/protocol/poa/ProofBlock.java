package io.canopy.protocol.poa;

import io.canopy.multiformats.Cid;
import java.util.Arrays;
import java.util.Objects;

/** One block of a proof: the CID the prover names it by and its bytes (the verifier re-hashes them). */
public record ProofBlock(Cid cid, byte[] data) {
  public ProofBlock {
    Objects.requireNonNull(cid, "cid");
    Objects.requireNonNull(data, "data");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ProofBlock b && cid.equals(b.cid) && Arrays.equals(data, b.data);
  }

  @Override
  public int hashCode() {
    return 31 * cid.hashCode() + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "ProofBlock[" + cid + ", " + data.length + " bytes]";
  }
}
