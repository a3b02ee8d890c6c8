package io.canopy.content.block;

import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.util.Objects;

/** A block: bytes and the CID that names them. The bytes are not copied; treat them as read-only. */
public record Block(Cid cid, byte[] data) {
  /** Largest block Canopy stores or accepts from a peer (Bitswap's limit is 2 MiB; Kubo writes ≤ 1 MiB). */
  public static final int MAX_SIZE = 2 * 1024 * 1024;

  public Block {
    Objects.requireNonNull(cid, "cid");
    Objects.requireNonNull(data, "data");
  }

  /** Hashes {@code data} and names it with the given version and codec. */
  public static Block of(int cidVersion, Multicodec codec, Multicodec hash, byte[] data) {
    return new Block(Cid.of(cidVersion, codec, hash, data), data);
  }

  /** Whether the bytes hash to the CID's multihash. */
  public boolean isValid() {
    return cid.multihash().matches(data);
  }

  /** Throws {@link CorruptBlockException} naming the CID if the bytes do not hash to it. */
  public Block verify() {
    Multihash mh = cid.multihash();
    if (!mh.matches(data)) {
      throw new CorruptBlockException(cid, "its bytes do not hash to its CID");
    }
    return this;
  }
}
