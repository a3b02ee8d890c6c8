package io.canopy.content.car;

import static io.canopy.testing.RandomInputs.bytes;
import static io.canopy.testing.RandomInputs.forAll;
import static io.canopy.testing.RandomInputs.hex;
import static io.canopy.testing.RandomInputs.intBetween;
import static io.canopy.testing.RandomInputs.listOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.block.Blockstore;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.testing.RandomInputs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * CAR invariants over generated block lists (fixed seeds): round trip, and no damage ever gets past
 * the reader.
 */
class CarPropertiesTest {
  /**
   * Where the flip property puts its throwaway stores: RAM-backed /dev/shm when there is one (the
   * store fsyncs every block, which on a disk makes each case cost tens of milliseconds), else the
   * default temp folder.
   */
  private static final Path SCRATCH = scratchFolder();

  private record Cut(List<Block> blocks, int cutSeed) {}

  private record Flip(List<Block> blocks, int positionSeed, int flip) {}

  @Test
  void whatIsWrittenIsReadBack() {
    forAll(0xca7L, 200, blockListEdgeCases(), CarPropertiesTest::blockList, CarPropertiesTest::describe,
        CarPropertiesTest::checkWhatIsWrittenIsReadBack);
  }

  private static void checkWhatIsWrittenIsReadBack(List<Block> blocks) throws IOException {
    byte[] car = write(blocks);

    CarReader reader = CarReader.open(new ByteArrayInputStream(car));

    assertThat(reader.roots()).containsExactly(blocks.get(0).cid());
    List<Block> read = readAll(reader);
    assertThat(read).hasSameSizeAs(blocks);
    for (int i = 0; i < blocks.size(); i++) {
      assertThat(read.get(i).cid()).isEqualTo(blocks.get(i).cid());
      assertThat(read.get(i).data()).isEqualTo(blocks.get(i).data());
    }
  }

  @Test
  void aCarCutAnywhereEndsCleanlyOrFailsWithACarFormatError() {
    List<Cut> edges = new ArrayList<>();
    for (List<Block> blocks : blockListEdgeCases()) {
      for (int cutSeed : new int[] {0, 1, 999_999, 1_000_000}) {
        edges.add(new Cut(blocks, cutSeed));
      }
    }
    forAll(0xc07L, 200, edges,
        r -> new Cut(blockList(r), intBetween(r, 0, 1_000_000)),
        c -> "cutSeed=" + c.cutSeed() + " blocks=" + describe(c.blocks()),
        c -> checkCut(c.blocks(), c.cutSeed()));
  }

  private static void checkCut(List<Block> blocks, int cutSeed) {
    byte[] car = write(blocks);
    byte[] cut = Arrays.copyOf(car, cutSeed % car.length);

    try {
      List<Block> read = readAll(CarReader.open(new ByteArrayInputStream(cut)));
      // Only a cut exactly between sections reads cleanly, and then it yields a prefix of the blocks.
      assertThat(read.size()).isLessThan(blocks.size());
      for (int i = 0; i < read.size(); i++) {
        assertThat(read.get(i).cid()).isEqualTo(blocks.get(i).cid());
      }
    } catch (IOException e) {
      assertThat(e).isInstanceOf(CarFormatException.class);
      assertThat(e.getMessage()).containsAnyOf("truncated CAR", "not a CAR");
    }
  }

  @Test
  void aFlippedByteNeverLandsACorruptBlockInTheStore() {
    // Each edge block list with each edge position and each edge flip (paired, not crossed: every
    // case costs a store on disk).
    List<Flip> edges = new ArrayList<>();
    for (List<Block> blocks : blockListEdgeCases()) {
      edges.add(new Flip(blocks, 0, 1));
      edges.add(new Flip(blocks, 1, 0x80));
      edges.add(new Flip(blocks, 1_000_000, 255));
    }
    forAll(0xf11bL, 200, edges,
        r -> new Flip(blockList(r), intBetween(r, 0, 1_000_000), intBetween(r, 1, 255)),
        f -> "positionSeed=" + f.positionSeed() + " flip=" + f.flip() + " blocks=" + describe(f.blocks()),
        f -> checkFlip(f.blocks(), f.positionSeed(), f.flip()));
  }

  private static void checkFlip(List<Block> blocks, int positionSeed, int flip) throws IOException {
    byte[] car = write(blocks);
    car[positionSeed % car.length] ^= (byte) flip;
    Path dir = Files.createTempDirectory(SCRATCH, "car-flip");
    try {
      Blockstore store = FileBlockstore.open(dir);
      try {
        new CarImporter(store).importCar(new ByteArrayInputStream(car));
      } catch (CarFormatException expected) {
        // most flips are caught; the rest change a root or a length and still read consistently
      }
      try (Stream<Cid> keys = store.keys()) {
        for (Cid key : keys.toList()) {
          assertThat(new Block(key, store.get(key)).isValid()).as("stored block %s", key).isTrue();
        }
      }
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted((x, y) -> y.compareTo(x)).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  /** One to 12 blocks of up to 600 bytes, each a v1 raw block or a v0 DAG-PB one (v0 CIDs frame differently). */
  private static List<Block> blockList(SplittableRandom r) {
    return listOf(r, 1, 12, b -> block(bytes(b, 600), b.nextBoolean()));
  }

  private static Block block(byte[] bytes, boolean v0) {
    return v0
        ? Block.of(0, Multicodec.DAG_PB, Multicodec.SHA2_256, bytes)
        : Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, bytes);
  }

  /** Single empty, single full-size, and 12-block lists of both kinds, and one alternating. */
  private static List<List<Block>> blockListEdgeCases() {
    List<List<Block>> edges = new ArrayList<>();
    byte[] full = new byte[600];
    Arrays.fill(full, (byte) 0xff);
    for (boolean v0 : new boolean[] {false, true}) {
      edges.add(List.of(block(new byte[0], v0)));
      edges.add(List.of(block(new byte[] {0}, v0)));
      edges.add(List.of(block(full, v0)));
      List<Block> twelve = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        twelve.add(block(new byte[] {(byte) i}, v0));
      }
      edges.add(twelve);
    }
    List<Block> mixed = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      mixed.add(block(i % 3 == 0 ? new byte[0] : full, i % 2 == 0));
    }
    edges.add(mixed);
    return edges;
  }

  private static String describe(List<Block> blocks) {
    return blocks.stream()
        .map(b -> "\n    " + b.cid() + " data=" + hex(b.data()))
        .collect(Collectors.joining("", blocks.size() + " blocks:", ""));
  }

  private static Path scratchFolder() {
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      return shm;
    }
    return Path.of(System.getProperty("java.io.tmpdir"));
  }

  private static byte[] write(List<Block> blocks) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CarWriter writer = CarWriter.open(out, List.of(blocks.get(0).cid()));
      for (Block b : blocks) {
        writer.write(b);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static List<Block> readAll(CarReader reader) throws IOException {
    List<Block> out = new ArrayList<>();
    for (Optional<Block> next = reader.next(); next.isPresent(); next = reader.next()) {
      out.add(next.get());
    }
    return out;
  }
}
