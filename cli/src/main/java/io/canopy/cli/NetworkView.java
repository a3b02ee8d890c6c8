package io.canopy.cli;

import io.canopy.identity.PeerId;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.Host;
import io.canopy.protocol.storage.Deal;
import io.canopy.protocol.storage.StorageMessage;
import io.canopy.storage.DealStatus;
import io.canopy.storage.DealStore;
import io.canopy.storage.StorageClient;
import io.canopy.validator.records.SettledRecords;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The network as one node sees it, for the dashboard's {@code /network.json} (most telling on a
 * gateway, which owns the deals of its S3 objects): the nodes it is connected to and their roles,
 * the room the storage nodes offer (each asked with the storage protocol's {@code
 * capacity_request}, at most every {@link #CAPACITY_TTL}), the deals it owns and the health of
 * their replicas, and the settled epochs with their payouts.
 */
final class NetworkView {
  /** How long a storage node's answer to a capacity request is used before asking again. */
  static final Duration CAPACITY_TTL = Duration.ofSeconds(10);
  /** A capacity answer older than this is dropped (the node went away). */
  static final Duration CAPACITY_FORGET = Duration.ofMinutes(5);
  /** Storage nodes asked for their capacity, at most. */
  static final int MAX_SURVEYED = 64;
  static final Duration CAPACITY_TIMEOUT = Duration.ofSeconds(5);

  private record Answer(long capacityBytes, long committedBytes, long atMillis) {}

  private final DaemonNode node;
  private final NodeStatus status;
  private final StorageClient storageClient;
  private final Clock clock;
  private final Map<PeerId, Answer> capacities = new ConcurrentHashMap<>();
  private final Map<PeerId, Long> asking = new ConcurrentHashMap<>();

  NetworkView(DaemonNode node, NodeStatus status, Clock clock) {
    this.node = node;
    this.status = status;
    this.storageClient = new StorageClient(node.host());
    this.clock = clock;
  }

  Map<String, Object> document() throws IOException {
    Host host = node.host();
    PeerId self = host.peerId();
    long now = clock.millis();
    capacities.entrySet().removeIf(e -> now - e.getValue().atMillis() > CAPACITY_FORGET.toMillis());

    List<Map<String, Object>> nodes = new ArrayList<>();
    Map<String, Integer> roleCounts = new LinkedHashMap<>();
    NodeStatus.ROLE_PROTOCOLS.keySet().forEach(r -> roleCounts.put(r, 0));
    List<String> ownRoles = status.roles();
    nodes.add(nodeEntry(self, ownRoles, true, true));
    ownRoles.forEach(r -> roleCounts.merge(r, 1, Integer::sum));
    Map<PeerId, Boolean> seen = new LinkedHashMap<>();
    for (Connection c : host.connections()) {
      if (c.isOpen()) {
        seen.put(c.remotePeer(), true);
      }
    }
    int surveyed = 0;
    for (PeerId peer : seen.keySet().stream().sorted(Comparator.comparing(PeerId::toString)).toList()) {
      List<String> roles = host.peerStore().get(peer).map(i -> NodeStatus.roles(i.protocols())).orElse(List.of());
      roles.forEach(r -> roleCounts.merge(r, 1, Integer::sum));
      if (roles.contains("storage") && surveyed++ < MAX_SURVEYED) {
        askCapacity(peer, now);
      }
      if (nodes.size() <= NodeStatus.MAX_PEERS_LISTED) {
        nodes.add(nodeEntry(peer, roles, false, true));
      }
    }

    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("self", self.toString());
    doc.put("now", Instant.ofEpochMilli(now).toString());
    doc.put("nodes", nodes);
    doc.put("nodeCount", seen.size() + 1);
    doc.put("knownPeers", host.peerStore().peers().size());
    doc.put("roles", roleCounts);
    doc.put("capacity", capacity(self));
    doc.put("deals", deals());
    doc.put("epochs", epochs());
    return doc;
  }

  private Map<String, Object> nodeEntry(PeerId peer, List<String> roles, boolean isSelf, boolean connected) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("peerId", peer.toString());
    m.put("shortId", EventLog.shortId(peer));
    m.put("roles", roles);
    m.put("self", isSelf);
    m.put("connected", connected);
    Optional<Answer> capacity = isSelf ? ownCapacity() : Optional.ofNullable(capacities.get(peer));
    m.put("capacityBytes", capacity.map(Answer::capacityBytes).orElse(null));
    m.put("committedBytes", capacity.map(Answer::committedBytes).orElse(null));
    return m;
  }

  private Optional<Answer> ownCapacity() throws IOException {
    if (node.storage().provider().isEmpty()) {
      return Optional.empty();
    }
    StorageMessage.Capacity c = node.storage().provider().get().capacity();
    return Optional.of(new Answer(c.capacityBytes(), c.committedBytes(), clock.millis()));
  }

  /** Asks {@code peer} for its capacity in the background unless a fresh answer or a question is pending. */
  private void askCapacity(PeerId peer, long now) {
    Answer known = capacities.get(peer);
    if (known != null && now - known.atMillis() < CAPACITY_TTL.toMillis()) {
      return;
    }
    Long since = asking.get(peer);
    if (since != null && now - since < CAPACITY_TIMEOUT.toMillis() * 2) {
      return;
    }
    asking.put(peer, now);
    storageClient.request(peer, new StorageMessage.CapacityRequest(), CAPACITY_TIMEOUT).whenComplete((reply, e) -> {
      asking.remove(peer);
      if (reply instanceof StorageMessage.Capacity c) {
        capacities.put(peer, new Answer(c.capacityBytes(), c.committedBytes(), clock.millis()));
      }
    });
  }

  private Map<String, Object> capacity(PeerId self) throws IOException {
    long capacity = 0;
    long committed = 0;
    int reporting = 0;
    Map<PeerId, Answer> all = new LinkedHashMap<>(capacities);
    ownCapacity().ifPresent(a -> all.put(self, a));
    for (Answer a : all.values()) {
      capacity += a.capacityBytes();
      committed += a.committedBytes();
      reporting++;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("storageNodes", reporting);
    m.put("capacityBytes", capacity);
    m.put("committedBytes", committed);
    return m;
  }

  /** The deals this node owns: counts by state, replica health, and the newest {@link NodeStatus#MAX_DEALS_LISTED}. */
  private Map<String, Object> deals() throws IOException {
    List<DealStatus> owned = new ArrayList<>(node.storage().deals().list());
    owned.sort(Comparator.comparingLong((DealStatus d) -> d.deal().deal().startMillis()).reversed());
    Map<String, Long> byState = new TreeMap<>();
    Map<String, Long> replicas = new TreeMap<>();
    for (DealStore.ReplicaState s : DealStore.ReplicaState.values()) {
      replicas.put(s.name(), 0L);
    }
    List<Object> list = new ArrayList<>();
    for (DealStatus d : owned) {
      byState.merge(d.deal().state().name(), 1L, Long::sum);
      long active = 0;
      long lost = 0;
      for (DealStore.Replica r : d.replicas()) {
        replicas.merge(r.state().name(), 1L, Long::sum);
        active += r.state() == DealStore.ReplicaState.ACTIVE ? 1 : 0;
        lost += r.state() == DealStore.ReplicaState.LOST ? 1 : 0;
      }
      if (list.size() < NodeStatus.MAX_DEALS_LISTED) {
        Deal deal = d.deal().deal();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", deal.id());
        m.put("root", deal.root().toString());
        m.put("size", deal.size());
        m.put("state", d.deal().state().name());
        m.put("replicas", deal.replicas());
        m.put("active", active);
        m.put("lost", lost);
        m.put("holders", d.replicas().stream().filter(r -> r.state() == DealStore.ReplicaState.ACTIVE)
            .map(r -> EventLog.shortId(r.node())).toList());
        m.put("end", Instant.ofEpochMilli(deal.endMillis()).toString());
        list.add(m);
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", owned.size());
    m.put("byState", byState);
    m.put("replicas", replicas);
    m.put("list", list);
    return m;
  }

  private Map<String, Object> epochs() {
    List<SettledRecords.SettledEpoch> settled = status.settled();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("current", status.currentEpoch());
    m.put("lastSettled", settled.isEmpty() ? null : settled.get(settled.size() - 1).epoch());
    m.put("settled", settled.size());
    List<Object> records = new ArrayList<>();
    List<Object> payouts = new ArrayList<>();
    for (SettledRecords.SettledEpoch s : settled) {
      records.add(NodeStatus.record(s));
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("epoch", s.epoch());
      p.put("paid", s.totalPaid());
      p.put("fees", s.totalFees());
      p.put("payouts", s.payoutCount());
      payouts.add(p);
    }
    m.put("records", records);
    m.put("payouts", payouts);
    return m;
  }
}
