package io.canopy.content.car;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.CorruptBlockException;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.dag.TestBlocks;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multibase;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CarExporterTest {
  @TempDir Path dir;
  FileBlockstore store;

  // The DAG of CarVectors, built here the same way the JS script built it.
  final Block a = TestBlocks.raw("alpha");
  final Block b = TestBlocks.raw("beta");
  final Block c = TestBlocks.raw("gamma");
  final Block sub = Block.of(1, Multicodec.DAG_PB, Multicodec.SHA2_256, DagPb.encode(PbNode.of(new byte[] {8, 1},
      List.of(PbLink.of(c.cid(), "x", 5), PbLink.of(a.cid(), "y", 5)))));
  final Block root = Block.of(0, Multicodec.DAG_PB, Multicodec.SHA2_256, DagPb.encode(PbNode.of(new byte[] {8, 1},
      List.of(PbLink.of(sub.cid(), "1-sub", 100), PbLink.of(b.cid(), "2-b", 4), PbLink.of(a.cid(), "3-a-again", 5)))));

  @BeforeEach
  void fill() throws IOException {
    store = FileBlockstore.open(dir.resolve("blocks"));
    for (Block block : List.of(a, b, c, sub, root)) {
      store.put(block);
    }
  }

  @Test
  void theFixtureDagIsTheOneTheJsReferenceBuilt() {
    assertThat(root.cid()).hasToString(CarVectors.ROOT);
    assertThat(sub.cid()).hasToString(CarVectors.SUB);
    assertThat(HexFormat.of().formatHex(root.data())).isEqualTo(CarVectors.ROOT_BLOCK_HEX);
  }

  @Test
  void exportIsByteForByteTheJsReferenceCarInDepthFirstOrderWithoutDuplicates() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    long written = new CarExporter(store).export(root.cid(), out);

    assertThat(written).isEqualTo(5); // a is linked twice, written once
    assertThat(HexFormat.of().formatHex(out.toByteArray())).isEqualTo(CarVectors.DAG_CAR_HEX);
  }

  @Test
  void exportIsDeterministic() throws IOException {
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    ByteArrayOutputStream second = new ByteArrayOutputStream();
    new CarExporter(store).export(root.cid(), first);
    new CarExporter(FileBlockstore.open(dir.resolve("blocks"))).export(root.cid(), second);

    assertThat(first.toByteArray()).isEqualTo(second.toByteArray());
  }

  @Test
  void severalRootsShareOneCarAndEachBlockAppearsOnce() throws IOException {
    Block extra = TestBlocks.node(b, TestBlocks.raw("new"));
    store.put(extra);
    store.put(TestBlocks.raw("new"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    new CarExporter(store).export(List.of(sub.cid(), extra.cid()), out);

    CarReader car = CarReader.open(new ByteArrayInputStream(out.toByteArray()));
    assertThat(car.roots()).containsExactly(sub.cid(), extra.cid());
    assertThat(cids(car)).containsExactly(sub.cid(), c.cid(), a.cid(), extra.cid(), b.cid(), TestBlocks.raw("new").cid());
  }

  @Test
  void identityBlocksAreLeftOutButTheirLinksAreFollowed() throws IOException {
    Block inner = TestBlocks.node(c);
    Cid inline = Cid.v1(Multicodec.DAG_PB, Multihash.compute(Multicodec.IDENTITY, inner.data()));
    Block parent = TestBlocks.node(new Block(inline, inner.data()));
    store.put(parent);
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    new CarExporter(store).export(parent.cid(), out);

    assertThat(cids(CarReader.open(new ByteArrayInputStream(out.toByteArray())))).containsExactly(parent.cid(), c.cid());
  }

  @Test
  void theTrustlessGatewayProbeCidExportsAsAHeaderWithoutBlocks() throws IOException {
    Cid probe = Cid.parse("bafkqaaa"); // identity CID of the empty raw block
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    assertThat(new CarExporter(store).export(probe, out)).isZero();

    CarReader car = CarReader.open(new ByteArrayInputStream(out.toByteArray()));
    assertThat(car.roots()).containsExactly(probe);
    assertThat(car.next()).isEmpty();
  }

  @Test
  void aMissingBlockFailsTheExportNamingIt() throws IOException {
    store.delete(c.cid());

    assertThatThrownBy(() -> new CarExporter(store).export(root.cid(), new ByteArrayOutputStream()))
        .isInstanceOf(BlockNotFoundException.class)
        .hasMessageContaining(c.cid().toString());
  }

  @Test
  void aBlockRottenOnDiskIsNeverExported() throws IOException {
    Path file = findBlockFile(b.cid());
    Files.write(file, "bent".getBytes());

    assertThatThrownBy(() -> new CarExporter(store).export(root.cid(), new ByteArrayOutputStream()))
        .isInstanceOf(CorruptBlockException.class)
        .hasMessageContaining(b.cid().toString());
  }

  private Path findBlockFile(Cid cid) {
    String key = Multibase.BASE32_UPPER.encodeBare(cid.multihash().toBytes());
    return dir.resolve("blocks").resolve(key.substring(key.length() - 3, key.length() - 1)).resolve(key + ".data");
  }

  private static List<Cid> cids(CarReader car) throws IOException {
    List<Cid> out = new ArrayList<>();
    for (Optional<Block> next = car.next(); next.isPresent(); next = car.next()) {
      out.add(next.get().cid());
    }
    return out;
  }
}
