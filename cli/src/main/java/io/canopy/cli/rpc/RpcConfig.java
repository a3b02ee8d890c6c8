package io.canopy.cli.rpc;

import java.time.Duration;

/**
 * Limits of the local RPC server, with their defaults in one place. Every inbound path has one:
 * how many requests run at once (more are answered 503 at once, never queued without bound), how
 * large a query and an ordinary body may be, how large an upload (an import stream) may be, and
 * how long a client may take to send a request head, and how long it may go silent in the middle of
 * a request.
 */
public final class RpcConfig {
  public static final int DEFAULT_MAX_CONCURRENT_REQUESTS = 32;
  public static final int DEFAULT_MAX_QUERY_BYTES = 64 * 1024;
  public static final int DEFAULT_MAX_QUERY_PARAMS = 1024;
  public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
  /** An upload is a whole add or CAR import: large, but a cap still stops a runaway client. */
  public static final long DEFAULT_MAX_UPLOAD_BYTES = 64L << 30;
  /**
   * Silence in the middle of a request body after which it is dropped; also how long a kept-alive
   * connection may wait for its next request.
   */
  public static final Duration DEFAULT_READ_IDLE_TIMEOUT = Duration.ofSeconds(60);
  /** Time from connecting (or from the previous answer) to a complete request head: a slowloris bound. */
  public static final Duration DEFAULT_REQUEST_HEAD_TIMEOUT = Duration.ofSeconds(20);

  private final int maxConcurrentRequests;
  private final int maxQueryBytes;
  private final int maxQueryParams;
  private final long maxBodyBytes;
  private final long maxUploadBytes;
  private final Duration readIdleTimeout;
  private final Duration requestHeadTimeout;

  private RpcConfig(Builder b) {
    this.maxConcurrentRequests = b.maxConcurrentRequests;
    this.maxQueryBytes = b.maxQueryBytes;
    this.maxQueryParams = b.maxQueryParams;
    this.maxBodyBytes = b.maxBodyBytes;
    this.maxUploadBytes = b.maxUploadBytes;
    this.readIdleTimeout = b.readIdleTimeout;
    this.requestHeadTimeout = b.requestHeadTimeout;
  }

  public static RpcConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public int maxConcurrentRequests() {
    return maxConcurrentRequests;
  }

  public int maxQueryBytes() {
    return maxQueryBytes;
  }

  public int maxQueryParams() {
    return maxQueryParams;
  }

  public long maxBodyBytes() {
    return maxBodyBytes;
  }

  public long maxUploadBytes() {
    return maxUploadBytes;
  }

  public Duration readIdleTimeout() {
    return readIdleTimeout;
  }

  public Duration requestHeadTimeout() {
    return requestHeadTimeout;
  }

  public static final class Builder {
    private int maxConcurrentRequests = DEFAULT_MAX_CONCURRENT_REQUESTS;
    private int maxQueryBytes = DEFAULT_MAX_QUERY_BYTES;
    private int maxQueryParams = DEFAULT_MAX_QUERY_PARAMS;
    private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private long maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES;
    private Duration readIdleTimeout = DEFAULT_READ_IDLE_TIMEOUT;
    private Duration requestHeadTimeout = DEFAULT_REQUEST_HEAD_TIMEOUT;

    private Builder() {}

    public Builder maxConcurrentRequests(int n) {
      this.maxConcurrentRequests = positive(n, "maxConcurrentRequests");
      return this;
    }

    public Builder maxQueryBytes(int n) {
      this.maxQueryBytes = positive(n, "maxQueryBytes");
      return this;
    }

    public Builder maxQueryParams(int n) {
      this.maxQueryParams = positive(n, "maxQueryParams");
      return this;
    }

    public Builder maxBodyBytes(long n) {
      this.maxBodyBytes = positive(n, "maxBodyBytes");
      return this;
    }

    public Builder maxUploadBytes(long n) {
      this.maxUploadBytes = positive(n, "maxUploadBytes");
      return this;
    }

    public Builder readIdleTimeout(Duration timeout) {
      this.readIdleTimeout = positive(timeout, "readIdleTimeout");
      return this;
    }

    public Builder requestHeadTimeout(Duration timeout) {
      this.requestHeadTimeout = positive(timeout, "requestHeadTimeout");
      return this;
    }

    public RpcConfig build() {
      return new RpcConfig(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }

    private static <N extends Number> N positive(N n, String name) {
      if (n.longValue() <= 0) {
        throw new IllegalArgumentException(name + " must be positive, got " + n);
      }
      return n;
    }
  }
}
