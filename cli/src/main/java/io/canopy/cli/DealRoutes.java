package io.canopy.cli;

import io.canopy.cli.rpc.RpcCall;
import io.canopy.cli.rpc.RpcError;
import io.canopy.cli.rpc.RpcException;
import io.canopy.cli.rpc.RpcServer;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.InvalidCidException;
import io.canopy.protocol.storage.Deal;
import io.canopy.storage.DealManager;
import io.canopy.storage.DealStatus;
import io.canopy.storage.DealStore.Replica;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The daemon's deal routes: {@code deal/create}, {@code deal/ls}, {@code deal/status}. A deal is
 * answered as {@code {"ID","Root","Size","Replicas","State","Reason","Start","End","Price",
 * "Holders":[{"Peer","State","Addrs","PlacedAt","LastSeen","FailedChecks"}]}}.
 */
final class DealRoutes {
  static final int DEFAULT_REPLICAS = 3;
  static final String DEFAULT_DURATION = "30d";

  private final DealManager deals;

  private DealRoutes(DealManager deals) {
    this.deals = deals;
  }

  static void register(RpcServer api, DealManager deals) {
    DealRoutes r = new DealRoutes(deals);
    api.route(DaemonRoutes.PREFIX + "deal/create", r::create);
    api.route(DaemonRoutes.PREFIX + "deal/ls", r::list);
    api.route(DaemonRoutes.PREFIX + "deal/status", r::status);
  }

  private void create(RpcCall call) throws Exception {
    Cid root;
    try {
      root = Cid.parse(call.arg());
    } catch (InvalidCidException e) {
      throw RpcException.badRequest(e.getMessage());
    }
    long replicas = call.longOption("replicas", DEFAULT_REPLICAS);
    if (replicas < 1 || replicas > Deal.MAX_REPLICAS) {
      throw RpcException.badRequest("replicas must be 1.." + Deal.MAX_REPLICAS + ", got " + replicas);
    }
    long price = call.longOption("price", 0);
    if (price < 0) {
      throw RpcException.badRequest("price must not be negative");
    }
    String durationText = call.option("duration");
    Duration duration;
    try {
      duration = DaemonCommand.duration(durationText == null ? DEFAULT_DURATION : durationText, "duration");
    } catch (CommandException e) {
      throw RpcException.badRequest(e.getMessage());
    }
    call.respondJson(json(deals.create(root, (int) replicas, duration, price)));
  }

  private void list(RpcCall call) throws Exception {
    List<Object> out = new ArrayList<>();
    for (DealStatus s : deals.list()) {
      out.add(json(s));
    }
    call.respondJson(Map.of("Deals", out));
  }

  private void status(RpcCall call) throws Exception {
    String id = call.arg();
    DealStatus s = deals.status(id).orElseThrow(() -> new RpcException(RpcError.FAILED, "no deal " + id + " is owned by this node"));
    call.respondJson(json(s));
  }

  static Map<String, Object> json(DealStatus s) {
    Deal d = s.deal().deal();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ID", d.id());
    m.put("Root", d.root().toString());
    m.put("Size", d.size());
    m.put("Replicas", d.replicas());
    m.put("State", s.deal().state().name());
    m.put("Reason", s.deal().reason());
    m.put("Start", Instant.ofEpochMilli(d.startMillis()).toString());
    m.put("End", Instant.ofEpochMilli(d.endMillis()).toString());
    m.put("Price", d.price());
    List<Object> holders = new ArrayList<>();
    for (Replica r : s.replicas()) {
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("Peer", r.node().toString());
      h.put("State", r.state().name());
      h.put("Addrs", r.addrs().stream().map(Object::toString).toList());
      h.put("PlacedAt", Instant.ofEpochMilli(r.placedMillis()).toString());
      h.put("LastSeen", Instant.ofEpochMilli(r.lastSeenMillis()).toString());
      h.put("FailedChecks", r.failedChecks());
      holders.add(h);
    }
    m.put("Holders", holders);
    return m;
  }
}
