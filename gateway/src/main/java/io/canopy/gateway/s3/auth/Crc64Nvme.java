package io.canopy.gateway.s3.auth;

import java.util.zip.Checksum;

/**
 * CRC-64/NVME (NVM Express base specification; S3's {@code CRC64NVME}): polynomial
 * 0xAD93D23594C93659, reflected in and out, initial value and final XOR all ones. The check value
 * of "123456789" is 0xAE8B14860A799888.
 */
final class Crc64Nvme implements Checksum {
  private static final long POLYNOMIAL_REFLECTED = Long.reverse(0xAD93D23594C93659L);
  private static final long[] TABLE = new long[256];

  static {
    for (int i = 0; i < 256; i++) {
      long crc = i;
      for (int bit = 0; bit < 8; bit++) {
        crc = (crc & 1) != 0 ? (crc >>> 1) ^ POLYNOMIAL_REFLECTED : crc >>> 1;
      }
      TABLE[i] = crc;
    }
  }

  private long crc = -1L;

  @Override
  public void update(int b) {
    crc = TABLE[(int) ((crc ^ b) & 0xff)] ^ (crc >>> 8);
  }

  @Override
  public void update(byte[] bytes, int offset, int length) {
    long c = crc;
    for (int i = offset, end = offset + length; i < end; i++) {
      c = TABLE[(int) ((c ^ bytes[i]) & 0xff)] ^ (c >>> 8);
    }
    crc = c;
  }

  @Override
  public long getValue() {
    return ~crc;
  }

  @Override
  public void reset() {
    crc = -1L;
  }
}
