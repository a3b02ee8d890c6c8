package io.canopy.gateway.s3.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.testing.RandomInputs;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.checksums.SdkChecksum;

class ChecksumAlgorithmTest {
  private static byte[] of(ChecksumAlgorithm algorithm, byte[] data) {
    ChecksumAlgorithm.Accumulator acc = algorithm.newAccumulator();
    // In two pieces, to exercise running updates.
    acc.update(data, 0, data.length / 2);
    acc.update(data, data.length / 2, data.length - data.length / 2);
    return acc.result();
  }

  /** CRC-64/NVME's check value (CRC catalogue): the CRC of "123456789". */
  @Test
  void crc64NvmeCheckValue() {
    byte[] check = of(ChecksumAlgorithm.CRC64NVME, "123456789".getBytes(StandardCharsets.US_ASCII));
    assertThat(HexFormat.of().formatHex(check)).isEqualTo("ae8b14860a799888");
    assertThat(HexFormat.of().formatHex(of(ChecksumAlgorithm.CRC64NVME, new byte[0]))).isEqualTo("0000000000000000");
  }

  @Test
  void algorithmsAgreeWithTheJdkAndTheSdk() {
    RandomInputs.forAll(11L, 200, RandomInputs.edgeByteArrays(0, 300), random -> RandomInputs.bytes(random, 5000),
        RandomInputs::hex, data -> {
          CRC32 crc32 = new CRC32();
          crc32.update(data);
          CRC32C crc32c = new CRC32C();
          crc32c.update(data);
          assertThat(of(ChecksumAlgorithm.CRC32, data)).isEqualTo(intBytes(crc32.getValue()));
          assertThat(of(ChecksumAlgorithm.CRC32C, data)).isEqualTo(intBytes(crc32c.getValue()));
          assertThat(of(ChecksumAlgorithm.SHA1, data)).isEqualTo(MessageDigest.getInstance("SHA-1").digest(data));
          assertThat(of(ChecksumAlgorithm.SHA256, data)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(data));
          for (var pair : List.of(
              List.of(ChecksumAlgorithm.CRC32, DefaultChecksumAlgorithm.CRC32),
              List.of(ChecksumAlgorithm.CRC32C, DefaultChecksumAlgorithm.CRC32C),
              List.of(ChecksumAlgorithm.SHA256, DefaultChecksumAlgorithm.SHA256))) {
            SdkChecksum sdk = SdkChecksum.forAlgorithm(
                (software.amazon.awssdk.checksums.spi.ChecksumAlgorithm) pair.get(1));
            sdk.update(data, 0, data.length);
            assertThat(of((ChecksumAlgorithm) pair.get(0), data)).isEqualTo(sdk.getChecksumBytes());
          }
        });
  }

  @Test
  void headerNames() {
    assertThat(ChecksumAlgorithm.forHeader("X-Amz-Checksum-CRC32C")).isEqualTo(ChecksumAlgorithm.CRC32C);
    assertThat(ChecksumAlgorithm.forHeader("x-amz-checksum-crc64nvme")).isEqualTo(ChecksumAlgorithm.CRC64NVME);
    assertThat(ChecksumAlgorithm.forHeader("x-amz-checksum-md5")).isNull();
  }

  private static byte[] intBytes(long value) {
    return java.nio.ByteBuffer.allocate(4).putInt((int) value).array();
  }
}
