package io.canopy.content.dag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.Block;
import io.canopy.content.car.CarVectors;
import io.canopy.content.dagpb.DagPbException;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DagLinksTest {

  @Test
  void dagPbLinksComeInEncodedOrder() {
    Block a = TestBlocks.raw("a");
    Block b = TestBlocks.raw("b");
    Block c = TestBlocks.raw("c");
    Block node = TestBlocks.node(c, a, b);

    assertThat(DagLinks.links(node.cid(), node.data())).containsExactly(c.cid(), a.cid(), b.cid());
  }

  @Test
  void readsLinksOfANodeWrittenByJsDagPb() {
    // root of the DAG in CarExporterTest, encoded by @ipld/dag-pb 4.2.0: links named 1-sub, 2-b, 3-a-again
    byte[] block = HexFormat.of().parseHex(CarVectors.ROOT_BLOCK_HEX);
    Cid root = Cid.parse(CarVectors.ROOT);

    assertThat(DagLinks.links(root, block)).extracting(Cid::toString).containsExactly(
        CarVectors.SUB,
        "bafkreihujzsooxzzjdu7op4n7kkhehcm5df3j4tfyr4qy4blfva47pzhkm",
        "bafkreieo2p3k22c3swpk24bckghbv53m3alpr2hmptg5uhwuaghi6ird7a");
  }

  @Test
  void rawBlocksAreLeaves() {
    Block leaf = TestBlocks.raw("leaf");
    assertThat(DagLinks.links(leaf.cid(), leaf.data())).isEmpty();
  }

  @Test
  void identityCidsNeedNoBlock() {
    Cid inlineRaw = Cid.v1(Multicodec.RAW, Multihash.compute(Multicodec.IDENTITY, "hi".getBytes()));
    assertThat(DagLinks.isInline(inlineRaw)).isTrue();
    assertThat(DagLinks.links(inlineRaw, null)).isEmpty();

    // A small dag-pb node inlined in its CID still has links, read from the CID itself.
    Block child = TestBlocks.raw("child");
    Block node = TestBlocks.node(child);
    Cid inlineNode = Cid.v1(Multicodec.DAG_PB, Multihash.compute(Multicodec.IDENTITY, node.data()));
    assertThat(DagLinks.links(inlineNode, null)).containsExactly(child.cid());
  }

  @Test
  void otherCodecsAreRefusedByName() {
    Cid cbor = Cid.v1(Multicodec.DAG_CBOR, Multihash.compute(Multicodec.SHA2_256, new byte[] {(byte) 0xa0}));

    assertThatThrownBy(() -> DagLinks.links(cbor, new byte[] {(byte) 0xa0}))
        .isInstanceOf(UnsupportedCodecException.class)
        .hasMessageContaining("dag-cbor")
        .hasMessageContaining(cbor.toString());
  }

  @Test
  void undecodableDagPbNamesTheBlock() {
    byte[] junk = {0x0a, 0x7f}; // Data field claiming 127 bytes, none follow
    Cid cid = Cid.of(1, Multicodec.DAG_PB, Multicodec.SHA2_256, junk);

    assertThatThrownBy(() -> DagLinks.links(cid, junk))
        .isInstanceOf(DagPbException.class)
        .hasMessageContaining(cid.toString());
  }
}
