package io.canopy.storage.kubo;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach an IPFS daemon's RPC API ({@code --ipfs-api}) and the limits put on what it sends
 * back. Immutable; the defaults live here and nowhere else ({@code DEFAULT_*}); the CLI only
 * translates flags into a builder.
 */
public final class KuboRpcConfig {
  /** Kubo's default {@code Addresses.API}. */
  public static final URI DEFAULT_API_URL = URI.create("http://127.0.0.1:5001");
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** Whole-exchange deadline for one-block calls and small JSON answers. */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
  /** Deadline for calls whose work grows with the repo: recursive pin, gc, listing every block. */
  public static final Duration DEFAULT_LONG_OPERATION_TIMEOUT = Duration.ofMinutes(30);
  /**
   * js-ipfs has no per-request {@code offline} flag: asked for a block it lacks, it waits on
   * Bitswap. A local lookup that has not answered within this time is taken as "absent". Kubo
   * answers at once with {@code offline=true}, so this only matters for {@link KuboDialect#JS_IPFS}.
   * Short, because Bitswap asks about every block of a DAG before fetching it (a 2 s wait made a
   * 16 MiB deal miss its deadline): a present block answers in milliseconds on loopback, and a
   * block wrongly taken as absent is merely fetched again.
   */
  public static final Duration DEFAULT_LOCAL_LOOKUP_TIMEOUT = Duration.ofMillis(300);
  /** Largest single JSON answer accepted (version, id, pin/ls of one CID, error bodies, ...). */
  public static final int DEFAULT_MAX_JSON_BYTES = 256 * 1024;
  /** Largest line accepted in a streamed NDJSON answer (refs/local, repo/gc). */
  public static final int DEFAULT_MAX_LINE_BYTES = 16 * 1024;

  private final URI apiUrl;
  private final Duration connectTimeout;
  private final Duration requestTimeout;
  private final Duration longOperationTimeout;
  private final Duration localLookupTimeout;
  private final int maxJsonBytes;
  private final int maxLineBytes;
  private final String authorization;
  private final KuboDialect dialect;

  private KuboRpcConfig(Builder b) {
    this.apiUrl = b.apiUrl;
    this.connectTimeout = b.connectTimeout;
    this.requestTimeout = b.requestTimeout;
    this.longOperationTimeout = b.longOperationTimeout;
    this.localLookupTimeout = b.localLookupTimeout;
    this.maxJsonBytes = b.maxJsonBytes;
    this.maxLineBytes = b.maxLineBytes;
    this.authorization = b.authorization;
    this.dialect = b.dialect;
  }

