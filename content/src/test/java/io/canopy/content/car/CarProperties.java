package io.canopy.content.car;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.block.Blockstore;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** CAR invariants over generated block lists: round trip, and no damage ever gets past the reader. */
class CarProperties {

  @Property(tries = 200)
  void whatIsWrittenIsReadBack(@ForAll("blockLists") List<Block> blocks) throws IOException {
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

  @Property(tries = 200)
  void aCarCutAnywhereEndsCleanlyOrFailsWithACarFormatError(
      @ForAll("blockLists") List<Block> blocks, @ForAll @IntRange(min = 0, max = 1_000_000) int cutSeed) {
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

  @Property(tries = 200)
  void aFlippedByteNeverLandsACorruptBlockInTheStore(
      @ForAll("blockLists") List<Block> blocks,
      @ForAll @IntRange(min = 0, max = 1_000_000) int positionSeed,
      @ForAll @IntRange(min = 1, max = 255) int flip) throws IOException {
    byte[] car = write(blocks);
    car[positionSeed % car.length] ^= (byte) flip;
    Path dir = Files.createTempDirectory("car-flip");
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

  @Provide
  Arbitrary<List<Block>> blockLists() {
    Arbitrary<byte[]> data = Arbitraries.bytes().array(byte[].class).ofMaxSize(600);
    Arbitrary<Block> block = data.flatMap(bytes -> Arbitraries.of(0, 1).map(kind -> kind == 0
        ? Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, bytes)
        : Block.of(0, Multicodec.DAG_PB, Multicodec.SHA2_256, bytes))); // v0 CIDs frame differently
    return block.list().ofMinSize(1).ofMaxSize(12);
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
