package io.canopy.content.car;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.Block;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.dag.TestBlocks;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CarImporterTest {
  static final byte[] DAG_CAR = HexFormat.of().parseHex(CarVectors.DAG_CAR_HEX);
  static final Cid A = TestBlocks.raw("alpha").cid();
  static final Cid B = TestBlocks.raw("beta").cid();
  static final Cid C = TestBlocks.raw("gamma").cid();

  @TempDir Path dir;
  FileBlockstore store;
  CarImporter importer;

  @BeforeEach
  void open() throws IOException {
    store = FileBlockstore.open(dir.resolve("blocks"));
    importer = new CarImporter(store);
  }

  @Test
  void importsEveryBlockOfAReferenceCar() throws IOException {
    CarImportResult result = importer.importCar(new ByteArrayInputStream(DAG_CAR));

    assertThat(result.roots()).containsExactly(Cid.parse(CarVectors.ROOT));
    assertThat(result.blockCount()).isEqualTo(5);
    for (Cid cid : List.of(Cid.parse(CarVectors.ROOT), Cid.parse(CarVectors.SUB), A, B, C)) {
      assertThat(store.getVerified(cid)).isNotNull();
    }
  }

  @Test
  void exportThenImportRoundTripsTheDag() throws IOException {
    importer.importCar(new ByteArrayInputStream(DAG_CAR));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new CarExporter(store).export(Cid.parse(CarVectors.ROOT), out);

    FileBlockstore other = FileBlockstore.open(dir.resolve("other"));
    new CarImporter(other).importCar(new ByteArrayInputStream(out.toByteArray()));

    assertThat(keys(other)).containsExactlyInAnyOrderElementsOf(keys(store));
  }

  @Test
  void aCorruptBlockFailsTheImportKeepingTheVerifiedBlocksBeforeIt() throws IOException {
    byte[] car = DAG_CAR.clone();
    int gamma = indexOf(car, "gamma".getBytes()); // the data of section 3
    car[gamma] = 'G';

    assertThatThrownBy(() -> importer.importCar(new ByteArrayInputStream(car)))
        .isInstanceOf(CarFormatException.class)
        .hasMessage("block " + C + " in CAR does not match its hash (section 3)");

    assertThat(store.has(Cid.parse(CarVectors.ROOT))).isTrue(); // sections 1 and 2: valid, kept
    assertThat(store.has(Cid.parse(CarVectors.SUB))).isTrue();
    assertThat(store.has(C)).isFalse(); // the corrupt one is never stored
    assertThat(store.has(A)).isFalse(); // nothing after it is read
    assertThat(store.has(B)).isFalse();
  }

  @Test
  void aTruncatedCarFailsTheImport() throws IOException {
    byte[] car = Arrays.copyOf(DAG_CAR, DAG_CAR.length - 2);

    assertThatThrownBy(() -> importer.importCar(new ByteArrayInputStream(car)))
        .isInstanceOf(CarFormatException.class)
        .hasMessage("truncated CAR: section 5 ends after 38 of 40 bytes");
    assertThat(store.has(A)).isTrue();
    assertThat(store.has(B)).isFalse();
  }

  @Test
  void aBlockHashedWithAnUnverifiableFunctionIsRefused() throws IOException {
    Cid cid = Cid.v1(Multicodec.RAW, Multihash.of(Multicodec.BLAKE2B_256.code(), new byte[32]));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CarWriter.open(out, List.of(cid)).write(cid, "data".getBytes());

    assertThatThrownBy(() -> importer.importCar(new ByteArrayInputStream(out.toByteArray())))
        .isInstanceOf(CarFormatException.class)
        .hasMessageContaining("blake2b-256")
        .hasMessageContaining("cannot verify");
  }

  @Test
  void aBlockOverTheSizeLimitIsRefused() throws IOException {
    Block big = TestBlocks.raw(new byte[Block.MAX_SIZE + 1]);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CarWriter.open(out, List.of(big.cid())).write(big);

    assertThatThrownBy(() -> importer.importCar(new ByteArrayInputStream(out.toByteArray())))
        .isInstanceOf(CarFormatException.class)
        .hasMessageContaining(big.cid().toString())
        .hasMessageContaining("over the 2097152-byte block limit");
  }

  @Test
  void identityBlocksAreCheckedAndNeedNoStorage() throws IOException {
    Cid inline = Cid.v1(Multicodec.RAW, Multihash.compute(Multicodec.IDENTITY, "tiny".getBytes()));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CarWriter.open(out, List.of(inline)).write(inline, "tiny".getBytes());

    assertThat(importer.importCar(new ByteArrayInputStream(out.toByteArray())).blockCount()).isEqualTo(1);
    assertThat(keys(store)).isEmpty();
    assertThat(store.get(inline)).isEqualTo("tiny".getBytes());
  }

  private static List<Cid> keys(FileBlockstore store) throws IOException {
    try (Stream<Cid> keys = store.keys()) {
      return keys.toList();
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }
}
