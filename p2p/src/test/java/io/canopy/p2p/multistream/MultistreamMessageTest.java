package io.canopy.p2p.multistream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.testing.RandomInputs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class MultistreamMessageTest {
  private static final int MAX = MultistreamMessage.DEFAULT_MAX_MESSAGE_LENGTH;

  private static byte[] encode(String message) {
    ByteBuf buf = Unpooled.buffer();
    try {
      MultistreamMessage.write(message, MAX, buf);
      assertThat(buf.readableBytes()).isEqualTo(MultistreamMessage.encodedLength(message));
      byte[] out = new byte[buf.readableBytes()];
      buf.readBytes(out);
      return out;
    } finally {
      buf.release();
    }
  }

  private static String read(byte[] bytes) throws MultistreamException {
    ByteBuf buf = Unpooled.wrappedBuffer(bytes);
    try {
      return MultistreamMessage.read(buf, MAX);
    } finally {
      buf.release();
    }
  }

  @Test
  void headerHasTheSpecEncoding() {
    // 0x13 = 19 = 18 characters + '\n' (multistream-select README, "/multistream/1.0.0\n").
    assertThat(HexFormat.of().formatHex(encode("/multistream/1.0.0")))
        .isEqualTo("13" + HexFormat.of().formatHex("/multistream/1.0.0\n".getBytes(StandardCharsets.UTF_8)));
    assertThat(encode("na")).containsExactly(3, 'n', 'a', '\n');
  }

  @Test
  void twoByteLengthPrefix() throws Exception {
    String s = "/" + "x".repeat(199); // 200 chars + newline = 201 = 0xc9 0x01
    byte[] b = encode(s);
    assertThat(b[0] & 0xff).isEqualTo(0xc9);
    assertThat(b[1]).isEqualTo((byte) 0x01);
    assertThat(read(b)).isEqualTo(s);
  }

  @Test
  void encodeThenReadGivesTheMessageBack() {
    RandomInputs.forAll(
        0x5eed_0001L,
        500,
        List.of("/", "x", "é", "/ipfs/kad/1.0.0", "/" + "a".repeat(MAX - 2)),
        r -> {
          String s = RandomInputs.bmpString(r, 300).replace('\n', ' ');
          return s.isEmpty() ? "a" : s;
        },
        RandomInputs::describe,
        message -> {
          byte[] bytes = encode(message);
          assertThat(read(bytes)).isEqualTo(message);
          // Every proper prefix is "not yet", and leaves the reader index alone.
          for (int cut = 0; cut < bytes.length; cut++) {
            ByteBuf part = Unpooled.wrappedBuffer(bytes, 0, cut);
            try {
              assertThat(MultistreamMessage.read(part, MAX)).isNull();
              assertThat(part.readerIndex()).isZero();
            } finally {
              part.release();
            }
          }
        });
  }

  @Test
  void readsOneMessageAtATimeAndLeavesTheRest() throws Exception {
    ByteBuf buf = Unpooled.buffer();
    try {
      MultistreamMessage.write("/multistream/1.0.0", MAX, buf);
      MultistreamMessage.write("/noise", MAX, buf);
      buf.writeBytes(new byte[] {1, 2, 3});
      assertThat(MultistreamMessage.read(buf, MAX)).isEqualTo("/multistream/1.0.0");
      assertThat(MultistreamMessage.read(buf, MAX)).isEqualTo("/noise");
      assertThat(buf.readableBytes()).isEqualTo(3);
    } finally {
      buf.release();
    }
  }

  @Test
  void lengthLimitIsInclusive() throws Exception {
    String atLimit = "/" + "a".repeat(MAX - 2); // + '\n' = MAX bytes
    assertThat(read(encode(atLimit))).isEqualTo(atLimit);
    // MAX + 1 announced: rejected from the prefix alone, before the body arrives.
    assertThatThrownBy(() -> read(new byte[] {(byte) 0x81, 0x08}))
        .isInstanceOf(MultistreamException.class)
        .hasMessageContaining("exceeds the limit of 1024");
    assertThatThrownBy(() -> MultistreamMessage.write("/" + "a".repeat(MAX - 1), MAX, Unpooled.buffer()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void garbageIsRejected() {
    assertThatThrownBy(() -> read(new byte[] {0})).hasMessageContaining("empty message");
    assertThatThrownBy(() -> read(new byte[] {3, 'n', 'a', 'x'})).hasMessageContaining("newline");
    assertThatThrownBy(() -> read(new byte[] {3, (byte) 0xc3, 0x28, '\n'})).hasMessageContaining("UTF-8");
    assertThatThrownBy(() -> read(new byte[] {(byte) 0x83, 0x00, 'n', 'a', '\n'}))
        .hasMessageContaining("minimally");
    assertThatThrownBy(() -> read(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0}))
        .isInstanceOf(MultistreamException.class);
    // An HTTP request, say: 'G' = 71 bytes announced, and the 71st of them is not a newline.
    byte[] http = ("GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5\r\nAccept: */*\r\n"
        + "Accept-Encoding: gzip\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    assertThat(http.length).isGreaterThan(72);
    assertThat(http[71]).isNotEqualTo((byte) '\n');
    assertThatThrownBy(() -> read(http)).isInstanceOf(MultistreamException.class).hasMessageContaining("newline");
  }

  @Test
  void writeRefusesWhatIsNotAMessage() {
    ByteBuf buf = Unpooled.buffer();
    try {
      assertThatThrownBy(() -> MultistreamMessage.write("", MAX, buf)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> MultistreamMessage.write("a\nb", MAX, buf)).isInstanceOf(IllegalArgumentException.class);
      assertThat(buf.readableBytes()).isZero();
    } finally {
      buf.release();
    }
  }
}
