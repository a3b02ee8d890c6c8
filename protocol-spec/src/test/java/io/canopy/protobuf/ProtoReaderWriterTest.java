package io.canopy.protobuf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ProtoReaderWriterTest {
  @Test
  void writesTheWireFormatOfTheProtobufGuideExamples() {
    // protobuf.dev encoding guide: field 1 = 150 → 08 96 01; field 2 = "testing" → 12 07 74 65 73 74 69 6e 67
    assertThat(new ProtoWriter().varint(1, 150).toByteArray()).isEqualTo(HexFormat.of().parseHex("089601"));
    assertThat(new ProtoWriter().string(2, "testing").toByteArray()).isEqualTo(HexFormat.of().parseHex("120774657374696e67"));
  }

  @Test
  void readsBackEveryKindOfField() {
    byte[] msg = new ProtoWriter()
        .varint(1, Long.MAX_VALUE)
        .string(2, "héllo")
        .fixed32(3, 0xdeadbeef)
        .bool(4, true)
        .message(5, new ProtoWriter().varint(1, 7))
        .varint(1000, 42)
        .toByteArray();
    ProtoReader r = new ProtoReader(msg);
    assertThat(r.next()).isTrue();
    assertThat(r.varint()).isEqualTo(Long.MAX_VALUE);
    assertThat(r.next()).isTrue();
    assertThat(r.string()).isEqualTo("héllo");
    assertThat(r.next()).isTrue();
    assertThat(r.fixed32()).isEqualTo(0xdeadbeef);
    assertThat(r.next()).isTrue();
    assertThat(r.bool()).isTrue();
    assertThat(r.next()).isTrue();
    ProtoReader nested = new ProtoReader(r.bytes());
    assertThat(nested.next()).isTrue();
    assertThat(nested.varint()).isEqualTo(7);
    assertThat(r.next()).isTrue();
    assertThat(r.field()).isEqualTo(1000);
    r.skip();
    assertThat(r.next()).isFalse();
  }

  @Test
  void hostileInputFailsWithAReasonAndAllocatesNothingBig() {
    byte[] hugeLength = HexFormat.of().parseHex("0affffffff0f00");
    ProtoReader r = new ProtoReader(hugeLength);
    r.next();
    assertThatThrownBy(r::bytes).isInstanceOf(ProtoException.class).hasMessageContaining("runs past the end");
    ProtoReader wrongType = new ProtoReader(new ProtoWriter().varint(1, 5).toByteArray());
    wrongType.next();
    assertThatThrownBy(wrongType::bytes).isInstanceOf(ProtoException.class).hasMessageContaining("wire type");
    ProtoReader badUtf8 = new ProtoReader(new ProtoWriter().bytes(1, new byte[] {(byte) 0xff}).toByteArray());
    badUtf8.next();
    assertThatThrownBy(badUtf8::string).isInstanceOf(ProtoException.class).hasMessageContaining("UTF-8");
    ProtoReader longVarint = new ProtoReader(HexFormat.of().parseHex("08ffffffffffffffffffffff01"));
    longVarint.next();
    assertThatThrownBy(longVarint::varint).isInstanceOf(ProtoException.class);
    assertThatThrownBy(() -> new ProtoReader(new byte[] {0x00}).next()).isInstanceOf(ProtoException.class).hasMessageContaining("field number");
  }
}
