package io.canopy.gateway.s3.auth;

import static io.canopy.gateway.s3.auth.AuthAssertions.assertAuthError;
import static io.canopy.gateway.s3.auth.AuthAssertions.drain;
import static io.canopy.gateway.s3.auth.SdkSigning.request;
import static io.canopy.gateway.s3.auth.SdkSigning.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.canopy.testing.RandomInputs;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.checksums.SdkChecksum;
import software.amazon.awssdk.http.SdkHttpMethod;

/**
 * {@code aws-chunked} bodies as the SDK's signer encodes them: signed chunks, signed chunks with a
 * signed checksum trailer, unsigned chunks with a checksum trailer; decoded, then corrupted.
 */
class StreamingPayloadDecoderTest {
  private static final Map<ChecksumAlgorithm, software.amazon.awssdk.checksums.spi.ChecksumAlgorithm> SDK_ALGORITHMS =
      Map.of(ChecksumAlgorithm.CRC32, DefaultChecksumAlgorithm.CRC32,
          ChecksumAlgorithm.CRC32C, DefaultChecksumAlgorithm.CRC32C,
          ChecksumAlgorithm.CRC64NVME, DefaultChecksumAlgorithm.CRC64NVME,
          ChecksumAlgorithm.SHA1, DefaultChecksumAlgorithm.SHA1,
          ChecksumAlgorithm.SHA256, DefaultChecksumAlgorithm.SHA256);

  /** The SDK signs {@code data} as a chunked PUT in {@code mode} with {@code checksum} (or none). */
  static SdkSigning.Signed chunkedPut(byte[] data, PayloadMode mode, ChecksumAlgorithm checksum) {
    boolean unsigned = mode == PayloadMode.STREAMING_UNSIGNED_TRAILER;
    SdkSigning.Signed signed = sign(
        request(SdkHttpMethod.PUT, "/bucket/big%20object.bin").protocol(unsigned ? "https" : "http")
            .putHeader("Content-Length", Integer.toString(data.length)).build(),
        data, p -> {
          p.chunkEncoding(true).payloadSigning(!unsigned);
          if (checksum != null) {
            p.checksum(SDK_ALGORITHMS.get(checksum));
          }
        });
    assertThat(signed.head().header("x-amz-content-sha256")).isEqualTo(mode.headerValue());
    return signed;
  }

  static AuthResult verify(SdkSigning.Signed signed) throws S3AuthException {
    return SigV4HeaderAuthTest.verifier().verify(signed.head());
  }

  static byte[] decode(AuthResult result, byte[] raw, int readSize) throws IOException {
    return drain(result.verifiedBody(new ByteArrayInputStream(raw)), readSize);
  }

  private static byte[] data(int size, long seed) {
    return RandomInputs.bytesOfSize(new SplittableRandom(seed), size);
  }

  @Test
  void signedChunksChainFromTheSeedSignature() throws Exception {
    byte[] data = data(300_000, 1); // three chunks of the SDK's 128 KiB and a short one
    SdkSigning.Signed put = chunkedPut(data, PayloadMode.STREAMING_SIGNED, null);
    AuthResult result = verify(put);
    assertThat(result.mode()).isEqualTo(PayloadMode.STREAMING_SIGNED);
    assertThat(result.streaming().decodedContentLength()).isEqualTo(300_000);
    assertThat(result.dataLength(put.body().length)).isEqualTo(300_000);
    for (int readSize : new int[] {1, 7, 8192, 1 << 20}) {
      assertThat(decode(result, put.body(), readSize)).isEqualTo(data);
    }

    // Swap the first two (equal-sized) chunks: each is well signed, but not in that place.
    List<int[]> chunks = chunkBounds(put.body());
    assertThat(chunks).hasSizeGreaterThanOrEqualTo(3);
    int[] first = chunks.get(0);
    int[] second = chunks.get(1);
    assertThat(first[1] - first[0]).isEqualTo(second[1] - second[0]);
    byte[] swapped = put.body().clone();
    System.arraycopy(put.body(), second[0], swapped, first[0], second[1] - second[0]);
    System.arraycopy(put.body(), first[0], swapped, second[0], first[1] - first[0]);
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> decode(result, swapped, 8192));

