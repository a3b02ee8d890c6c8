package io.canopy.p2p.host;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.yamux.YamuxConfig;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** Everything a {@link Host} is told, with the defaults in one place (Teku's NetworkConfig style). */
public final class HostConfig {
  public static final String DEFAULT_AGENT_VERSION = "canopy/0.1.0";
  public static final String PROTOCOL_VERSION = "ipfs/0.1.0";
  public static final Duration DEFAULT_DIAL_TIMEOUT = Duration.ofSeconds(10);
  /** A connection must finish multistream, Noise and the muxer negotiation within this, and each stream its protocol negotiation. */
  public static final Duration DEFAULT_UPGRADE_TIMEOUT = Duration.ofSeconds(15);
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
  public static final int DEFAULT_MAX_CONNECTIONS = 512;
  public static final int DEFAULT_MAX_CONNECTIONS_PER_PEER = 4;
  public static final int DEFAULT_MAX_PENDING_DIALS = 64;
  /**
   * Inbound connections from one IP address still in their upgrade (multistream, Noise, muxer).
   * Half-open handshakes count against {@link #DEFAULT_MAX_CONNECTIONS} until the upgrade
   * timeout, so without this one address could fill every slot with connections that never finish
   * and lock every other peer out.
   */
  public static final int DEFAULT_MAX_INBOUND_UPGRADES_PER_IP = 64;

  private final Ed25519PrivateKey identity;
  private final List<Multiaddr> listenAddrs;
  private final String agentVersion;
  private final Duration dialTimeout;
  private final Duration upgradeTimeout;
  private final Duration idleTimeout;
  private final int maxConnections;
  private final int maxConnectionsPerPeer;
  private final int maxPendingDials;
  private final int maxInboundUpgradesPerIp;
  private final YamuxConfig yamux;
  private final int ioThreads;

  private HostConfig(Builder b) {
    this.identity = Objects.requireNonNull(b.identity, "identity");
    this.listenAddrs = List.copyOf(b.listenAddrs);
    this.agentVersion = b.agentVersion;
    this.dialTimeout = b.dialTimeout;
    this.upgradeTimeout = b.upgradeTimeout;
    this.idleTimeout = b.idleTimeout;
    this.maxConnections = b.maxConnections;
    this.maxConnectionsPerPeer = b.maxConnectionsPerPeer;
    this.maxPendingDials = b.maxPendingDials;
    this.maxInboundUpgradesPerIp = b.maxInboundUpgradesPerIp;
    this.yamux = b.yamux;
    this.ioThreads = b.ioThreads;
  }

  public static Builder builder(Ed25519PrivateKey identity) {
    return new Builder(identity);
  }

  public Ed25519PrivateKey identity() {
    return identity;
  }

  public List<Multiaddr> listenAddrs() {
    return listenAddrs;
  }

  public String agentVersion() {
    return agentVersion;
  }

  public Duration dialTimeout() {
    return dialTimeout;
  }

  public Duration upgradeTimeout() {
    return upgradeTimeout;
  }

  public Duration idleTimeout() {
    return idleTimeout;
  }

  public int maxConnections() {
    return maxConnections;
  }

  public int maxConnectionsPerPeer() {
    return maxConnectionsPerPeer;
  }

  public int maxPendingDials() {
    return maxPendingDials;
  }

  /** See {@link #DEFAULT_MAX_INBOUND_UPGRADES_PER_IP}. */
  public int maxInboundUpgradesPerIp() {
    return maxInboundUpgradesPerIp;
  }

  public YamuxConfig yamux() {
    return yamux;
  }

  public int ioThreads() {
    return ioThreads;
  }

  public static final class Builder {
    private final Ed25519PrivateKey identity;
    private List<Multiaddr> listenAddrs = List.of();
    private String agentVersion = DEFAULT_AGENT_VERSION;
    private Duration dialTimeout = DEFAULT_DIAL_TIMEOUT;
    private Duration upgradeTimeout = DEFAULT_UPGRADE_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxConnectionsPerPeer = DEFAULT_MAX_CONNECTIONS_PER_PEER;
    private int maxPendingDials = DEFAULT_MAX_PENDING_DIALS;
    private int maxInboundUpgradesPerIp = DEFAULT_MAX_INBOUND_UPGRADES_PER_IP;
    private YamuxConfig yamux = YamuxConfig.DEFAULT;
    private int ioThreads = Math.max(2, Runtime.getRuntime().availableProcessors());

    private Builder(Ed25519PrivateKey identity) {
      this.identity = identity;
    }

    public Builder listen(List<Multiaddr> addrs) {
      this.listenAddrs = List.copyOf(addrs);
      return this;
    }

    public Builder agentVersion(String agent) {
      this.agentVersion = agent;
      return this;
    }

    public Builder dialTimeout(Duration timeout) {
      this.dialTimeout = timeout;
      return this;
    }

    public Builder upgradeTimeout(Duration timeout) {
      this.upgradeTimeout = timeout;
      return this;
    }

    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = timeout;
      return this;
    }

    public Builder maxConnections(int max) {
      this.maxConnections = max;
      return this;
    }

    public Builder maxConnectionsPerPeer(int max) {
      this.maxConnectionsPerPeer = max;
      return this;
    }

    public Builder maxPendingDials(int max) {
      this.maxPendingDials = max;
      return this;
    }

    public Builder maxInboundUpgradesPerIp(int max) {
      this.maxInboundUpgradesPerIp = max;
      return this;
    }

    public Builder yamux(YamuxConfig config) {
      this.yamux = config;
      return this;
    }

    public Builder ioThreads(int threads) {
      this.ioThreads = threads;
      return this;
    }

    public HostConfig build() {
      return new HostConfig(this);
    }
  }
}
