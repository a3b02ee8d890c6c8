package io.canopy.gateway.s3.auth;

import java.io.InputStream;
import java.util.Objects;

/**
 * What a verified {@code aws-chunked} request says about its body: the payload mode, the length
 * of the data once decoded ({@code x-amz-decoded-content-length}), the trailing checksum it
 * declared ({@code x-amz-trailer}) and, for signed chunks, the seed the chunk signatures chain
 * from. {@link #decoder} reads such a body.
 */
public final class StreamingPayload {
  /** What chunk and trailer signatures are computed from (the signing key stays in here). */
  record ChunkSigningSeed(byte[] signingKey, String amzDate, String scope, String seedSignature) {
    @Override
    public String toString() {
      return "ChunkSigningSeed[amzDate=" + amzDate + ", scope=" + scope + ", seedSignature=" + seedSignature + "]";
    }
  }

  private final PayloadMode mode;
  private final long decodedContentLength;
  private final ChecksumAlgorithm trailingChecksum;
  private final ChunkSigningSeed seed;
  private final int maxChunkHeaderLength;
  private final int maxTrailerLength;

  StreamingPayload(
      PayloadMode mode, long decodedContentLength, ChecksumAlgorithm trailingChecksum, ChunkSigningSeed seed,
      int maxChunkHeaderLength, int maxTrailerLength) {
    if (!mode.isStreaming()) {
      throw new IllegalArgumentException("not a streaming mode: " + mode);
    }
    if (mode.hasChunkSignatures() != (seed != null)) {
      throw new IllegalArgumentException(mode + " with seed " + seed);
    }
    if (trailingChecksum != null && !mode.hasTrailer()) {
      throw new IllegalArgumentException(mode + " has no trailer for " + trailingChecksum);
    }
    this.mode = mode;
    this.decodedContentLength = decodedContentLength;
    this.trailingChecksum = trailingChecksum;
    this.seed = seed;
    this.maxChunkHeaderLength = maxChunkHeaderLength;
    this.maxTrailerLength = maxTrailerLength;
  }

  public PayloadMode mode() {
    return mode;
  }

  /** The number of data bytes the chunks must carry in all. */
  public long decodedContentLength() {
    return decodedContentLength;
  }

  /** The checksum the trailer must carry, from {@code x-amz-trailer}; null if none was declared. */
  public ChecksumAlgorithm trailingChecksum() {
    return trailingChecksum;
  }

  ChunkSigningSeed seed() {
    return seed;
  }

  int maxChunkHeaderLength() {
    return maxChunkHeaderLength;
  }

  int maxTrailerLength() {
    return maxTrailerLength;
  }

  /** A decoder reading the {@code aws-chunked} body {@code raw}. */
  public StreamingPayloadDecoder decoder(InputStream raw) {
    return new StreamingPayloadDecoder(Objects.requireNonNull(raw, "raw"), this);
  }

  @Override
  public String toString() {
    return "StreamingPayload[" + mode + ", decodedContentLength=" + decodedContentLength
        + ", trailingChecksum=" + trailingChecksum + "]";
  }
}