    // A chunk signature replaced by another valid-looking one.
    String body = new String(put.body(), StandardCharsets.ISO_8859_1);
    Matcher m = Pattern.compile("chunk-signature=([0-9a-f]{64})").matcher(body);
    assertThat(m.find()).isTrue();
    byte[] forged = body.replaceFirst(m.group(1), "0".repeat(64)).getBytes(StandardCharsets.ISO_8859_1);
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> decode(result, forged, 8192));
  }

  /** [start, end) of every chunk (header line to its data's CRLF) in an encoded body. */
  private static List<int[]> chunkBounds(byte[] body) {
    List<int[]> bounds = new java.util.ArrayList<>();
    int pos = 0;
    while (true) {
      int eol = indexOf(body, pos, "\r\n");
      String header = new String(body, pos, eol - pos, StandardCharsets.ISO_8859_1);
      int size = Integer.parseInt(header.split(";")[0], 16);
      if (size == 0) {
        return bounds;
      }
      int end = eol + 2 + size + 2;
      bounds.add(new int[] {pos, end});
      pos = end;
    }
  }

  private static int indexOf(byte[] body, int from, String s) {
    byte[] needle = s.getBytes(StandardCharsets.ISO_8859_1);
    outer:
    for (int i = from; i <= body.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (body[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  // The SDK computes CRC64NVME only with the AWS CRT, which is not a dependency here;
  // ChecksumAlgorithmTest checks our CRC64NVME against the published check value.
  @ParameterizedTest
  @EnumSource(value = ChecksumAlgorithm.class, mode = EnumSource.Mode.EXCLUDE, names = "CRC64NVME")
  void signedChunksWithASignedChecksumTrailer(ChecksumAlgorithm algorithm) throws Exception {
    byte[] data = data(200_000, 2);
    SdkSigning.Signed put = chunkedPut(data, PayloadMode.STREAMING_SIGNED_TRAILER, algorithm);
    assertThat(put.head().header("x-amz-trailer")).isEqualTo(algorithm.headerName());
    AuthResult result = verify(put);
    assertThat(result.streaming().trailingChecksum()).isEqualTo(algorithm);
    StreamingPayloadDecoder decoder = result.streaming().decoder(new ByteArrayInputStream(put.body()));
    assertThat(drain(decoder, 5000)).isEqualTo(data);
    assertThat(decoder.verifiedTrailingChecksum()).isEqualTo(sdkChecksum(algorithm, data));

    // The trailer is signed: a forged checksum (even the right one for forged data) fails.
    byte[] forged = replaceTrailerValue(put.body(), algorithm, otherChecksum(algorithm, data));
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> decode(result, forged, 5000));
    byte[] flipped = put.body().clone();
    flipped[flipped.length / 2] ^= 0x40;
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> decode(result, flipped, 5000));
  }

  // The SDK computes CRC64NVME only with the AWS CRT, which is not a dependency here;
  // ChecksumAlgorithmTest checks our CRC64NVME against the published check value.
  @ParameterizedTest
  @EnumSource(value = ChecksumAlgorithm.class, mode = EnumSource.Mode.EXCLUDE, names = "CRC64NVME")
  void unsignedChunksWithAChecksumTrailer(ChecksumAlgorithm algorithm) throws Exception {
    byte[] data = data(200_000, 3);
    SdkSigning.Signed put = chunkedPut(data, PayloadMode.STREAMING_UNSIGNED_TRAILER, algorithm);
    AuthResult result = verify(put);
    assertThat(result.mode()).isEqualTo(PayloadMode.STREAMING_UNSIGNED_TRAILER);
    StreamingPayloadDecoder decoder = result.streaming().decoder(new ByteArrayInputStream(put.body()));
    assertThat(drain(decoder, 1)).isEqualTo(data);
    assertThat(decoder.verifiedTrailingChecksum()).isEqualTo(sdkChecksum(algorithm, data));

    byte[] flipped = put.body().clone();
    flipped[flipped.length / 2] ^= 0x01;
    assertAuthError(S3AuthException.BAD_DIGEST, () -> decode(result, flipped, 4096));
    byte[] wrong = replaceTrailerValue(put.body(), algorithm, otherChecksum(algorithm, data));
    assertAuthError(S3AuthException.BAD_DIGEST, () -> decode(result, wrong, 4096));
    byte[] garbage = replaceTrailerValue(put.body(), algorithm, "not*base64");
    assertAuthError(S3AuthException.INVALID_DIGEST, () -> decode(result, garbage, 4096));
    byte[] tooShort = replaceTrailerValue(put.body(), algorithm, "AAA=");
    assertAuthError(S3AuthException.INVALID_DIGEST, () -> decode(result, tooShort, 4096));
  }

  @Test
  void emptyBodies() throws Exception {
    for (PayloadMode mode : List.of(PayloadMode.STREAMING_SIGNED, PayloadMode.STREAMING_SIGNED_TRAILER,
        PayloadMode.STREAMING_UNSIGNED_TRAILER)) {
      ChecksumAlgorithm checksum = mode.hasTrailer() ? ChecksumAlgorithm.CRC32 : null;
      SdkSigning.Signed put = chunkedPut(new byte[0], mode, checksum);
      assertThat(decode(verify(put), put.body(), 10)).isEmpty();
    }
  }

  @Test
  void theDeclaredLengthsAreHeld() throws Exception {
    byte[] data = data(1000, 4);
    SdkSigning.Signed put = chunkedPut(data, PayloadMode.STREAMING_SIGNED, null);
    // x-amz-decoded-content-length is signed.
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
        () -> verify(put.withHeader("x-amz-decoded-content-length", "999")));
    assertAuthError(S3AuthException.MISSING_CONTENT_LENGTH,
        () -> verify(put.withHeader("x-amz-decoded-content-length", null)));
    assertAuthError(S3AuthException.INVALID_ARGUMENT,
        () -> verify(put.withHeader("x-amz-decoded-content-length", "-1")));
    // Against a payload description that says otherwise, the decoder holds the declared length.
    SdkSigning.Signed unsigned = chunkedPut(data, PayloadMode.STREAMING_UNSIGNED_TRAILER, ChecksumAlgorithm.CRC32);
    assertAuthError(S3AuthException.INCOMPLETE_BODY, () -> drain(unsignedPayload(1001, ChecksumAlgorithm.CRC32)
        .decoder(new ByteArrayInputStream(unsigned.body())), 100));
    assertAuthError(S3AuthException.INVALID_REQUEST, () -> drain(unsignedPayload(999, ChecksumAlgorithm.CRC32)
        .decoder(new ByteArrayInputStream(unsigned.body())), 100));
    // Data after the final chunk.
    byte[] extra = Arrays.copyOf(put.body(), put.body().length + 1);
    AuthResult result = verify(put);
    assertAuthError(S3AuthException.INVALID_REQUEST, () -> decode(result, extra, 100));
    // A declared trailer that never comes.
    byte[] noTrailer = new String(unsigned.body(), StandardCharsets.ISO_8859_1)
        .replaceAll("x-amz-checksum-crc32:[^\r]*\r\n", "").getBytes(StandardCharsets.ISO_8859_1);
    AuthResult unsignedResult = verify(unsigned);
    assertAuthError(S3AuthException.INVALID_REQUEST, () -> decode(unsignedResult, noTrailer, 100));
    // An undeclared trailer name.
    assertAuthError(S3AuthException.INVALID_REQUEST,
        () -> verify(chunkedPut(data, PayloadMode.STREAMING_UNSIGNED_TRAILER, ChecksumAlgorithm.CRC32)
            .withHeader("x-amz-trailer", "x-amz-checksum-md5")));
  }

  private static StreamingPayload unsignedPayload(long decodedLength, ChecksumAlgorithm checksum) {
    return new StreamingPayload(PayloadMode.STREAMING_UNSIGNED_TRAILER, decodedLength, checksum, null,
        S3AuthConfig.DEFAULT_MAX_CHUNK_HEADER_LENGTH, S3AuthConfig.DEFAULT_MAX_TRAILER_LENGTH);
  }

  /** Endless input, counting what was taken from it. */
  private static class EndlessInput extends InputStream {
    private final byte[] prefix;
    private final byte fill;
    long consumed;

    EndlessInput(String prefix, char fill) {
      this.prefix = prefix.getBytes(StandardCharsets.ISO_8859_1);
      this.fill = (byte) fill;
    }

    @Override
    public int read() {
      if (consumed < prefix.length) {
        return prefix[(int) consumed++] & 0xff;
      }
      consumed++;
      return fill & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      for (int i = 0; i < len; i++) {
        b[off + i] = (byte) read();
      }
      return len;
    }
  }

  @Test
  void headerAndTrailerLinesAreBounded() {
    StreamingPayload payload = unsignedPayload(Long.MAX_VALUE / 2, null);
    EndlessInput endlessHeader = new EndlessInput("", '1');
    assertAuthError(S3AuthException.INVALID_REQUEST, () -> drain(payload.decoder(endlessHeader), 100));
    assertThat(endlessHeader.consumed).isLessThan(S3AuthConfig.DEFAULT_MAX_CHUNK_HEADER_LENGTH + 8192 + 1);

    EndlessInput endlessExtension = new EndlessInput("10;", 'x');
    assertAuthError(S3AuthException.INVALID_REQUEST, () -> drain(payload.decoder(endlessExtension), 100));

    StreamingPayload withTrailer = unsignedPayload(0, ChecksumAlgorithm.CRC32);
    EndlessInput endlessTrailer = new EndlessInput("0\r\nx-amz-checksum-crc32:AAAAAA==\r\n", 'x');
    assertAuthError(S3AuthException.INVALID_REQUEST, () -> drain(withTrailer.decoder(endlessTrailer), 100));
    assertThat(endlessTrailer.consumed).isLessThan(S3AuthConfig.DEFAULT_MAX_TRAILER_LENGTH + 8192 + 64);
    EndlessInput manyTrailerLines = new EndlessInput("0\r\n", 'x') {
      private int n;

      @Override
      public int read() {
        int b = super.read();
        return consumed > 3 && ++n % 10 == 0 ? '\n' : b;
      }
    };
    assertAuthError(S3AuthException.INVALID_REQUEST, () -> drain(withTrailer.decoder(manyTrailerLines), 100));

    // Chunk sizes past what any length could hold, and malformed ones.
    for (String header : List.of("ffffffffffffffff\r\n", "1g\r\n", "\r\n", " 10\r\n", "10\n")) {
      assertAuthError(S3AuthException.INVALID_REQUEST,
          () -> drain(payload.decoder(new ByteArrayInputStream(header.getBytes(StandardCharsets.ISO_8859_1))), 10));
    }
  }

  /**
   * The safety property: whatever one byte of an encoded body is changed to, and wherever the
   * body is cut short, the decoder either throws an S3AuthException or returns exactly the data
   * that was signed — it never completes with other data.
   */
  @Test
  void noCorruptionOrTruncationYieldsOtherData() {
    PayloadMode[] modes = {PayloadMode.STREAMING_SIGNED, PayloadMode.STREAMING_SIGNED_TRAILER,
      PayloadMode.STREAMING_UNSIGNED_TRAILER};
    RandomInputs.forAll(0xC4A1_7EDL, 60, List.of(), random -> {
      byte[] data = RandomInputs.bytes(random, 0, 300_000);
      PayloadMode mode = modes[random.nextInt(modes.length)];
      ChecksumAlgorithm[] sdkAlgorithms = {ChecksumAlgorithm.CRC32, ChecksumAlgorithm.CRC32C,
        ChecksumAlgorithm.SHA1, ChecksumAlgorithm.SHA256};
      ChecksumAlgorithm checksum = mode.hasTrailer() ? sdkAlgorithms[random.nextInt(sdkAlgorithms.length)] : null;
      return new Object[] {data, mode, checksum, random.nextLong()};
    }, input -> input[1] + " " + input[2] + " " + ((byte[]) input[0]).length + " bytes", input -> {
      byte[] data = (byte[]) input[0];
      SdkSigning.Signed put = chunkedPut(data, (PayloadMode) input[1], (ChecksumAlgorithm) input[2]);
      AuthResult result = verify(put);
      SplittableRandom random = new SplittableRandom((Long) input[3]);
      byte[] body = put.body();
      assertThat(decode(result, body, 1 + random.nextInt(70_000))).isEqualTo(data);
      for (int i = 0; i < 20; i++) {
        byte[] corrupt = body.clone();
        int at = random.nextInt(corrupt.length);
        // Near the end (trailer, final chunk) as often as anywhere else.
        if (random.nextBoolean()) {
          at = Math.max(0, corrupt.length - 1 - random.nextInt(Math.min(corrupt.length, 200)));
        }
        byte replacement;
        do {
          replacement = (byte) random.nextInt(256);
        } while (replacement == corrupt[at]);
        corrupt[at] = replacement;
        assertSameDataOrAuthFailure(result, corrupt, data, random.nextInt(1, 10_000));
        byte[] cut = Arrays.copyOf(body, random.nextInt(body.length));
        assertSameDataOrAuthFailure(result, cut, data, random.nextInt(1, 10_000));
      }
    });
  }

  private static void assertSameDataOrAuthFailure(AuthResult result, byte[] raw, byte[] data, int readSize) {
    byte[][] out = new byte[1][];
    Throwable thrown = catchThrowable(() -> out[0] = decode(result, raw, readSize));
    if (thrown == null) {
      assertThat(out[0]).as("decoder completed, so the data must be what was signed").isEqualTo(data);
    } else {
      assertThat(thrown).isInstanceOf(S3AuthException.class);
    }
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static String sdkChecksum(ChecksumAlgorithm algorithm, byte[] data) {
    SdkChecksum checksum = SdkChecksum.forAlgorithm(SDK_ALGORITHMS.get(algorithm));
    checksum.update(data, 0, data.length);
    return Base64.getEncoder().encodeToString(checksum.getChecksumBytes());
  }

  /** A valid checksum of this algorithm, but of other data. */
  private static String otherChecksum(ChecksumAlgorithm algorithm, byte[] data) {
    byte[] other = data.clone();
    other[0] ^= 1;
    return sdkChecksum(algorithm, other);
  }

  private static byte[] replaceTrailerValue(byte[] body, ChecksumAlgorithm algorithm, String value) {
    String s = new String(body, StandardCharsets.ISO_8859_1);
    String replaced = s.replaceFirst(Pattern.quote(algorithm.headerName()) + ":[^\r\n]*",
        algorithm.headerName() + ":" + Matcher.quoteReplacement(value));
    assertThat(replaced).isNotEqualTo(s);
    return replaced.getBytes(StandardCharsets.ISO_8859_1);
  }
}
