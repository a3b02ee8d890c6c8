package io.canopy.storage;

import java.time.Duration;

/** How a storage node serves deals and how an owner keeps its deals at their replica count. Defaults in one place. */
public final class StorageConfig {
  public static final long DEFAULT_CAPACITY_BYTES = 10L * 1024 * 1024 * 1024;
  public static final int DEFAULT_MAX_CONCURRENT_FETCHES = 4;
  /** A deal's DAG must arrive at this rate at least, or the fetch is given up (plus the base allowance below). */
  public static final long DEFAULT_MIN_FETCH_BYTES_PER_SECOND = 1024 * 1024;
  public static final Duration DEFAULT_FETCH_BASE_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_REPAIR_INTERVAL = Duration.ofMinutes(1);
  public static final Duration DEFAULT_REPLICA_GRACE = Duration.ofMinutes(5);
  public static final Duration DEFAULT_EXPIRY_SWEEP_INTERVAL = Duration.ofMinutes(1);

  private final long capacityBytes;
  private final int maxConcurrentFetches;
  private final long minFetchBytesPerSecond;
  private final Duration fetchBaseTimeout;
  private final Duration requestTimeout;
  private final Duration repairInterval;
  private final Duration replicaGrace;
  private final Duration expirySweepInterval;

  private StorageConfig(Builder b) {
    this.capacityBytes = b.capacityBytes;
    this.maxConcurrentFetches = b.maxConcurrentFetches;
    this.minFetchBytesPerSecond = b.minFetchBytesPerSecond;
    this.fetchBaseTimeout = b.fetchBaseTimeout;
    this.requestTimeout = b.requestTimeout;
    this.repairInterval = b.repairInterval;
    this.replicaGrace = b.replicaGrace;
    this.expirySweepInterval = b.expirySweepInterval;
  }

  public static Builder builder() {
    return new Builder();
  }

  public static StorageConfig defaults() {
    return builder().build();
  }

  /** Bytes of deals this node accepts at most (`--storage-max`). */
  public long capacityBytes() {
    return capacityBytes;
  }

  public int maxConcurrentFetches() {
    return maxConcurrentFetches;
  }

  /** How long fetching a DAG of {@code size} bytes may take before the deal is refused. */
  public Duration fetchTimeout(long size) {
    return fetchBaseTimeout.plusSeconds(size / minFetchBytesPerSecond);
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  /** How often an owner checks its replicas and repairs deals that lost some. */
  public Duration repairInterval() {
    return repairInterval;
  }

  /** How long a replica may fail its checks before it counts as lost and is replaced. */
  public Duration replicaGrace() {
    return replicaGrace;
  }

  public Duration expirySweepInterval() {
    return expirySweepInterval;
  }

  public static final class Builder {
    private long capacityBytes = DEFAULT_CAPACITY_BYTES;
    private int maxConcurrentFetches = DEFAULT_MAX_CONCURRENT_FETCHES;
    private long minFetchBytesPerSecond = DEFAULT_MIN_FETCH_BYTES_PER_SECOND;
    private Duration fetchBaseTimeout = DEFAULT_FETCH_BASE_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration repairInterval = DEFAULT_REPAIR_INTERVAL;
    private Duration replicaGrace = DEFAULT_REPLICA_GRACE;
    private Duration expirySweepInterval = DEFAULT_EXPIRY_SWEEP_INTERVAL;

    public Builder capacityBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("capacity must not be negative");
      }
      this.capacityBytes = bytes;
      return this;
    }

    public Builder maxConcurrentFetches(int n) {
      this.maxConcurrentFetches = positive(n, "maxConcurrentFetches");
      return this;
    }

    public Builder fetchTimeout(Duration base, long minBytesPerSecond) {
      this.fetchBaseTimeout = base;
      this.minFetchBytesPerSecond = positive(minBytesPerSecond, "minBytesPerSecond");
      return this;
    }

    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = timeout;
      return this;
    }

    public Builder repairInterval(Duration interval) {
      this.repairInterval = interval;
      return this;
    }

    public Builder replicaGrace(Duration grace) {
      this.replicaGrace = grace;
      return this;
    }

    public Builder expirySweepInterval(Duration interval) {
      this.expirySweepInterval = interval;
      return this;
    }

    public StorageConfig build() {
      return new StorageConfig(this);
    }

    private static <N extends Number> N positive(N n, String name) {
      if (n.longValue() <= 0) {
        throw new IllegalArgumentException(name + " must be positive");
      }
      return n;
    }
  }
}