  /** Defaults, with the API at {@code apiAddress} (see {@link #parseApiAddress}). */
  public static KuboRpcConfig of(String apiAddress) {
    return builder().apiUrl(parseApiAddress(apiAddress)).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Parses what an operator passes as {@code --ipfs-api}: an http(s) URL ({@code
   * http://127.0.0.1:5001}) or the multiaddr Kubo writes to {@code $IPFS_PATH/api} ({@code
   * /ip4/127.0.0.1/tcp/5001} or {@code /ip4/127.0.0.1/tcp/5001/http}; {@code /ip6}, {@code /dns},
   * {@code /dns4}, {@code /dns6} hosts too). Any path after the authority is dropped: the RPC lives at
   * {@code /api/v0}.
   */
  public static URI parseApiAddress(String address) {
    Objects.requireNonNull(address, "address");
    String text = address.trim();
    if (text.startsWith("/")) {
      return parseMultiaddr(text);
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not an IPFS API address: '" + address + "'", e);
    }
    if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException("IPFS API address must be http(s) or a multiaddr, got '" + address + "'");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("IPFS API address has no host: '" + address + "'");
    }
    int port = uri.getPort() >= 0 ? uri.getPort() : ("https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80);
    return URI.create(uri.getScheme().toLowerCase() + "://" + hostForUri(uri.getHost()) + ":" + port);
  }

  private static URI parseMultiaddr(String text) {
    String[] parts = text.substring(1).split("/");
    if (parts.length < 4 || !"tcp".equals(parts[2])) {
      throw new IllegalArgumentException("IPFS API multiaddr must be /<ip4|ip6|dns|dns4|dns6>/<host>/tcp/<port>[/http|/https], got '" + text + "'");
    }
    String host = switch (parts[0]) {
      case "ip4", "ip6", "dns", "dns4", "dns6" -> parts[1];
      default -> throw new IllegalArgumentException("unsupported host protocol /" + parts[0] + " in '" + text + "'");
    };
    int port;
    try {
      port = Integer.parseInt(parts[3]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in '" + text + "'", e);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range in '" + text + "'");
    }
    String scheme = "http";
    if (parts.length >= 5) {
      scheme = switch (parts[4]) {
        case "http" -> "http";
        case "https", "tls" -> "https";
        default -> throw new IllegalArgumentException("unsupported /" + parts[4] + " in '" + text + "'");
      };
    }
    return URI.create(scheme + "://" + hostForUri(host) + ":" + port);
  }

  private static String hostForUri(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  /** {@code http(s)://host:port}, without a path. */
  public URI apiUrl() {
    return apiUrl;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration requestTimeout() {
    return requestTimeout;
  }

  public Duration longOperationTimeout() {
    return longOperationTimeout;
  }

  public Duration localLookupTimeout() {
    return localLookupTimeout;
  }

  public int maxJsonBytes() {
    return maxJsonBytes;
  }

  public int maxLineBytes() {
    return maxLineBytes;
  }

  /** The {@code Authorization} header value (Kubo's {@code API.Authorizations}), if any. */
  public Optional<String> authorization() {
    return Optional.ofNullable(authorization);
  }

  /** The dialect to speak; empty means: ask the daemon's {@code version} once and pick. */
  public Optional<KuboDialect> dialect() {
    return Optional.ofNullable(dialect);
  }

  @Override
  public String toString() {
    return "KuboRpcConfig[" + apiUrl + ", dialect " + (dialect == null ? "auto" : dialect) + "]";
  }

  public static final class Builder {
    private URI apiUrl = DEFAULT_API_URL;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration longOperationTimeout = DEFAULT_LONG_OPERATION_TIMEOUT;
    private Duration localLookupTimeout = DEFAULT_LOCAL_LOOKUP_TIMEOUT;
    private int maxJsonBytes = DEFAULT_MAX_JSON_BYTES;
    private int maxLineBytes = DEFAULT_MAX_LINE_BYTES;
    private String authorization;
    private KuboDialect dialect;

    private Builder() {}

    public Builder apiUrl(URI url) {
      this.apiUrl = parseApiAddress(url.toString());
      return this;
    }

    public Builder apiAddress(String address) {
      this.apiUrl = parseApiAddress(address);
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "requestTimeout");
      return this;
    }

    public Builder longOperationTimeout(Duration timeout) {
      this.longOperationTimeout = positive(timeout, "longOperationTimeout");
      return this;
    }

    public Builder localLookupTimeout(Duration timeout) {
      this.localLookupTimeout = positive(timeout, "localLookupTimeout");
      return this;
    }

    public Builder maxJsonBytes(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxJsonBytes must be at least 1024, got " + bytes);
      }
      this.maxJsonBytes = bytes;
      return this;
    }

    public Builder maxLineBytes(int bytes) {
      if (bytes < 256) {
        throw new IllegalArgumentException("maxLineBytes must be at least 256, got " + bytes);
      }
      this.maxLineBytes = bytes;
      return this;
    }

    /** Sent as the {@code Authorization} header, e.g. {@code "Bearer <secret>"}; null for none. */
    public Builder authorization(String value) {
      this.authorization = value;
      return this;
    }

    /** Forces a dialect instead of detecting it; null to detect. */
    public Builder dialect(KuboDialect dialect) {
      this.dialect = dialect;
      return this;
    }

    public KuboRpcConfig build() {
      return new KuboRpcConfig(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
