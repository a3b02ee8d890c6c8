package io.canopy.cli;

import io.canopy.compute.job.ComputeProvider;
import io.canopy.identity.PeerId;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.Host;
import io.canopy.protocol.compute.ComputeMessage;
import io.canopy.protocol.storage.StorageMessage;
import io.canopy.storage.ContentStore;
import io.canopy.storage.DealStatus;
import io.canopy.storage.DealStore;
import io.canopy.storage.poa.PoaProver;
import io.canopy.validator.cosign.CosignMessage;
import io.canopy.validator.jobs.JobsMessage;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.records.RecordSource;
import io.canopy.validator.records.RecordsClient;
import io.canopy.validator.records.RecordsFollower;
import io.canopy.validator.records.SettledRecords;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * One JSON document describing a running node, for {@code canopy status} ({@code POST
 * /api/v0/status}) and the dashboard's {@code /status.json}: who it is, its roles and peers (with
 * the roles their identify announces), what it stores and proves, the jobs it served, the settled
 * epochs and what it earned in each, and its last log lines. No secret is in it (no API token, no
 * key). The shape is in the README ("Dashboard and status").
 *
 * <p>Settled records come from this node's ledger on a validator, otherwise from a validator of the
 * configured set over {@code /canopy/records/1.0.0}, each checked ({@link SettledRecords}) and
 * asked for at most every {@link #RECORDS_POLL}.
 */
final class NodeStatus {
  /** Settled epochs shown (and kept): earnings per epoch cover this many. */
  static final int EPOCHS_SHOWN = 32;
  /** Peers listed one by one; the count is always complete. */
  static final int MAX_PEERS_LISTED = 256;
  /** Owned deals listed one by one (the newest); counts are always complete. */
  static final int MAX_DEALS_LISTED = 100;
  /** How often the settled records are asked for, at most. */
  static final Duration RECORDS_POLL = Duration.ofSeconds(3);
  /** Reading the disk usage walks the blockstore: at most this often. */
  static final Duration DISK_USAGE_TTL = Duration.ofSeconds(15);

  /** The role a peer takes, by the protocol its identify lists. */
  static final Map<String, String> ROLE_PROTOCOLS = rolesByProtocol();

  private static Map<String, String> rolesByProtocol() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("storage", StorageMessage.PROTOCOL_ID);
    m.put("compute", ComputeMessage.PROTOCOL_ID);
    m.put("validator", CosignMessage.PROTOCOL_ID);
    m.put("gateway", JobsMessage.PROTOCOL_ID);
    return java.util.Collections.unmodifiableMap(m);
  }

  private final DaemonNode node;
  private final DaemonNode.NetworkOptions network;
  private final ContentStore content;
  private final DealStore deals;
  private final EventLog events;
  private final Clock clock;
  private final Instant started;
  private final Optional<RecordsFollower> records;
  private final String recordsSource;
  private final Object diskLock = new Object();
  private volatile Long diskUsed;
  private volatile long diskReadMillis = Long.MIN_VALUE / 2;

  NodeStatus(DaemonNode node, DaemonNode.NetworkOptions network, ContentStore content, DealStore deals, EventLog events, Clock clock) {
    this.node = node;
    this.network = network;
    this.content = content;
    this.deals = deals;
    this.events = events;
    this.clock = clock;
    this.started = clock.instant();
    PeerId self = node.host().peerId();
    boolean validator = node.validator().isPresent();
    if (network.validators().isEmpty() || !validator && network.validators().stream().allMatch(self::equals)) {
      this.records = Optional.empty();
      this.recordsSource = "none";
    } else {
      SettledRecords settled = new SettledRecords(network.networkId(), Set.copyOf(network.validators()),
          Set.of(Accounts.operator(self), Accounts.validator(self)), EPOCHS_SHOWN);
      RecordsFollower.Fetcher fetcher = validator
          ? RecordsFollower.fromSource(RecordSource.fromLedger(node.validator().get().ledger()))
          : RecordsFollower.fromValidators(node.host(), node.dht(), network.validators(), RecordsClient.DEFAULT_TIMEOUT);
      this.records = Optional.of(new RecordsFollower(settled, fetcher, network.epochs(), clock, RECORDS_POLL, events));
      this.recordsSource = validator ? "ledger" : "validators";
    }
  }

  /** This node's roles, in {@link DaemonCommand#KNOWN_ROLES} order. */
  List<String> roles() {
    List<String> roles = new ArrayList<>();
    if (node.storage().provider().isPresent()) {
      roles.add("storage");
    }
    if (node.gateway().isPresent()) {
      roles.add("gateway");
    }
    if (node.compute().isPresent()) {
      roles.add("compute");
    }
    if (node.validator().isPresent()) {
      roles.add("validator");
    }
    return roles;
  }

  /** The roles a peer announces through the protocols of its identify. */
  static List<String> roles(List<String> protocols) {
    List<String> out = new ArrayList<>();
    ROLE_PROTOCOLS.forEach((role, protocol) -> {
      if (protocols.contains(protocol)) {
        out.add(role);
      }
    });
    return out;
  }

  /** The epoch running now (-1 before genesis). */
  long currentEpoch() {
    return network.epochs().epochAt(clock.millis());
  }

  /** The settled epochs this node believes, newest last (asking for newer ones in the background). */
  List<SettledRecords.SettledEpoch> settled() {
    if (records.isEmpty()) {
      return List.of();
    }
    records.get().refresh();
    return records.get().records().recent(EPOCHS_SHOWN);
  }

  /** The status document. */
  Map<String, Object> document() throws IOException {
    Host host = node.host();
    PeerId self = host.peerId();
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("peerId", self.toString());
    doc.put("shortId", EventLog.shortId(self));
    doc.put("agentVersion", VersionCommand.agentVersion());
    doc.put("roles", roles());
    doc.put("startedAt", started.toString());
    doc.put("now", clock.instant().toString());
    doc.put("listenAddrs", DaemonRoutes.listenAddrs(host));
    doc.put("network", network());
    doc.put("peers", peers(host));
    doc.put("storage", storage());
    doc.put("compute", compute());
    doc.put("validator", validator());
    List<SettledRecords.SettledEpoch> settled = settled();
    doc.put("settlement", settlement(settled));
    doc.put("earnings", earnings(self, settled));
    List<Object> log = new ArrayList<>();
    for (EventLog.Event e : events.recent()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("time", e.time().toString());
      m.put("line", e.line());
      log.add(m);
    }
    doc.put("events", log);
    return doc;
  }

  private Map<String, Object> network() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", network.networkId());
    m.put("genesis", Instant.ofEpochMilli(network.epochs().genesisMillis()).toString());
    m.put("epochLengthMs", network.epochs().lengthMillis());
    m.put("currentEpoch", currentEpoch());
    m.put("validators", network.validators().stream().map(PeerId::toString).toList());
    return m;
  }

  static Map<String, Object> peers(Host host) {
    Map<String, Map<String, Object>> byPeer = new TreeMap<>();
    for (Connection c : host.connections()) {
      if (!c.isOpen() || byPeer.containsKey(c.remotePeer().toString())) {
        continue;
      }
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("peerId", c.remotePeer().toString());
      p.put("shortId", EventLog.shortId(c.remotePeer()));
      p.put("addr", c.remoteAddr().withoutPeerId().toString());
      p.put("direction", c.isInbound() ? "inbound" : "outbound");
      Optional<io.canopy.p2p.host.PeerStore.PeerInfo> info = host.peerStore().get(c.remotePeer());
      p.put("roles", info.map(i -> roles(i.protocols())).orElse(List.of()));
      p.put("agentVersion", info.map(io.canopy.p2p.host.PeerStore.PeerInfo::agentVersion).orElse(null));
      byPeer.put(c.remotePeer().toString(), p);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", byPeer.size());
    m.put("list", byPeer.values().stream().limit(MAX_PEERS_LISTED).toList());
    return m;
  }

  private Map<String, Object> storage() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    Optional<io.canopy.storage.StorageProvider> provider = node.storage().provider();
    m.put("serving", provider.isPresent());
    if (provider.isPresent()) {
      StorageMessage.Capacity capacity = provider.get().capacity();
      m.put("capacityBytes", capacity.capacityBytes());
      m.put("committedBytes", capacity.committedBytes());
    } else {
      m.put("capacityBytes", null);
      m.put("committedBytes", null);
    }
    m.put("diskUsedBytes", diskUsed());
    long heldCount = 0;
    long heldBytes = 0;
    long fetching = 0;
    for (DealStore.HeldDeal h : deals.heldDeals()) {
      if (h.state() == DealStore.HeldState.HOLDING) {
        heldCount++;
        heldBytes += h.deal().size();
      } else {
        fetching++;
      }
    }
    Map<String, Object> held = new LinkedHashMap<>();
    held.put("count", heldCount);
    held.put("bytes", heldBytes);
    held.put("fetching", fetching);
    m.put("held", held);
    Map<String, Long> byState = new TreeMap<>();
    List<DealStatus> owned = node.storage().deals().list();
    owned.forEach(d -> byState.merge(d.deal().state().name(), 1L, Long::sum));
    Map<String, Object> ownedDoc = new LinkedHashMap<>();
    ownedDoc.put("count", owned.size());
    ownedDoc.put("byState", byState);
    m.put("owned", ownedDoc);
    List<Object> proofs = new ArrayList<>();
    for (PoaProver.EpochProofs p : node.storage().prover().map(PoaProver::proofCounts).orElse(List.of())) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("epoch", p.epoch());
      e.put("answered", p.answered());
      e.put("refused", p.refused());
      proofs.add(e);
    }
    m.put("proofs", proofs);
    return m;
  }

  /** Bytes the stored blocks take, read at most every {@link #DISK_USAGE_TTL}; null if it cannot be read. */
  private Long diskUsed() {
    if (clock.millis() - diskReadMillis < DISK_USAGE_TTL.toMillis()) {
      return diskUsed;
    }
    synchronized (diskLock) {
      if (clock.millis() - diskReadMillis >= DISK_USAGE_TTL.toMillis()) {
        try {
          diskUsed = content.usedBytes();
        } catch (IOException | RuntimeException e) {
          diskUsed = null;
        }
        diskReadMillis = clock.millis();
      }
      return diskUsed;
    }
  }

  private Map<String, Object> compute() {
    if (node.compute().isEmpty()) {
      return null;
    }
    ComputeService compute = node.compute().get();
    Map<String, Object> m = new LinkedHashMap<>();
    List<Object> models = new ArrayList<>();
    for (ComputeService.ModelState s : compute.models()) {
      Map<String, Object> model = new LinkedHashMap<>();
      model.put("name", s.name());
      model.put("state", s.state());
      model.put("cid", s.cid());
      model.put("tasks", s.tasks());
      model.put("error", s.error());
      models.add(model);
    }
    models.sort(java.util.Comparator.comparing(o -> String.valueOf(((Map<?, ?>) o).get("name"))));
    m.put("models", models);
    ComputeProvider.JobCounts jobs = compute.provider().jobCounts();
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("served", jobs.served());
    j.put("tokens", jobs.tokens());
    j.put("refused", jobs.refused());
    m.put("jobs", j);
    return m;
  }

  private Map<String, Object> validator() {
    if (node.validator().isEmpty()) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lastSettledEpoch", node.validator().get().ledger().lastRecord().map(io.canopy.validator.ledger.StoredRecord::epoch)
        .orElse(null));
    return m;
  }

  private Map<String, Object> settlement(List<SettledRecords.SettledEpoch> settled) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("source", recordsSource);
    m.put("lastSettledEpoch", settled.isEmpty() ? null : settled.get(settled.size() - 1).epoch());
    List<Object> list = new ArrayList<>();
    for (SettledRecords.SettledEpoch s : settled) {
      list.add(record(s));
    }
    m.put("records", list);
    return m;
  }

  static Map<String, Object> record(SettledRecords.SettledEpoch s) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("epoch", s.epoch());
    r.put("hash", s.hashHex());
    r.put("paid", s.totalPaid());
    r.put("fees", s.totalFees());
    r.put("forfeited", s.forfeited());
    r.put("unfunded", s.unfunded());
    r.put("payouts", s.payoutCount());
    r.put("signers", s.signers().stream().map(PeerId::toString).toList());
    return r;
  }

  private static Map<String, Object> earnings(PeerId self, List<SettledRecords.SettledEpoch> settled) {
    String operator = Accounts.operator(self);
    String validator = Accounts.validator(self);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("account", operator);
    List<Object> perEpoch = new ArrayList<>();
    long total = 0;
    long fees = 0;
    for (SettledRecords.SettledEpoch s : settled) {
      long amount = s.watched().getOrDefault(operator, 0L);
      long fee = s.watched().getOrDefault(validator, 0L);
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("epoch", s.epoch());
      e.put("amount", amount);
      e.put("validatorFees", fee);
      perEpoch.add(e);
      total += amount;
      fees += fee;
    }
    m.put("total", total);
    m.put("validatorFeesTotal", fees);
    m.put("perEpoch", perEpoch);
    return m;
  }
}
