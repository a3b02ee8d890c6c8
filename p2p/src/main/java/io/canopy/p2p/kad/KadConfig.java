package io.canopy.p2p.kad;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a {@link KadDht} is told, with the defaults in one place (Teku's NetworkConfig
 * style). The protocol constants follow libp2p specs kad-dht/README.md: k = 20, provider records
 * expire after 48 h and are republished every 22 h, buckets are refreshed every 10 minutes, a
 * query (one run of a lookup) times out after the spec's QueryTimeout.
 */
public final class KadConfig {
  /** Whether this node answers DHT requests and advertises the protocol (kad-dht §Client and server mode). */
  public enum Mode { SERVER, CLIENT }

  public static final Mode DEFAULT_MODE = Mode.SERVER;
  /** The replication parameter k (spec: recommended 20); also the size of a k-bucket. */
  public static final int DEFAULT_K = 20;
  /** Lookup concurrency α: the spec's default (go-libp2p uses it too; js-libp2p and the Kademlia paper use 3). */
  public static final int DEFAULT_ALPHA = 10;
  public static final Duration DEFAULT_PROVIDER_TTL = Duration.ofHours(48);
  public static final Duration DEFAULT_REPROVIDE_INTERVAL = Duration.ofHours(22);
  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofMinutes(10);
  /** go-libp2p-kad-dht drops stored values older than this (maxRecordAge). */
  public static final Duration DEFAULT_RECORD_TTL = Duration.ofHours(36);
  /** The whole of one lookup; the spec's bootstrap QueryTimeout is 10 s, go uses 60 s for user queries. */
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(30);
  /** One request to one peer: dial, negotiate, write, read the answer. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  /** An inbound stream that sends no request for this long is reset (js-libp2p: incomingMessageTimeout 10 s). */
  public static final Duration DEFAULT_INBOUND_IDLE_TIMEOUT = Duration.ofSeconds(10);
  /**
   * Largest message read. go-libp2p and js-libp2p accept up to 4 MiB; real requests and answers
   * (20 peers with their addresses, a record of at most ~10 KiB) are far below 64 KiB.
   */
  public static final int DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;
  /** Requests served on one inbound stream before it is reset (go and js send one per stream). */
  public static final int DEFAULT_MAX_REQUESTS_PER_STREAM = 64;
  public static final int DEFAULT_MAX_PROVIDER_RECORDS = 100_000;
  public static final int DEFAULT_MAX_PROVIDERS_PER_KEY = 64;
  public static final int DEFAULT_MAX_RECORDS = 10_000;
  /** Values larger than this are refused (IPNS records are limited to 10 KiB). */
  public static final int DEFAULT_MAX_RECORD_VALUE_SIZE = 10 * 1024;

  private final Mode mode;
  private final int k;
  private final int alpha;
  private final Duration providerTtl;
  private final Duration reprovideInterval;
  private final Duration refreshInterval;
  private final Duration recordTtl;
  private final Duration queryTimeout;
  private final Duration requestTimeout;
  private final Duration inboundIdleTimeout;
  private final int maxMessageSize;
  private final int maxRequestsPerStream;
  private final int maxProviderRecords;
  private final int maxProvidersPerKey;
  private final int maxRecords;
  private final int maxRecordValueSize;
  private final Map<String, RecordValidator> validators;
  private final Clock clock;

  private KadConfig(Builder b) {
    if (b.k < 1 || b.alpha < 1) {
      throw new IllegalArgumentException("k and alpha must be at least 1");
    }
    this.mode = b.mode;
    this.k = b.k;
    this.alpha = b.alpha;
    this.providerTtl = b.providerTtl;
    this.reprovideInterval = b.reprovideInterval;
    this.refreshInterval = b.refreshInterval;
    this.recordTtl = b.recordTtl;
    this.queryTimeout = b.queryTimeout;
    this.requestTimeout = b.requestTimeout;
    this.inboundIdleTimeout = b.inboundIdleTimeout;
    this.maxMessageSize = b.maxMessageSize;
    this.maxRequestsPerStream = b.maxRequestsPerStream;
    this.maxProviderRecords = b.maxProviderRecords;
    this.maxProvidersPerKey = b.maxProvidersPerKey;
    this.maxRecords = b.maxRecords;
    this.maxRecordValueSize = b.maxRecordValueSize;
    this.validators = Map.copyOf(b.validators);
    this.clock = b.clock;
  }

