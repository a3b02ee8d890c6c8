package io.canopy.content.bitswap;

import java.time.Duration;

/**
 * Bitswap's limits and timings; immutable, defaults in one place (Teku's NetworkConfig style).
 * Every inbound path is bounded by one of these (DESIGN.md §3).
 */
public final class BitswapConfig {
  /** bitswap-protocol.md "Protocol Format": all messages MUST be ≤ 4 MiB. */
  public static final int DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024;
  /** Wants one peer may have with us at once; boxo uses the same 1024. Excess wants are refused. */
  public static final int DEFAULT_MAX_WANTLIST_ENTRIES = 1024;
  /** Blocks read from the store for one peer and not yet handed to its connection. */
  public static final int DEFAULT_MAX_QUEUED_BLOCKS_PER_PEER = 32;
  /** Bytes of blocks read from the store for one peer and not yet handed to its connection. */
  public static final long DEFAULT_MAX_QUEUED_BYTES_PER_PEER = 4L * 1024 * 1024;
  /** Bytes of blocks batched into one outgoing message (one more block may push it past this). */
  public static final int DEFAULT_TARGET_MESSAGE_SIZE = 1024 * 1024;
  /** Bytes of one peer's messages received and not yet processed; past this we stop reading it. */
  public static final long DEFAULT_MAX_INBOUND_BYTES_PER_PEER = 2L * DEFAULT_MAX_MESSAGE_SIZE;
  /** Blocks a session (and so fetchDag) asks for at once. */
  public static final int DEFAULT_WANTS_IN_FLIGHT_PER_SESSION = 256;
  /** How long a peer asked for a block has to send it before the session asks another one. */
  public static final Duration DEFAULT_BLOCK_TIMEOUT = Duration.ofSeconds(5);
  /** How often a want nobody is serving is broadcast again (and providers looked up again). */
  public static final Duration DEFAULT_REBROADCAST_INTERVAL = Duration.ofSeconds(10);
  /** Protocol violations (blocks that match no want, undecodable messages) before a peer is cut off. */
  public static final int DEFAULT_MAX_STRIKES = 5;
  /** How long a peer that used up its strikes is disconnected and ignored. */
  public static final Duration DEFAULT_BLOCK_DURATION = Duration.ofMinutes(10);
  /**
   * Ledgers kept for disconnected peers (those with strikes, so a reconnect does not wipe them).
   * Past this the oldest unblocked ones are forgotten first, then the blocked ones whose block
   * ends soonest: a peer with many identities must not grow the table without bound.
   */
  public static final int DEFAULT_MAX_REMEMBERED_PEERS = 1024;
  /** How long {@link BitswapBlockstore} and fetchDag wait for one block before giving up. */
  public static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(60);
  /** Providers asked of the {@link ProviderFinder} per lookup. */
  public static final int DEFAULT_MAX_PROVIDERS = 10;
  /** Threads for blockstore reads/writes and hashing: kept off the Netty event loops. */
  public static final int DEFAULT_WORKER_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());

  public static final BitswapConfig DEFAULT = builder().build();

  private final int maxMessageSize;
  private final int maxWantlistEntries;
  private final int maxQueuedBlocksPerPeer;
  private final long maxQueuedBytesPerPeer;
  private final int targetMessageSize;
  private final long maxInboundBytesPerPeer;
  private final int wantsInFlightPerSession;
  private final Duration blockTimeout;
  private final Duration rebroadcastInterval;
  private final int maxStrikes;
  private final Duration blockDuration;
  private final int maxRememberedPeers;
  private final Duration fetchTimeout;
  private final int maxProviders;
  private final int workerThreads;

  private BitswapConfig(Builder b) {
    if (b.targetMessageSize + io.canopy.content.block.Block.MAX_SIZE + 64 * 1024 > b.maxMessageSize) {
      // A message holds blocks up to the target plus one more block of up to 2 MiB.
      throw new IllegalArgumentException("targetMessageSize + 2 MiB must fit in maxMessageSize");
    }
    this.maxMessageSize = b.maxMessageSize;
    this.maxWantlistEntries = positive(b.maxWantlistEntries, "maxWantlistEntries");
    this.maxQueuedBlocksPerPeer = positive(b.maxQueuedBlocksPerPeer, "maxQueuedBlocksPerPeer");
    this.maxQueuedBytesPerPeer = b.maxQueuedBytesPerPeer;
    this.targetMessageSize = positive(b.targetMessageSize, "targetMessageSize");
    this.maxInboundBytesPerPeer = b.maxInboundBytesPerPeer;
    this.wantsInFlightPerSession = positive(b.wantsInFlightPerSession, "wantsInFlightPerSession");
    this.blockTimeout = b.blockTimeout;
    this.rebroadcastInterval = b.rebroadcastInterval;
    this.maxStrikes = positive(b.maxStrikes, "maxStrikes");
    this.blockDuration = b.blockDuration;
    this.maxRememberedPeers = positive(b.maxRememberedPeers, "maxRememberedPeers");
    this.fetchTimeout = b.fetchTimeout;
    this.maxProviders = positive(b.maxProviders, "maxProviders");
    this.workerThreads = positive(b.workerThreads, "workerThreads");
  }

  private static int positive(int v, String name) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + v);
    }
    return v;
  }

  public static Builder builder() {
    return new Builder();
  }

  public int maxMessageSize() {
    return maxMessageSize;
  }

  public int maxWantlistEntries() {
    return maxWantlistEntries;
  }

  public int maxQueuedBlocksPerPeer() {
    return maxQueuedBlocksPerPeer;
  }

  public long maxQueuedBytesPerPeer() {
    return maxQueuedBytesPerPeer;
  }

  public int targetMessageSize() {
    return targetMessageSize;
  }

  public long maxInboundBytesPerPeer() {
    return maxInboundBytesPerPeer;
  }

  public int wantsInFlightPerSession() {
    return wantsInFlightPerSession;
  }

  public Duration blockTimeout() {
    return blockTimeout;
  }

  public Duration rebroadcastInterval() {
    return rebroadcastInterval;
  }

  public int maxStrikes() {
    return maxStrikes;
  }

  public Duration blockDuration() {
    return blockDuration;
  }

  public int maxRememberedPeers() {
    return maxRememberedPeers;
  }

  public Duration fetchTimeout() {
    return fetchTimeout;
  }

  public int maxProviders() {
    return maxProviders;
  }

  public int workerThreads() {
    return workerThreads;
  }

  public static final class Builder {
    private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
    private int maxWantlistEntries = DEFAULT_MAX_WANTLIST_ENTRIES;
    private int maxQueuedBlocksPerPeer = DEFAULT_MAX_QUEUED_BLOCKS_PER_PEER;
    private long maxQueuedBytesPerPeer = DEFAULT_MAX_QUEUED_BYTES_PER_PEER;
    private int targetMessageSize = DEFAULT_TARGET_MESSAGE_SIZE;
    private long maxInboundBytesPerPeer = DEFAULT_MAX_INBOUND_BYTES_PER_PEER;
    private int wantsInFlightPerSession = DEFAULT_WANTS_IN_FLIGHT_PER_SESSION;
    private Duration blockTimeout = DEFAULT_BLOCK_TIMEOUT;
    private Duration rebroadcastInterval = DEFAULT_REBROADCAST_INTERVAL;
    private int maxStrikes = DEFAULT_MAX_STRIKES;
    private Duration blockDuration = DEFAULT_BLOCK_DURATION;
    private int maxRememberedPeers = DEFAULT_MAX_REMEMBERED_PEERS;
    private Duration fetchTimeout = DEFAULT_FETCH_TIMEOUT;
    private int maxProviders = DEFAULT_MAX_PROVIDERS;
    private int workerThreads = DEFAULT_WORKER_THREADS;

    private Builder() {}

    public Builder maxMessageSize(int bytes) {
      this.maxMessageSize = bytes;
      return this;
    }

    public Builder maxWantlistEntries(int entries) {
      this.maxWantlistEntries = entries;
      return this;
    }

    public Builder maxQueuedBlocksPerPeer(int blocks) {
      this.maxQueuedBlocksPerPeer = blocks;
      return this;
    }

    public Builder maxQueuedBytesPerPeer(long bytes) {
      this.maxQueuedBytesPerPeer = bytes;
      return this;
    }

    public Builder targetMessageSize(int bytes) {
      this.targetMessageSize = bytes;
      return this;
    }

    public Builder maxInboundBytesPerPeer(long bytes) {
      this.maxInboundBytesPerPeer = bytes;
      return this;
    }

    public Builder wantsInFlightPerSession(int wants) {
      this.wantsInFlightPerSession = wants;
      return this;
    }

    public Builder blockTimeout(Duration timeout) {
      this.blockTimeout = timeout;
      return this;
    }

    public Builder rebroadcastInterval(Duration interval) {
      this.rebroadcastInterval = interval;
      return this;
    }

    public Builder maxStrikes(int strikes) {
      this.maxStrikes = strikes;
      return this;
    }

    public Builder blockDuration(Duration duration) {
      this.blockDuration = duration;
      return this;
    }

    public Builder maxRememberedPeers(int peers) {
      this.maxRememberedPeers = peers;
      return this;
    }

    public Builder fetchTimeout(Duration timeout) {
      this.fetchTimeout = timeout;
      return this;
    }

    public Builder maxProviders(int providers) {
      this.maxProviders = providers;
      return this;
    }

    public Builder workerThreads(int threads) {
      this.workerThreads = threads;
      return this;
    }

    public BitswapConfig build() {
      return new BitswapConfig(this);
    }
  }
}
