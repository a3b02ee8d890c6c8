package io.canopy.content.dag;

import io.canopy.content.block.Block;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.multiformats.Multicodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Small blocks and DAGs for tests, built the way the importer builds them (sha2-256). */
public final class TestBlocks {
  /** A UnixFS Data message for a directory (Type=1): enough to make a realistic dag-pb node. */
  private static final byte[] UNIXFS_DIRECTORY = {0x08, 0x01};

  private TestBlocks() {}

  /** A raw CIDv1 leaf holding {@code text}. */
  public static Block raw(String text) {
    return raw(text.getBytes(StandardCharsets.UTF_8));
  }

  public static Block raw(byte[] data) {
    return Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, data);
  }

  /** A dag-pb node (CIDv1) whose links are named 0, 1, 2… so that link order is the given order. */
  public static Block node(Block... children) {
    return node(1, children);
  }

  public static Block node(int cidVersion, Block... children) {
    List<PbLink> links = new ArrayList<>();
    for (int i = 0; i < children.length; i++) {
      links.add(PbLink.of(children[i].cid(), String.format("%03d", i), children[i].data().length));
    }
    byte[] bytes = DagPb.encode(PbNode.of(UNIXFS_DIRECTORY, links));
    return Block.of(cidVersion, Multicodec.DAG_PB, Multicodec.SHA2_256, bytes);
  }
}