  public static final KadConfig DEFAULT = builder().build();

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.mode = mode;
    b.k = k;
    b.alpha = alpha;
    b.providerTtl = providerTtl;
    b.reprovideInterval = reprovideInterval;
    b.refreshInterval = refreshInterval;
    b.recordTtl = recordTtl;
    b.queryTimeout = queryTimeout;
    b.requestTimeout = requestTimeout;
    b.inboundIdleTimeout = inboundIdleTimeout;
    b.maxMessageSize = maxMessageSize;
    b.maxRequestsPerStream = maxRequestsPerStream;
    b.maxProviderRecords = maxProviderRecords;
    b.maxProvidersPerKey = maxProvidersPerKey;
    b.maxRecords = maxRecords;
    b.maxRecordValueSize = maxRecordValueSize;
    b.validators = new LinkedHashMap<>(validators);
    b.clock = clock;
    return b;
  }

  public Mode mode() {
    return mode;
  }

  public int k() {
    return k;
  }

  public int alpha() {
    return alpha;
  }

  public Duration providerTtl() {
    return providerTtl;
  }

  public Duration reprovideInterval() {
    return reprovideInterval;
  }

  public Duration refreshInterval() {
    return refreshInterval;
  }

  public Duration recordTtl() {
    return recordTtl;
  }

  public Duration queryTimeout() {
    return queryTimeout;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  public Duration inboundIdleTimeout() {
    return inboundIdleTimeout;
  }

  public int maxMessageSize() {
    return maxMessageSize;
  }

  public int maxRequestsPerStream() {
    return maxRequestsPerStream;
  }

  public int maxProviderRecords() {
    return maxProviderRecords;
  }

  public int maxProvidersPerKey() {
    return maxProvidersPerKey;
  }

  public int maxRecords() {
    return maxRecords;
  }

  public int maxRecordValueSize() {
    return maxRecordValueSize;
  }

  /** Record validators by namespace (the first path segment of the key: "pk", "canopy", ...). */
  public Map<String, RecordValidator> validators() {
    return validators;
  }

  /** The clock for record and provider expiry; injected so tests need not wait. */
  public Clock clock() {
    return clock;
  }

  public static final class Builder {
    private Mode mode = DEFAULT_MODE;
    private int k = DEFAULT_K;
    private int alpha = DEFAULT_ALPHA;
    private Duration providerTtl = DEFAULT_PROVIDER_TTL;
    private Duration reprovideInterval = DEFAULT_REPROVIDE_INTERVAL;
    private Duration refreshInterval = DEFAULT_REFRESH_INTERVAL;
    private Duration recordTtl = DEFAULT_RECORD_TTL;
    private Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration inboundIdleTimeout = DEFAULT_INBOUND_IDLE_TIMEOUT;
    private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
    private int maxRequestsPerStream = DEFAULT_MAX_REQUESTS_PER_STREAM;
    private int maxProviderRecords = DEFAULT_MAX_PROVIDER_RECORDS;
    private int maxProvidersPerKey = DEFAULT_MAX_PROVIDERS_PER_KEY;
    private int maxRecords = DEFAULT_MAX_RECORDS;
    private int maxRecordValueSize = DEFAULT_MAX_RECORD_VALUE_SIZE;
    private Map<String, RecordValidator> validators = defaultValidators();
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    private static Map<String, RecordValidator> defaultValidators() {
      Map<String, RecordValidator> v = new LinkedHashMap<>();
      v.put(PublicKeyRecordValidator.NAMESPACE, new PublicKeyRecordValidator());
      v.put(SignedRecord.NAMESPACE, new SignedRecordValidator());
      return v;
    }

    public Builder mode(Mode mode) {
      this.mode = Objects.requireNonNull(mode);
      return this;
    }

    public Builder k(int k) {
      this.k = k;
      return this;
    }

    public Builder alpha(int alpha) {
      this.alpha = alpha;
      return this;
    }

    public Builder providerTtl(Duration ttl) {
      this.providerTtl = ttl;
      return this;
    }

    public Builder reprovideInterval(Duration interval) {
      this.reprovideInterval = interval;
      return this;
    }

    public Builder refreshInterval(Duration interval) {
      this.refreshInterval = interval;
      return this;
    }

    public Builder recordTtl(Duration ttl) {
      this.recordTtl = ttl;
      return this;
    }

    public Builder queryTimeout(Duration timeout) {
      this.queryTimeout = timeout;
      return this;
    }

    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = timeout;
      return this;
    }

    public Builder inboundIdleTimeout(Duration timeout) {
      this.inboundIdleTimeout = timeout;
      return this;
    }

    public Builder maxMessageSize(int bytes) {
      this.maxMessageSize = bytes;
      return this;
    }

    public Builder maxRequestsPerStream(int max) {
      this.maxRequestsPerStream = max;
      return this;
    }

    public Builder maxProviderRecords(int max) {
      this.maxProviderRecords = max;
      return this;
    }

    public Builder maxProvidersPerKey(int max) {
      this.maxProvidersPerKey = max;
      return this;
    }

    public Builder maxRecords(int max) {
      this.maxRecords = max;
      return this;
    }

    public Builder maxRecordValueSize(int bytes) {
      this.maxRecordValueSize = bytes;
      return this;
    }

    /** Adds or replaces the validator of {@code namespace} ("pk", "canopy", ...). */
    public Builder validator(String namespace, RecordValidator validator) {
      this.validators.put(namespace, Objects.requireNonNull(validator));
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    public KadConfig build() {
      return new KadConfig(this);
    }
  }
}
