package io.canopy.gateway.s3.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Settings of S3 authentication, with their defaults in one place.
 *
 * <ul>
 *   <li>{@code clock}: the server's time, for the skew and expiry checks (tests inject a fixed one).
 *   <li>{@code maxClockSkew}: how far a header-signed request's time may be from the server's
 *       (S3 allows 15 minutes).
 *   <li>{@code regions}: the region names a credential scope may name; empty accepts any (clients
 *       are configured with all sorts of region names for non-AWS endpoints).
 *   <li>{@code maxChunkHeaderLength}: the longest {@code aws-chunked} chunk header line, CRLF
 *       included; a signed one is under 100 bytes.
 *   <li>{@code maxTrailerLength}: the most bytes of trailing headers after the final chunk.
 * </ul>
 */
public final class S3AuthConfig {
  public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofMinutes(15);
  public static final int DEFAULT_MAX_CHUNK_HEADER_LENGTH = 4096;
  public static final int DEFAULT_MAX_TRAILER_LENGTH = 16 * 1024;
  /** SigV4's own limit on {@code X-Amz-Expires}: seven days. */
  public static final long MAX_PRESIGNED_EXPIRES_SECONDS = 7 * 24 * 3600;

  private final Clock clock;
  private final Duration maxClockSkew;
  private final Set<String> regions;
  private final int maxChunkHeaderLength;
  private final int maxTrailerLength;

  private S3AuthConfig(Builder b) {
    this.clock = b.clock;
    this.maxClockSkew = b.maxClockSkew;
    this.regions = Set.copyOf(b.regions);
    this.maxChunkHeaderLength = b.maxChunkHeaderLength;
    this.maxTrailerLength = b.maxTrailerLength;
  }

  public static S3AuthConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Clock clock() {
    return clock;
  }

  public Duration maxClockSkew() {
    return maxClockSkew;
  }

  public Set<String> regions() {
    return regions;
  }

  public int maxChunkHeaderLength() {
    return maxChunkHeaderLength;
  }

  public int maxTrailerLength() {
    return maxTrailerLength;
  }

  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Duration maxClockSkew = DEFAULT_MAX_CLOCK_SKEW;
    private Set<String> regions = Set.of();
    private int maxChunkHeaderLength = DEFAULT_MAX_CHUNK_HEADER_LENGTH;
    private int maxTrailerLength = DEFAULT_MAX_TRAILER_LENGTH;

    private Builder() {}

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Builder maxClockSkew(Duration skew) {
      if (skew.isNegative()) {
        throw new IllegalArgumentException("negative skew " + skew);
      }
      this.maxClockSkew = skew;
      return this;
    }

    /** The accepted region names; none accepts any. */
    public Builder regions(Set<String> regions) {
      this.regions = Set.copyOf(regions);
      return this;
    }

    public Builder maxChunkHeaderLength(int bytes) {
      if (bytes < 32) {
        throw new IllegalArgumentException("maxChunkHeaderLength " + bytes);
      }
      this.maxChunkHeaderLength = bytes;
      return this;
    }

    public Builder maxTrailerLength(int bytes) {
      if (bytes < 64) {
        throw new IllegalArgumentException("maxTrailerLength " + bytes);
      }
      this.maxTrailerLength = bytes;
      return this;
    }

    public S3AuthConfig build() {
      return new S3AuthConfig(this);
    }
  }
}
