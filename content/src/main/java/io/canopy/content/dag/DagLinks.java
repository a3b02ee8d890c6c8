package io.canopy.content.dag;

import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.DagPbException;
import io.canopy.content.dagpb.PbLink;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.util.List;

/**
 * The children of a block, read according to its CID's codec. GC, pinning and CAR export all walk
 * DAGs through this one place, so they agree on what "reachable" means.
 */
public final class DagLinks {
  private DagLinks() {}

  /**
   * The CIDs a block links to, in the order the block lists them.
   *
   * <ul>
   *   <li>dag-pb: the links' hashes, in encoded order (which the spec fixes as sorted by name);
   *   <li>raw: none — a raw block is a leaf by definition;
   *   <li>an identity-multihash CID carries its block inside itself, so {@code block} is ignored and
   *       may be null; the inlined bytes are read by the CID's codec like any other block;
   *   <li>any other codec: {@link UnsupportedCodecException} naming the codec, because guessing
   *       "no links" would let GC delete children it cannot see.
   * </ul>
   *
   * @throws DagPbException if a dag-pb block does not decode (the message names the block)
   */
  public static List<Cid> links(Cid cid, byte[] block) {
    byte[] bytes = isInline(cid) ? cid.multihash().digest() : block;
    long codec = cid.codec();
    if (codec == Multicodec.RAW.code()) {
      return List.of();
    }
    if (codec != Multicodec.DAG_PB.code()) {
      throw new UnsupportedCodecException(cid);
    }
    if (bytes == null) {
      throw new IllegalArgumentException("block " + cid + " is needed to read its links");
    }
    try {
      return DagPb.decode(bytes).links().stream().map(PbLink::hash).toList();
    } catch (DagPbException e) {
      throw new DagPbException("block " + cid + " is not valid dag-pb: " + e.getMessage());
    }
  }

  /** Whether the CID inlines its block (identity multihash), so no store ever needs to hold it. */
  public static boolean isInline(Cid cid) {
    return cid.multihash().code() == Multicodec.IDENTITY.code();
  }
}
