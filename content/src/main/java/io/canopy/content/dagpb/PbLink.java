package io.canopy.content.dagpb;

import io.canopy.multiformats.Cid;
import java.util.Objects;

/**
 * A DAG-PB link (ipfs/specs DAG-PB: {@code PBLink}). {@code name} and {@code tsize} are optional on
 * the wire; null means absent, which is different from the empty string or zero when hashing.
 */
public record PbLink(Cid hash, String name, Long tsize) {
  public PbLink {
    Objects.requireNonNull(hash, "hash");
    if (tsize != null && tsize < 0) {
      throw new IllegalArgumentException("negative Tsize");
    }
  }

  /** The form Kubo writes for file chunks and directory entries: name always present. */
  public static PbLink of(Cid hash, String name, long tsize) {
    return new PbLink(hash, name, tsize);
  }

  public String nameOrEmpty() {
    return name == null ? "" : name;
  }

  public long tsizeOrZero() {
    return tsize == null ? 0 : tsize;
  }
}
