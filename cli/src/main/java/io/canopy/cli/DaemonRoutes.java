package io.canopy.cli;

import io.canopy.cli.NodeApi.BlockImport;
import io.canopy.cli.NodeApi.ImportKind;
import io.canopy.cli.NodeApi.PinResult;
import io.canopy.cli.rpc.RpcCall;
import io.canopy.cli.rpc.RpcError;
import io.canopy.cli.rpc.RpcException;
import io.canopy.cli.rpc.RpcServer;
import io.canopy.content.block.Block;
import io.canopy.content.pin.Pin;
import io.canopy.content.pin.PinType;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.InvalidMultiaddrException;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.Host;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The daemon's API routes ({@code POST /api/v0/…}), each a thin translation between the query and
 * the same {@link RepoNodeApi} operation a command runs offline, so that a command prints the same
 * through the daemon as without it. {@link HttpNodeApi} is the client of these routes; the README
 * lists them. Roles add their own routes with {@link RpcServer#route}. {@link KuboRpcRoutes} serves
 * the handlers whose shapes are already Kubo's on the token-free Kubo RPC face.
 */
final class DaemonRoutes {
  static final String PREFIX = "/api/v0/";
  static final long SWARM_CONNECT_TIMEOUT_SECONDS = 30;

  private final RepoNodeApi node;
  private final Host host;

  DaemonRoutes(RepoNodeApi node, Host host) {
    this.node = node;
    this.host = host;
  }

  static void register(RpcServer api, RepoNodeApi node, Host host) {
    DaemonRoutes r = new DaemonRoutes(node, host);
    long upload = api.config().maxUploadBytes();
    for (ImportKind kind : ImportKind.values()) {
      api.route(PREFIX + kind.route, upload, call -> r.importBlocks(call, kind));
    }
    api.route(PREFIX + "cat", r::cat);
    api.route(PREFIX + "block/get", r::blockGet);
    api.route(PREFIX + "block/stat", r::blockStat);
    api.route(PREFIX + "block/rm", r::blockRm);
    api.route(PREFIX + "dag/export", r::dagExport);
    api.route(PREFIX + "pin/add", r::pinAdd);
    api.route(PREFIX + "pin/rm", r::pinRm);
    api.route(PREFIX + "pin/ls", r::pinLs);
    api.route(PREFIX + "repo/gc", r::repoGc);
    api.route(PREFIX + "id", r::id);
    api.route(PREFIX + "version", call -> call.respondJson(Map.of("Version", VersionCommand.version())));
    api.route(PREFIX + "swarm/connect", r::swarmConnect);
    api.route(PREFIX + "swarm/peers", r::swarmPeers);
  }

  /** {@code add}, {@code block/put}, {@code dag/import}: a {@link BlockStream} body. */
  private void importBlocks(RpcCall call, ImportKind kind) throws Exception {
    if (!call.contentType().equals(BlockStream.CONTENT_TYPE)) {
      throw new RpcException(RpcError.UNSUPPORTED_MEDIA_TYPE, PREFIX + kind.route + " takes a Canopy block stream (Content-Type "
          + BlockStream.CONTENT_TYPE + ", see the README), not '" + call.contentType() + "'");
    }
    try (BlockImport session = node.importBlocks(kind)) {
      BlockStream.Reader in = new BlockStream.Reader(call.body());
      for (Optional<Block> b = in.next(); b.isPresent(); b = in.next()) {
        session.put(b.get());
      }
      List<Cid> roots = in.roots();
      PinResult result = session.finish(roots);
      Map<String, Object> answer = new LinkedHashMap<>();
      answer.put("Blocks", in.blocks());
      answer.put("Pinned", result.pinned().stream().map(Cid::toString).toList());
      if (result.failed()) {
        answer.put("PinFailed", Map.of("Root", result.failedRoot().toString(), "Message", result.failure()));
      }
      call.respondJson(answer);
    }
  }

  void cat(RpcCall call) throws Exception {
    List<String> paths = call.args(1, Integer.MAX_VALUE);
    long offset = call.longOption("offset", 0);
    long length = call.longOption("length", -1);
    if (offset < 0) {
      throw RpcException.badRequest("--offset must not be negative, got " + offset);
    }
    if (call.option("length") != null && length < 0) {
      throw RpcException.badRequest("--length must not be negative, got " + length);
    }
    long size = node.catLength(paths, offset, length);
    try (OutputStream out = call.respondStream("application/octet-stream", size)) {
      node.cat(paths, offset, length, out);
    }
  }

  void blockGet(RpcCall call) throws Exception {
    byte[] data = node.blockGet(cid(call.arg()));
    try (OutputStream out = call.respondStream("application/octet-stream", data.length)) {
      out.write(data);
    }
  }

  void blockStat(RpcCall call) throws Exception {
    Cid cid = cid(call.arg());
    call.respondJson(Map.of("Key", cid.toString(), "Size", node.blockSize(cid)));
  }

  void blockRm(RpcCall call) throws Exception {
    Cid cid = cid(call.arg());
    node.blockRm(cid);
    call.respondJson(Map.of("Hash", cid.toString(), "Error", ""));
  }

  void dagExport(RpcCall call) throws Exception {
    Cid root = cid(call.arg());
    try (OutputStream out = call.respondStream("application/vnd.ipld.car", -1)) {
      node.dagExport(root, out);
    }
  }

  void pinAdd(RpcCall call) throws Exception {
    Cid cid = node.pinAdd(call.arg(), call.flag("recursive", true));
    call.respondJson(Map.of("Pins", List.of(cid.toString())));
  }

  void pinRm(RpcCall call) throws Exception {
    Cid cid = node.pinRm(call.arg());
    call.respondJson(Map.of("Pins", List.of(cid.toString())));
  }

  /** Kubo's shape, {"Keys": {CID: {"Type": …}}}, in the order the pins are listed. */
  void pinLs(RpcCall call) throws Exception {
    PinType type = pinType(Optional.ofNullable(call.option("type")).orElse("all"));
    List<String> paths = call.args(0, 1);
    List<Pin> pins = paths.isEmpty() ? node.pinLs(type) : List.of(node.pinLs(paths.get(0), type));
    Map<String, Object> keys = new LinkedHashMap<>();
    for (Pin p : pins) {
      keys.put(p.cid().toString(), Map.of("Type", HttpNodeApi.name(p.type())));
    }
    call.respondJson(Map.of("Keys", keys));
  }

  /** The pins {@code pin/ls} lists: of {@code --type} (default all), all of them or the one {@code arg} names. */
  List<Pin> pins(RpcCall call) throws Exception {
    PinType type = pinType(Optional.ofNullable(call.option("type")).orElse("all"));
    List<String> paths = call.args(0, 1);
    return paths.isEmpty() ? node.pinLs(type) : List.of(node.pinLs(paths.get(0), type));
  }

  private void repoGc(RpcCall call) throws Exception {
    call.respondJson(Map.of("Removed", node.repoGc().stream().map(Cid::toString).toList()));
  }

  /** The offline fields, plus the addresses the node listens on (as {@code ipfs id} online). */
  private void id(RpcCall call) throws Exception {
    call.respondJson(idFields());
  }

  Map<String, Object> idFields() throws Exception {
    Map<String, Object> id = new LinkedHashMap<>(node.id());
    id.put("Addresses", listenAddrs(host));
    return id;
  }

  static List<String> listenAddrs(Host host) {
    return host.listenAddrs().stream().map(a -> a.withPeerId(host.peerId()).toString()).toList();
  }

  /** Kubo: {"Strings": ["connect <peer> success"]}; the address must name its peer. */
  void swarmConnect(RpcCall call) throws Exception {
    String text = call.arg();
    Multiaddr addr;
    try {
      addr = Multiaddr.parse(text);
    } catch (InvalidMultiaddrException e) {
      throw RpcException.badRequest("invalid multiaddr '" + text + "': " + e.getMessage());
    }
    PeerId peer = addr.peerId().orElseThrow(() -> RpcException.badRequest(
        "'" + text + "' names no peer: end it with /p2p/<peer ID>"));
    try {
      host.connect(addr).get(SWARM_CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new RpcException(RpcError.FAILED, "connect " + peer + " failure: " + ErrorReport.describe(e.getCause()), e.getCause());
    } catch (TimeoutException e) {
      throw new RpcException(RpcError.FAILED, "connect " + peer + " failure: no answer within " + SWARM_CONNECT_TIMEOUT_SECONDS + " s");
    }
    call.respondJson(Map.of("Strings", List.of("connect " + peer + " success")));
  }

  /** Kubo: {"Peers": [{"Addr", "Peer", "Direction"}]}, one per connected peer, by peer ID. */
  void swarmPeers(RpcCall call) throws Exception {
    Map<String, Map<String, Object>> byPeer = new TreeMap<>();
    for (Connection c : host.connections()) {
      if (!c.isOpen()) {
        continue;
      }
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("Addr", c.remoteAddr().withoutPeerId().toString());
      p.put("Peer", c.remotePeer().toString());
      p.put("Direction", c.isInbound() ? 1 : 2); // Kubo's network.Direction
      byPeer.putIfAbsent(c.remotePeer().toString(), p);
    }
    call.respondJson(Map.of("Peers", new ArrayList<>(byPeer.values())));
  }

  static Cid cid(String text) {
    try {
      return Cid.parse(text);
    } catch (IllegalArgumentException e) { // InvalidCidException and kin
      throw RpcException.badRequest(e.getMessage());
    }
  }

  private static PinType pinType(String name) {
    for (PinType t : PinType.values()) {
      if (t.name().toLowerCase(Locale.ROOT).equals(name)) {
        return t;
      }
    }
    throw RpcException.badRequest("invalid --type '" + name + "': use recursive, direct, indirect or all");
  }
}
