package io.canopy.content.car;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.Block;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Varint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class CarReaderTest {
  static final byte[] DAG_CAR = HexFormat.of().parseHex(CarVectors.DAG_CAR_HEX);
  /** Where the sections of DAG_CAR start: varint(56) and the 56-byte header. */
  static final int HEADER_END = 1 + 0x38;

  @Test
  void readsACarWrittenByTheJsReference() throws IOException {
    CarReader car = CarReader.open(new ByteArrayInputStream(DAG_CAR));

    assertThat(car.roots()).containsExactly(Cid.parse(CarVectors.ROOT));
    Block first = car.next().orElseThrow();
    assertThat(first.cid()).hasToString(CarVectors.ROOT);
    assertThat(HexFormat.of().formatHex(first.data())).isEqualTo(CarVectors.ROOT_BLOCK_HEX);
    assertThat(car.next().orElseThrow().cid()).hasToString(CarVectors.SUB);
    assertThat(new String(car.next().orElseThrow().data())).isEqualTo("gamma");
    assertThat(new String(car.next().orElseThrow().data())).isEqualTo("alpha");
    assertThat(new String(car.next().orElseThrow().data())).isEqualTo("beta");
    assertThat(car.sectionsRead()).isEqualTo(5);
    assertThat(car.next()).isEmpty();
  }

  @Test
  void anEmptyStreamIsNotACar() {
    assertThatThrownBy(() -> CarReader.open(new ByteArrayInputStream(new byte[0])))
        .isInstanceOf(CarFormatException.class)
        .hasMessage("not a CAR: the stream is empty");
  }

  @Test
  void aHeaderLongerThanTheLimitIsRefusedBeforeReadingIt() {
    byte[] claim = Varint.encode(CarReader.DEFAULT_MAX_HEADER_BYTES + 1);

    assertThatThrownBy(() -> CarReader.open(new ByteArrayInputStream(claim)))
        .isInstanceOf(CarFormatException.class)
        .hasMessage("bad CAR header: length 1048577 exceeds the limit of 1048576 bytes");
  }

  @Test
  void aTruncatedHeaderSaysHowMuchArrived() {
    byte[] cut = Arrays.copyOf(DAG_CAR, 20);

    assertThatThrownBy(() -> CarReader.open(new ByteArrayInputStream(cut)))
        .isInstanceOf(CarFormatException.class)
        .hasMessage("truncated CAR: the header ends after 19 of 56 bytes");
  }

  @Test
  void aTruncatedSectionSaysWhichAndHowMuchArrived() throws IOException {
    // section 1 = varint(0xbb 0x01 = 187) + 187 bytes; section 2 = varint(0x82 0x01 = 130) + 130 bytes
    int section2 = HEADER_END + 2 + 187;
    CarReader car = CarReader.open(new ByteArrayInputStream(Arrays.copyOf(DAG_CAR, section2 + 2 + 10)));
    car.next();

    assertThatThrownBy(car::next)
        .isInstanceOf(CarFormatException.class)
        .hasMessage("truncated CAR: section 2 ends after 10 of 130 bytes");
  }

  @Test
  void aCutInsideASectionLengthIsTruncationToo() throws IOException {
    int section2 = HEADER_END + 2 + 187;
    CarReader car = CarReader.open(new ByteArrayInputStream(Arrays.copyOf(DAG_CAR, section2 + 1)));
    car.next();

    assertThatThrownBy(car::next)
        .isInstanceOf(CarFormatException.class)
        .hasMessage("truncated CAR: the length of section 2 is cut off");
  }

  @Test
  void aCutBetweenSectionsIsACleanEnd() throws IOException {
    int section2 = HEADER_END + 2 + 187;
    CarReader car = CarReader.open(new ByteArrayInputStream(Arrays.copyOf(DAG_CAR, section2)));

    assertThat(car.next()).isPresent();
    assertThat(car.next()).isEmpty();
  }

  @Test
  void aSectionOverTheLimitIsRefusedBeforeReadingIt() throws IOException {
    CarReader car = CarReader.open(new ByteArrayInputStream(DAG_CAR), 1024, 100);

    assertThatThrownBy(car::next)
        .isInstanceOf(CarFormatException.class)
        .hasMessage("bad CAR: section 1 is 187 bytes, over the limit of 100");
  }

  @Test
  void theDefaultSectionLimitLeavesRoomForAFullSizeBlock() {
    assertThat(CarReader.DEFAULT_MAX_SECTION_BYTES).isEqualTo(Block.MAX_SIZE + 1024);
  }

  @Test
  void aSectionMustStartWithACid() throws IOException {
    byte[] car = withSections(new byte[] {5, 0x07, 0x07, 0x07, 0x07, 0x07});

    CarReader reader = CarReader.open(new ByteArrayInputStream(car));
    assertThatThrownBy(reader::next)
        .isInstanceOf(CarFormatException.class)
        .hasMessageStartingWith("bad CAR: section 1 does not start with a valid CID");
  }

  @Test
  void anEmptySectionIsRejected() throws IOException {
    CarReader reader = CarReader.open(new ByteArrayInputStream(withSections(new byte[] {0})));

    assertThatThrownBy(reader::next).isInstanceOf(CarFormatException.class).hasMessage("bad CAR: section 1 is empty (no CID)");
  }

  @Test
  void aNonMinimalSectionLengthIsRejected() throws IOException {
    CarReader reader = CarReader.open(new ByteArrayInputStream(withSections(new byte[] {(byte) 0x85, 0x00})));

    assertThatThrownBy(reader::next).isInstanceOf(CarFormatException.class).hasMessageContaining("section 1").hasMessageContaining("minimally");
  }

  /** The vector's header followed by raw section bytes. */
  static byte[] withSections(byte[] sections) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(DAG_CAR, 0, HEADER_END);
    out.writeBytes(sections);
    return out.toByteArray();
  }
}
