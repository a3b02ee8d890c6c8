package io.canopy.interop;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Helia node ({@code js/helia-peer.mjs}: libp2p with TCP, Noise, Yamux, identify and ping, an
 * in-memory blockstore, Bitswap 1.2.0 as its only block broker, no routers) running in a
 * {@code node} child process, driven over its stdin/stdout JSON-lines protocol (documented at the
 * top of the script). Same process handling as {@link JsLibp2pPeer} ({@link NodeScriptProcess}).
 *
 * <pre>{@code
 * try (HeliaPeer helia = HeliaPeer.start()) {
 *   helia.dial(canopyAddr);
 *   HeliaPeer.CatResult got = helia.cat(cid);
 * }
 * }</pre>
 *
 * <p>Needs {@code node} on the PATH (or {@code -Dcanopy.node=/path/to/node}) and
 * {@code interop/node_modules} (the build's {@code npm ci}). {@code -Dcanopy.heliaDebug=helia:bitswap*}
 * passes {@code DEBUG} to the child, whose Bitswap then logs every message on stderr (kept in
 * {@link #stderr()}, and printed with every failure).
 */
public final class HeliaPeer implements AutoCloseable {
  public static final String BITSWAP_PROTOCOL = "/ipfs/bitswap/1.2.0";

  public static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

  /** What {@code add} answered: Helia's CID for the file and how many bytes it read. */
  public record AddResult(String cid, long bytes) {}

  /** What {@code cat} answered: the file's length and SHA-256 (hex) as Helia read it. */
  public record CatResult(long bytes, String sha256, double ms) {}

  private static final NodeScriptProcess.Spec SPEC = new NodeScriptProcess.Spec(
      "js/helia-peer.mjs", "helia", Map.of(), 256 * 1024, "helia", "Helia peer", "Helia peer", "HeliaPeer");

  private final NodeScriptProcess node;

  /** Starts a Helia node with a random key listening on {@code /ip4/127.0.0.1/tcp/0}. */
  public static HeliaPeer start(String... args) {
    return start(List.of(args), READY_TIMEOUT);
  }

  /** Starts a node whose Ed25519 private key is derived from this 32-byte seed. */
  public static HeliaPeer startWithSeed(byte[] seed, String... moreArgs) {
    return start(NodeScriptProcess.seedArgs(seed, moreArgs), READY_TIMEOUT);
  }

  /**
   * Starts {@code node js/helia-peer.mjs args...} and waits for its ready line.
   *
   * @throws IllegalStateException if node cannot start, dies or is not ready within {@code timeout}
   */
  public static HeliaPeer start(List<String> args, Duration timeout) {
    NodeScriptProcess.Spec spec = SPEC;
    String debug = System.getProperty("canopy.heliaDebug");
    if (debug != null && !debug.isBlank()) {
      spec = spec.withEnvironment(Map.of("DEBUG", debug));
    }
    return new HeliaPeer(NodeScriptProcess.start(spec, args, timeout));
  }

  private HeliaPeer(NodeScriptProcess node) {
    this.node = node;
  }

  /** The node's peer ID, base58btc ({@code 12D3KooW...}). */
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

  /** What the child printed on stderr so far (the last 256 KiB). */
  public String stderr() {
    return node.stderr();
  }

  /** Dials {@code addr} and waits for identify on that connection: peerId, protocols, agentVersion. */
  public JsonNode dial(String addr) {
    return commandOk(Map.of("cmd", "dial", "addr", addr));
  }

  /**
   * Imports {@code file} with @helia/unixfs into the node's blockstore: fixed {@code chunkSize}
   * chunks, balanced layout with 174 links per node; {@code rawLeaves} null means Kubo's default
   * (raw leaves with CIDv1 only).
   */
  public AddResult add(Path file, int cidVersion, Boolean rawLeaves, int chunkSize) {
    Map<String, Object> cmd = new HashMap<>();
    cmd.put("cmd", "add");
    cmd.put("path", file.toAbsolutePath().toString());
    cmd.put("cidVersion", cidVersion);
    cmd.put("chunkSize", chunkSize);
    if (rawLeaves != null) {
      cmd.put("rawLeaves", rawLeaves);
    }
    JsonNode a = commandOk(cmd);
    return new AddResult(a.get("cid").asText(), a.get("bytes").asLong());
  }

  /**
   * Reads the UnixFS file {@code cid} with @helia/unixfs {@code cat}, fetching missing blocks over
   * Bitswap from connected peers, and writes it to {@code out} if not null.
   */
  public CatResult cat(String cid, Path out, Duration timeout) {
    Map<String, Object> cmd = new HashMap<>();
    cmd.put("cmd", "cat");
    cmd.put("cid", cid);
    cmd.put("timeoutMs", timeout.toMillis());
    if (out != null) {
      cmd.put("out", out.toAbsolutePath().toString());
    }
    JsonNode a = commandOk(cmd, timeout.plusSeconds(10));
    return new CatResult(a.get("bytes").asLong(), a.get("sha256").asText(), a.get("ms").asDouble());
  }

  /** Whether the block is in the node's own blockstore (no network). */
  public boolean has(String cid) {
    return commandOk(Map.of("cmd", "has", "cid", cid)).get("has").asBoolean();
  }

  /** How many blocks the node's blockstore holds. */
  public long blockCount() {
    return commandOk(Map.of("cmd", "blocks")).get("count").asLong();
  }

  /** The IDs of the peers it is connected to. */
  public List<String> peers() {
    return NodeScriptProcess.texts(commandOk(Map.of("cmd", "peers")).get("peers"));
  }

  public boolean isAlive() {
    return node.isAlive();
  }

  /** Sends one command and returns its answer, {@code ok} true or false. */
  public JsonNode command(Map<String, ?> command, Duration timeout) {
    return node.command(command, timeout);
  }

  public JsonNode commandOk(Map<String, ?> command) {
    return commandOk(command, COMMAND_TIMEOUT);
  }

  /** {@link #command}, failing unless the answer has {@code "ok": true}. */
  public JsonNode commandOk(Map<String, ?> command, Duration timeout) {
    return node.commandOk(command, timeout);
  }

  /** Sends {@code stop} and waits for the child to exit; destroys it if it does not. Idempotent. */
  @Override
  public void close() {
    node.close();
  }

  @Override
  public String toString() {
    return "HeliaPeer[" + node.peerId() + " " + node.addrs() + "]";
  }
}
