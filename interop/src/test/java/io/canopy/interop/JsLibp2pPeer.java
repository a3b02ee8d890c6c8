package io.canopy.interop;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A js-libp2p peer ({@code js/libp2p-peer.mjs}: TCP, Noise, Yamux, identify, ping and the
 * {@code /canopy/echo/1.0.0} echo protocol; with {@link #KAD_DHT_FLAG} also @libp2p/kad-dht in
 * server mode) running in a {@code node} child process, driven over its stdin/stdout JSON-lines
 * protocol (documented at the top of the script).
 *
 * <pre>{@code
 * try (JsLibp2pPeer js = JsLibp2pPeer.start()) {
 *   JsonNode dial = js.commandOk(Map.of("cmd", "dial", "addr", someAddr));
 * }
 * }</pre>
 *
 * <p>Needs {@code node} on the PATH (or {@code -Dcanopy.node=/path/to/node}) and
 * {@code interop/node_modules} (the build's {@code npm ci}). The working directory must be the
 * interop module (as under Surefire) or the repository root. The child exits by itself when its
 * stdin closes, so a JVM that dies does not leave peers behind.
 *
 * <p>Process handling is {@link NodeScriptProcess}'s. Commands run one at a time in the child; this
 * class is thread-safe, but callers share that single queue. Every command gets an {@code "id"}
 * (the key is reserved), so the answer to a command that timed out here is recognised and skipped
 * if it arrives later.
 */
public final class JsLibp2pPeer implements AutoCloseable {
  public static final String ECHO_PROTOCOL = "/canopy/echo/1.0.0";
  public static final String IDENTIFY_PROTOCOL = "/ipfs/id/1.0.0";
  public static final String PING_PROTOCOL = "/ipfs/ping/1.0.0";
  public static final String KAD_PROTOCOL = "/ipfs/kad/1.0.0";
  /** Starts the peer with @libp2p/kad-dht in server mode ({@code --kad-dht}). */
  public static final String KAD_DHT_FLAG = "--kad-dht";

  public static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final NodeScriptProcess.Spec SPEC = new NodeScriptProcess.Spec(
      "js/libp2p-peer.mjs", "libp2p", Map.of(), 64 * 1024, "js-peer", "JS libp2p peer", "JS peer",
      "JsLibp2pPeer");

  private final NodeScriptProcess node;

  /** Starts a peer with a random key listening on {@code /ip4/127.0.0.1/tcp/0}. */
  public static JsLibp2pPeer start(String... args) {
    return start(List.of(args), READY_TIMEOUT);
  }

  /** Starts a peer whose Ed25519 private key is derived from this 32-byte seed. */
  public static JsLibp2pPeer startWithSeed(byte[] seed, String... moreArgs) {
    return start(NodeScriptProcess.seedArgs(seed, moreArgs), READY_TIMEOUT);
  }

  /**
   * Starts {@code node js/libp2p-peer.mjs args...} and waits for its ready line.
   *
   * @throws IllegalStateException if node cannot start, dies or is not ready within {@code timeout}
   *     (the message holds its stderr)
   */
  public static JsLibp2pPeer start(List<String> args, Duration timeout) {
    return new JsLibp2pPeer(NodeScriptProcess.start(SPEC, args, timeout));
  }

  private JsLibp2pPeer(NodeScriptProcess node) {
    this.node = node;
  }

  /** The peer's ID, base58btc ({@code 12D3KooW...}). */
  public String peerId() {
    return node.peerId();
  }

  /** Its listen addresses, each ending in {@code /p2p/<peerId>}. */
  public List<String> addrs() {
    return node.addrs();
  }

  /** The first listen address (with {@code /p2p/<peerId>}). */
  public String addr() {
    return node.addrs().get(0);
  }

  /** The protocols it serves, as it listed them when ready. */
  public List<String> protocols() {
    return node.protocols();
  }

  /** What the child printed on stderr so far (the last 64 KiB). */
  public String stderr() {
    return node.stderr();
  }

  public boolean isAlive() {
    return node.isAlive();
  }

  /** Sends one command and returns its answer, {@code ok} true or false, waiting 60 s at most. */
  public JsonNode command(Map<String, ?> command) {
    return command(command, COMMAND_TIMEOUT);
  }

  /**
   * Sends one command ({@code "cmd"} plus its arguments) and returns the child's answer, whether
   * {@code ok} is true or false.
   *
   * @throws IllegalStateException if the child has died or does not answer within {@code timeout}
   */
  public JsonNode command(Map<String, ?> command, Duration timeout) {
    return node.command(command, timeout);
  }

  /** {@link #command(Map)}, failing unless the answer has {@code "ok": true}. */
  public JsonNode commandOk(Map<String, ?> command) {
    return commandOk(command, COMMAND_TIMEOUT);
  }

  /** {@link #command(Map, Duration)}, failing unless the answer has {@code "ok": true}. */
  public JsonNode commandOk(Map<String, ?> command, Duration timeout) {
    return node.commandOk(command, timeout);
  }

  /** Dials {@code addr} and waits for identify: peerId, protocols, agentVersion, listenAddrs. */
  public JsonNode dial(String addr) {
    return command(Map.of("cmd", "dial", "addr", addr));
  }

  /** Pings {@code addr} {@code count} times over new streams: rttMs. */
  public JsonNode ping(String addr, int count) {
    return command(Map.of("cmd", "ping", "addr", addr, "count", count));
  }

  /** Opens {@code streams} concurrent echo streams to {@code addr}, {@code bytes} each. */
  public JsonNode echo(String addr, int streams, long bytes) {
    return command(Map.of("cmd", "echo", "addr", addr, "streams", streams, "bytes", bytes));
  }

  /** The IDs of the peers it is connected to. */
  public List<String> peers() {
    return NodeScriptProcess.texts(commandOk(Map.of("cmd", "peers")).get("peers"));
  }

  /** Announces that it provides {@code cid} (a CID string) on the DHT. Needs {@link #KAD_DHT_FLAG}. */
  public void kadProvide(String cid) {
    commandOk(Map.of("cmd", "kadProvide", "cid", cid));
  }

  /** Up to {@code max} providers of {@code cid} found on the DHT: each {@code {"id", "addrs"}}. */
  public JsonNode kadFindProviders(String cid, int max) {
    return commandOk(Map.of("cmd", "kadFindProviders", "cid", cid, "max", max)).get("providers");
  }

  /** The peer's {@code {"id", "addrs"}} as a DHT lookup finds it, or a JSON null. */
  public JsonNode kadFindPeer(String peerId) {
    return commandOk(Map.of("cmd", "kadFindPeer", "peerId", peerId)).get("peer");
  }

  /** The IDs of the peers in its DHT routing table. */
  public List<String> kadRoutingTable() {
    return NodeScriptProcess.texts(commandOk(Map.of("cmd", "kadRoutingTable")).get("peers"));
  }

  /**
   * Sends {@code stop} and waits for the child to exit; destroys it if it does not. Idempotent.
   */
  @Override
  public void close() {
    node.close();
  }

  @Override
  public String toString() {
    return "JsLibp2pPeer[" + node.peerId() + " " + node.addrs() + "]";
  }
}
