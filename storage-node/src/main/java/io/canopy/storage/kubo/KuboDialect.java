package io.canopy.storage.kubo;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The two RPC servers the backend talks to, and the few places where they differ. Everything not
 * listed here is sent the same way to both.
 *
 * <table>
 *   <caption>Kubo (≥ 0.20, docs.ipfs.tech/reference/kubo/rpc) vs js-ipfs 0.66 (ipfs-http-server 0.15)</caption>
 *   <tr><th>what</th><th>Kubo</th><th>js-ipfs</th></tr>
 *   <tr><td>block/put codec</td><td>{@code cid-codec} (default raw, CIDv1); {@code format} is
 *       deprecated and kept for {@code format=v0} (dag-pb CIDv0)</td><td>only {@code format}
 *       (default dag-pb) and {@code version} (default 0); {@code cid-codec} is silently dropped, so
 *       Kubo's modern call returns a dag-pb CIDv0 there</td></tr>
 *   <tr><td>hash functions</td><td>sha2-256, sha2-512, blake3, blake2b-*, identity, ...</td>
 *       <td>no blake3 ({@code No hasher found for "blake3"})</td></tr>
 *   <tr><td>lookup of an absent block</td><td>{@code offline=true} (global option) makes block/get,
 *       block/stat and pin/add fail at once with {@code ipld: could not find <cid>}</td><td>no
 *       per-request offline flag, and even {@code jsipfs daemon --offline} starts Bitswap: the call
 *       waits for the network. Bounded with its {@code timeout} option; {@code request timed out}
 *       then means "not here"</td></tr>
 *   <tr><td>CID text in answers</td><td>base32 for v1</td><td>base58btc ({@code zb2...}) for v1 in
 *       block/stat, pin/*; base32 in refs/local and repo/gc</td></tr>
 *   <tr><td>numbers in repo/stat</td><td>JSON numbers</td><td>JSON strings</td></tr>
 *   <tr><td>pin/rm of what is not pinned</td><td>{@code not pinned or pinned indirectly}</td>
 *       <td>{@code Failed to remove pin: <cid> is not pinned}</td></tr>
 *   <tr><td>errors inside streams</td><td>with {@code stream-errors=true} as {@code {"Error":..}}
 *       lines in repo/gc; otherwise in an HTTP trailer</td><td>same option; dropped without it</td></tr>
 *   <tr><td>block/rm {@code force}</td><td>only ignores absent blocks; a pinned block is still
 *       refused</td><td>drops every per-block error, "pinned" included, and keeps the block: so
 *       block/rm is sent without it</td></tr>
 *   <tr><td>bad query argument</td><td>HTTP 500/400 with the parser's message</td><td>HTTP 400
 *       {@code Invalid request query input}</td></tr>
 * </table>
 */
public enum KuboDialect {
  KUBO,
  JS_IPFS;

  /**
   * Picks the dialect from a {@code version} answer. js-ipfs names its own packages there
   * ({@code "ipfs-core"}, {@code "interface-ipfs-core"}); Kubo reports {@code "Golang"} and
   * {@code "System"}. Anything else is taken as Kubo, whose API is the documented one.
   */
  public static KuboDialect fromVersion(JsonNode version) {
    if (version.has("ipfs-core") || version.has("interface-ipfs-core") || version.has("ipfs-http-client")) {
      return JS_IPFS;
    }
    return KUBO;
  }

  /** The query parameters that make block/put name the bytes exactly as {@code cid} does. */
  Map<String, String> blockPutParams(Cid cid) {
    String hash = Multicodec.byCode(cid.multihash().code())
        .filter(m -> m.tag() == Multicodec.Tag.MULTIHASH)
        .map(Multicodec::codecName)
        .orElseThrow(() -> new IllegalArgumentException(
            "hash function " + Multicodec.describe(cid.multihash().code()) + " of " + cid + " has no name the daemon knows"));
    Map<String, String> params = new LinkedHashMap<>();
    if (cid.version() == 0) {
      // Kubo: format=v0 is the documented way to get a CIDv0 (dag-pb, sha2-256).
      // js-ipfs: format=v0 means dag-pb, and version defaults to 0.
      params.put("format", "v0");
      params.put("mhtype", hash);
      return params;
    }
    String codec = Multicodec.byCode(cid.codec())
        .filter(m -> m.tag() == Multicodec.Tag.IPLD)
        .map(Multicodec::codecName)
        .orElseThrow(() -> new IllegalArgumentException(
            "codec " + Multicodec.describe(cid.codec()) + " of " + cid + " has no name the daemon knows"));
    switch (this) {
      case KUBO -> params.put("cid-codec", codec);
      case JS_IPFS -> {
        params.put("format", codec);
        params.put("version", "1");
      }
    }
    params.put("mhtype", hash);
    params.put("mhlen", Integer.toString(cid.multihash().digestLength()));
    return params;
  }

  /**
   * Parameters that keep a block lookup (block/get, block/stat) to the daemon's own store. Canopy
   * fetches from the network itself, over its own Bitswap; the daemon must not.
   */
  Map<String, String> localLookupParams(Duration localLookupTimeout) {
    return switch (this) {
      case KUBO -> Map.of("offline", "true");
      case JS_IPFS -> Map.of("timeout", localLookupTimeout.toMillis() + "ms");
    };
  }

  /** Parameters for pin/add: every block must already be in the daemon. */
  Map<String, String> pinAddParams() {
    return switch (this) {
      case KUBO -> Map.of("recursive", "true", "offline", "true");
      // js-ipfs would fetch a missing block over Bitswap until the client's deadline.
      case JS_IPFS -> Map.of("recursive", "true");
    };
  }

  /** Whether a daemon-side "request timed out" for a local lookup means the block is absent. */
  boolean timeoutMeansAbsent() {
    return this == JS_IPFS;
  }
}
