package io.canopy.validator;

import io.canopy.content.Futures;
import io.canopy.identity.DomainSignatures;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Multihash;
import io.canopy.p2p.host.Connection;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.kad.KadDht;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.epoch.Beacon;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.HeldDeal;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.Verdict;
import io.canopy.storage.StorageRole;
import io.canopy.validator.compute.ComputeVerifier;
import io.canopy.validator.compute.FraudProof;
import io.canopy.validator.compute.JobRecord;
import io.canopy.validator.cosign.CosignMessage;
import io.canopy.validator.cosign.CosignProtocol;
import io.canopy.validator.cosign.EpochEvidence;
import io.canopy.validator.cosign.EpochEvidence.ReportedDeal;
import io.canopy.validator.jobs.JobsClient;
import io.canopy.validator.jobs.JobsService;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.ledger.StoredRecord;
import io.canopy.validator.poa.DealReports;
import io.canopy.validator.poa.StorageChallenger;
import io.canopy.validator.settle.EpochInputs;
import io.canopy.validator.settle.Prices;
import io.canopy.validator.settle.SettlementRecord;
import io.canopy.validator.settle.Settler;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The validator role in a running node (spec chapters 4–7, the timeline of settlement.md §7.9).
 * One thread walks the epochs; during epoch e it:
 *
 * <ol>
 *   <li>gets the record of e−1 settled: the validator whose turn it is (the set in peer ID order,
 *       rotated by the epoch; the next one if it fails) gathers every validator's observations of
 *       e−1, builds the {@link EpochEvidence}, has the others co-sign the record they each
 *       recompute from it, posts it and hands it to them; the others adopt it;</li>
 *   <li>takes beacon(e) from that record's hash;</li>
 *   <li>asks every storage node for the deals it holds and challenges each (verdicts of e);</li>
 *   <li>fetches the gateways' job records of e−1, samples them with beacon(e) and re-runs the
 *       sample (fraud proofs on e−1's jobs).</li>
 * </ol>
 *
 * What it saw in epoch e is the evidence of record e, settled early in e+1. Observations are kept
 * in memory: a validator restarted mid-epoch contributes no verdicts for that epoch (the quorum
 * of the others decides).
 */
public final class ValidatorRole implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ValidatorRole.class.getName());
  /** Epochs whose evidence is kept to hand to a validator catching up. */
  private static final int KEPT_EPOCHS = 16;
  /** Most storage nodes (or gateways) one DHT lookup returns. */
  private static final int MAX_PEERS = 1_000;

  /**
   * @param validators the validator set, this node among them
   * @param settleGrace how long after an epoch ends the settling validator waits before asking for
   *     observations (challenges still in flight at the end finish)
   * @param turnTimeout how long the others wait for the settling validator before the next takes its turn
   * @param callTimeout the limit of one call to another validator
   */
  public record Config(String networkId, EpochClock epochs, List<PeerId> validators, Prices prices,
                       StorageChallenger.Config challenges, Duration settleGrace, Duration turnTimeout, Duration callTimeout) {
    public Config {
      Objects.requireNonNull(networkId, "networkId");
      Objects.requireNonNull(epochs, "epochs");
      validators = validators.stream().distinct().sorted(Comparator.comparing(PeerId::toString)).toList();
      if (validators.isEmpty()) {
        throw new IllegalArgumentException("the validator set is empty");
      }
    }

    public static Config defaults(String networkId, EpochClock epochs, List<PeerId> validators, Prices prices) {
      Duration grace = Duration.ofMillis(Math.min(5_000, epochs.lengthMillis() / 10));
      return new Config(networkId, epochs, validators, prices, StorageChallenger.Config.DEFAULT, grace,
          Duration.ofMillis(Math.max(10_000, epochs.lengthMillis() / 4)), Duration.ofSeconds(30));
    }
  }

  /** What this validator saw during one epoch: the evidence of that epoch's record, but for other validators' parts. */
  private static final class Observed {
    final List<ReportedDeal> deals = new CopyOnWriteArrayList<>();
    final List<Verdict> verdicts = new CopyOnWriteArrayList<>();
    final List<CountersignedReceipt> receipts = new CopyOnWriteArrayList<>();
    final List<FraudProof> fraudProofs = new CopyOnWriteArrayList<>();
    /** Set when the epoch ends: a verdict that comes later is not this validator's observation (it may already have been gathered). */
    volatile boolean sealed;
  }

  /** One settled epoch as others can re-check it. */
  private record Settled(EpochEvidence evidence, SettlementRecord record) {}

  private final Host host;
  private final Ed25519PrivateKey key;
  private final Ledger ledger;
  private final Settler settler;
  private final StorageChallenger challenger;
  private final ComputeVerifier verifier;
  private final Optional<KadDht> dht;
  private final Clock clock;
  private final Config config;
  private final Consumer<String> events;
  private final ExecutorService loop = Executors.newSingleThreadExecutor(daemon("canopy-validator"));
  private final ExecutorService worker = Executors.newFixedThreadPool(4, daemon("canopy-validator-work"));
  private final Map<Long, Observed> observed = new ConcurrentHashMap<>();
  private final Map<Long, Settled> settled = new ConcurrentHashMap<>();
  private final Set<PeerId> knownStorageNodes = ConcurrentHashMap.newKeySet();
  private final Set<PeerId> knownGateways = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * @param verifier re-runs the compute sample on this validator's reference runtimes
   * @param events one line per thing worth telling the operator (settled epochs, failures)
   */
  public ValidatorRole(Host host, Ed25519PrivateKey key, Ledger ledger, ComputeVerifier verifier, KadDht dht, Clock clock, Config config,
                       Consumer<String> events) {
    this.host = host;
    this.key = key;
    this.ledger = ledger;
    this.settler = new Settler(ledger, config.networkId(), config.prices());
    this.challenger = new StorageChallenger(host, key, clock, config.challenges());
    this.verifier = verifier;
    this.dht = Optional.ofNullable(dht);
    this.clock = clock;
    this.config = config;
    this.events = events;
    if (!config.validators().contains(key.peerId())) {
      throw new IllegalArgumentException("this node (" + key.peerId() + ") is not in the validator set " + config.validators());
    }
  }

  public ValidatorRole start() {
    host.registerProtocol(CosignMessage.PROTOCOL_ID, CosignProtocol.serve(config.callTimeout(),
        (from, request) -> CompletableFuture.supplyAsync(() -> answer(from, request), worker)));
    loop.execute(this::run);
    return this;
  }

  /** The record of {@code epoch} in this validator's ledger, if settled. */
  public Optional<SettlementRecord> record(long epoch) {
    return ledger.record(epoch).map(r -> SettlementRecord.decode(r.encoded()));
  }

  // --- the epoch loop ---------------------------------------------------------------------------

  private void run() {
    long epoch = ledger.lastRecord().map(r -> r.epoch() + 1).orElse(0L);
    // A validator (re)started late does not challenge epochs already over; it settles them.
    long now = config.epochs().epochAt(Math.max(clock.millis(), config.epochs().genesisMillis()));
    while (!closed) {
      try {
        sleepUntil(config.epochs().startMillis(epoch));
        if (epoch > 0) {
          settle(epoch - 1);
        }
        if (closed) {
          return;
        }
        Beacon beacon = beacon(epoch);
        if (epoch >= now && clock.millis() < config.epochs().endMillis(epoch)) {
          observe(epoch, beacon);
        }
        long done = epoch;
        observed.keySet().removeIf(e -> e < done - 1);
        epoch++;
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        events.accept("validator: epoch " + epoch + ": " + e.getMessage());
        LOG.log(System.Logger.Level.WARNING, "validator loop, epoch " + epoch, e);
        sleepQuietly(1_000);
      }
    }
  }

  private Beacon beacon(long epoch) {
    if (epoch == 0) {
      return Beacon.genesis(config.networkId());
    }
    return Beacon.afterSettlement(ledger.record(epoch - 1).orElseThrow().hash());
  }

  // --- observing an epoch -----------------------------------------------------------------------

  private void observe(long epoch, Beacon beacon) throws InterruptedException {
    Observed seen = observed.computeIfAbsent(epoch, e -> new Observed());
    List<CompletableFuture<?>> work = new ArrayList<>();
    for (PeerId node : storageNodes()) {
      work.add(challengeNode(epoch, beacon, node, seen));
    }
    if (epoch > 0) {
      work.add(checkJobs(epoch - 1, beacon, seen));
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(work.toArray(CompletableFuture[]::new));
    long left = config.epochs().endMillis(epoch) - clock.millis();
    try {
      all.get(Math.max(1, left), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      events.accept("validator: epoch " + epoch + ": the epoch ended before every challenge and job check finished; "
          + "what finished counts");
    } catch (java.util.concurrent.ExecutionException e) {
      events.accept("validator: epoch " + epoch + ": observation failed: " + e.getCause());
    }
    synchronized (seen) {
      seen.sealed = true;
    }
    long pass = seen.verdicts.stream().filter(v -> v.result() == Verdict.Result.PASS).count();
    events.accept("validator: epoch " + epoch + ": " + seen.verdicts.size() + " challenges, " + pass + " passed; "
        + seen.receipts.size() + " receipts of epoch " + (epoch - 1) + ", " + seen.fraudProofs.size() + " fraud proofs");
  }

  /** The deals {@code node} reports, each challenged in turn (one proof at a time per node). */
  private CompletableFuture<Void> challengeNode(long epoch, Beacon beacon, PeerId node, Observed seen) {
    long start = config.epochs().startMillis(epoch);
    long end = config.epochs().endMillis(epoch);
    return DealReports.fetch(host, node, clock).thenCompose(deals -> {
      CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
      for (HeldDeal held : deals) {
        if (held.deal().startMillis() >= end || held.deal().endMillis() <= start) {
          continue;
        }
        StorageChallenger.Target target = new StorageChallenger.Target(held.deal().id(), held.deal().root(), held.fileSize(),
            held.deal().size());
        chain = chain.thenCompose(x -> seen.sealed ? CompletableFuture.completedFuture(null)
            : challenger.challenge(node, epoch, beacon, target).thenAccept(verdict -> {
              synchronized (seen) {
                if (!seen.sealed) {
                  seen.deals.add(new ReportedDeal(node, held.deal(), held.ownerSignature()));
                  seen.verdicts.add(verdict);
                }
              }
            }));
      }
      return chain;
    }).exceptionally(e -> {
      events.accept("validator: epoch " + epoch + ": no deal report from " + node + ": " + Futures.cause(e).getMessage());
      return null;
    });
  }

  /** The gateways' records of the jobs of {@code jobsEpoch}, sampled with {@code beacon} and the sample re-run. */
  private CompletableFuture<Void> checkJobs(long jobsEpoch, Beacon beacon, Observed seen) {
    List<CompletableFuture<List<JobRecord>>> fetches = new ArrayList<>();
    for (PeerId gateway : gateways()) {
      fetches.add(JobsClient.fetch(host, gateway, jobsEpoch).thenApply(f -> {
        f.rejected().forEach(reason -> events.accept("validator: job record from " + gateway + " dropped: " + reason));
        return f.accepted();
      }).exceptionally(e -> {
        events.accept("validator: no job records from gateway " + gateway + ": " + Futures.cause(e).getMessage());
        return List.of();
      }));
    }
    return CompletableFuture.allOf(fetches.toArray(CompletableFuture[]::new)).thenAcceptAsync(x -> {
      List<JobRecord> records = new ArrayList<>();
      fetches.forEach(f -> records.addAll(f.join()));
      ComputeVerifier.EpochResult result = verifier.verify(jobsEpoch, beacon, records);
      result.skipped().forEach(s -> events.accept("validator: job " + s.record().receipt().jobId() + " not paid: " + s.reason()));
      synchronized (seen) {
        if (seen.sealed) {
          events.accept("validator: the jobs of epoch " + jobsEpoch + " were checked too late to count");
          return;
        }
        for (List<JobRecord> paid : List.of(result.verified(), result.unsampled(), result.uncheckable())) {
          paid.forEach(r -> seen.receipts.add(r.countersigned()));
        }
        for (FraudProof p : result.fraudProofs()) {
          seen.receipts.add(p.record().countersigned());
          seen.fraudProofs.add(p);
          events.accept("validator: FRAUD by " + p.node() + " on job " + p.record().receipt().jobId());
        }
      }
    }, worker);
  }

  private Set<PeerId> storageNodes() {
    discover(PoaMessage.PROTOCOL_ID, StorageRole.SERVICE_KEY, knownStorageNodes);
    knownStorageNodes.remove(host.peerId());
    return Set.copyOf(knownStorageNodes);
  }

  private Set<PeerId> gateways() {
    discover(JobsService.PROTOCOL_ID, JobsService.SERVICE_KEY, knownGateways);
    return Set.copyOf(knownGateways);
  }

  /**
   * Adds to {@code known} the connected peers that list {@code protocol} in identify and the DHT's
   * providers of {@code serviceKey}; a lookup that outlasts {@link #lookupMillis} still adds what it
   * finds, for the next epoch.
   */
  private void discover(String protocol, Multihash serviceKey, Set<PeerId> known) {
    for (Connection c : host.connections()) {
      host.peerStore().get(c.remotePeer()).filter(info -> info.protocols().contains(protocol)).ifPresent(info -> known.add(c.remotePeer()));
    }
    if (dht.isEmpty()) {
      return;
    }
    CompletableFuture<List<PeerId>> lookup = dht.get().findProviders(serviceKey, MAX_PEERS);
    lookup.thenAccept(known::addAll);
    try {
      lookup.get(lookupMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      LOG.log(System.Logger.Level.DEBUG, "looking up {0} in the DHT: {1}", protocol, e.toString());
    }
  }

  /** A DHT lookup may take at most a tenth of the epoch (10 s at most): challenges must fit in what remains. */
  private long lookupMillis() {
    return Math.max(500, Math.min(10_000, config.epochs().lengthMillis() / 10));
  }

  // --- settling ---------------------------------------------------------------------------------

  /** Returns once {@code epoch} is settled in this ledger (or the role closes). */
  private void settle(long epoch) throws InterruptedException {
    sleepUntil(config.epochs().endMillis(epoch) + config.settleGrace().toMillis());
    List<PeerId> order = turnOrder(epoch);
    for (int round = 0; !closed; round++) {
      if (ledger.record(epoch).isPresent()) {
        return;
      }
      // Long over (this validator was away): the others have most likely settled it already.
      if (clock.millis() > config.epochs().endMillis(epoch) + config.settleGrace().toMillis() + config.turnTimeout().toMillis()
          && fetchFromAny(epoch)) {
        return;
      }
      PeerId turn = order.get(round % order.size());
      try {
        if (turn.equals(key.peerId())) {
          lead(epoch);
        } else {
          awaitRecord(epoch, turn);
        }
      } catch (RuntimeException e) {
        events.accept("validator: settling epoch " + epoch + " (turn of " + turn + "): " + Futures.cause(e).getMessage());
      }
    }
  }

  /** The validator set in peer ID order, rotated by the epoch: whose turn it is to settle first, second… */
  List<PeerId> turnOrder(long epoch) {
    List<PeerId> set = config.validators();
    int first = (int) Math.floorMod(epoch, (long) set.size());
    List<PeerId> order = new ArrayList<>(set.subList(first, set.size()));
    order.addAll(set.subList(0, first));
    return order;
  }

  /** Waits for {@code turn}'s record, asking it directly when it has not come by the turn timeout. */
  private void awaitRecord(long epoch, PeerId turn) throws InterruptedException {
    long until = clock.millis() + config.turnTimeout().toMillis();
    while (clock.millis() < until && !closed) {
      if (ledger.record(epoch).isPresent()) {
        return;
      }
      Thread.sleep(100);
    }
    if (ledger.record(epoch).isEmpty()) {
      catchUp(turn, epoch);
    }
  }

  /** This validator's turn: gather, have the record co-signed, post it, hand it out. */
  private void lead(long epoch) {
    EpochEvidence evidence = gather(epoch);
    EpochInputs inputs = evidence.inputs(config.epochs());
    SettlementRecord draft = settler.draft(epoch, inputs, config.validators());
    Map<PeerId, byte[]> signatures = cosign(evidence, draft);
    if (signatures.size() < draft.signers().size()) {
      // Settle with those who signed, if they are a quorum; the record (and its fee split) changes, so they sign again.
      List<PeerId> signers = draft.signers().stream().filter(signatures::containsKey).toList();
      if (signers.size() < config.validators().size() / 2 + 1) {
        throw new IllegalStateException("only " + signers.size() + " of " + config.validators().size() + " validators co-signed");
      }
      draft = settler.draft(epoch, inputs, signers);
      signatures = cosign(evidence, draft);
      if (signatures.size() < signers.size()) {
        throw new IllegalStateException("a co-signer dropped out between two rounds");
      }
    }
    List<byte[]> sigs = draft.signers().stream().map(signatures::get).toList();
    SettlementRecord record = settler.adopt(draft.withSignatures(sigs), inputs);
    settled(epoch, evidence, record);
    CosignMessage.Settled push = new CosignMessage.Settled(evidence, record);
    for (PeerId v : config.validators()) {
      if (!v.equals(key.peerId())) {
        call(v, push).whenComplete((reply, e) -> {
          if (e != null || !(reply instanceof CosignMessage.Ack)) {
            events.accept("validator: " + v + " did not take record " + epoch + ": " + (e != null ? Futures.cause(e).getMessage() : reply));
          }
        });
      }
    }
  }

  /** Own observations of {@code epoch} plus every other validator's, merged (the receipts are this validator's). */
  private EpochEvidence gather(long epoch) {
    List<EpochEvidence> parts = new ArrayList<>();
    parts.add(observations(epoch));
    List<CompletableFuture<CosignMessage>> asks = new ArrayList<>();
    for (PeerId v : config.validators()) {
      if (!v.equals(key.peerId())) {
        asks.add(call(v, new CosignMessage.ObservationsRequest(epoch)).exceptionally(e -> new CosignMessage.Refused(e.toString())));
      }
    }
    for (CompletableFuture<CosignMessage> ask : asks) {
      if (ask.join() instanceof CosignMessage.Observations o && o.evidence().epoch() == epoch) {
        parts.add(o.evidence());
      }
    }
    Map<String, ReportedDeal> deals = new LinkedHashMap<>();
    Set<String> conflicting = new HashSet<>();
    Map<String, Verdict> verdicts = new LinkedHashMap<>();
    Map<String, FraudProof> proofs = new LinkedHashMap<>();
    for (EpochEvidence part : parts) {
      for (ReportedDeal d : part.deals()) {
        String k = d.deal().id() + "\u0000" + d.node();
        ReportedDeal before = deals.putIfAbsent(k, d);
        if (before != null && !java.util.Arrays.equals(before.deal().encode(), d.deal().encode())) {
          conflicting.add(k); // the node reported two different deals under one id: pay neither
        }
      }
      part.verdicts().forEach(v -> verdicts.putIfAbsent(v.validator() + "\u0000" + v.dealId() + "\u0000" + v.node(), v));
      for (FraudProof p : part.fraudProofs()) {
        if (part != parts.get(0)) {
          try {
            verifier.confirm(p);
          } catch (RuntimeException e) {
            events.accept("validator: fraud proof by " + p.validator() + " on " + p.node() + " refused: " + e.getMessage());
            continue;
          }
        }
        proofs.putIfAbsent(p.node() + "\u0000" + p.record().receipt().jobId(), p);
      }
    }
    conflicting.forEach(deals::remove);
    List<Verdict> kept = verdicts.values().stream().filter(v -> deals.containsKey(v.dealId() + "\u0000" + v.node())).toList();
    Observed own = observed.getOrDefault(epoch, new Observed());
    return new EpochEvidence(epoch, List.copyOf(deals.values()), kept, List.copyOf(own.receipts), List.copyOf(proofs.values()),
        config.validators());
  }

  /** Asks every signer but this one to co-sign {@code draft}; returns the signatures that came back valid, this one's included. */
  private Map<PeerId, byte[]> cosign(EpochEvidence evidence, SettlementRecord draft) {
    Map<PeerId, byte[]> out = new ConcurrentHashMap<>();
    byte[] signed = draft.signedBytes();
    out.put(key.peerId(), key.sign(signed));
    List<CompletableFuture<Void>> asks = new ArrayList<>();
    for (PeerId v : draft.signers()) {
      if (v.equals(key.peerId())) {
        continue;
      }
      asks.add(call(v, new CosignMessage.SignRequest(evidence, draft)).handle((reply, e) -> {
        if (reply instanceof CosignMessage.Signature s && DomainSignatures.verify(v, signed, s.signature())) {
          out.put(v, s.signature());
        } else {
          events.accept("validator: " + v + " did not co-sign epoch " + draft.epoch() + ": "
              + (e != null ? Futures.cause(e).getMessage() : reply instanceof CosignMessage.Refused r ? r.reason() : "a bad signature"));
        }
        return null;
      }));
    }
    asks.forEach(CompletableFuture::join);
    return out;
  }

  /** Whether some other validator handed over the records up to {@code epoch}. */
  private boolean fetchFromAny(long epoch) {
    for (PeerId v : config.validators()) {
      if (!v.equals(key.peerId())) {
        try {
          catchUp(v, epoch);
          return true;
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.DEBUG, "{0} could not hand over epoch {1}: {2}", v, epoch, e.getMessage());
        }
      }
    }
    return false;
  }

  /** Asks {@code from} for the records this ledger lacks up to {@code epoch}, and adopts them in order. */
  private void catchUp(PeerId from, long epoch) {
    long next = ledger.lastRecord().map(r -> r.epoch() + 1).orElse(0L);
    for (long e = next; e <= epoch; e++) {
      CosignMessage reply = call(from, new CosignMessage.RecordRequest(e)).join();
      if (!(reply instanceof CosignMessage.Settled s)) {
        throw new IllegalStateException(from + " has no record of epoch " + e + ": " + reply);
      }
      adopt(s.evidence(), s.record());
    }
  }

  private void adopt(EpochEvidence evidence, SettlementRecord record) {
    checkFraudProofs(evidence);
    SettlementRecord adopted = settler.adopt(record, evidence.inputs(config.epochs()));
    settled(record.epoch(), evidence, adopted);
  }

  private void settled(long epoch, EpochEvidence evidence, SettlementRecord record) {
    settled.put(epoch, new Settled(evidence, record));
    settled.keySet().removeIf(e -> e <= epoch - KEPT_EPOCHS);
    events.accept("validator: epoch " + epoch + " settled: " + record.hashHex().substring(0, 16) + " paid " + record.totalPaid()
        + " fees " + record.totalFees() + " forfeited " + record.forfeited() + " signers " + record.signers().size());
  }

  private void checkFraudProofs(EpochEvidence evidence) {
    for (FraudProof p : evidence.fraudProofs()) {
      if (!p.validator().equals(key.peerId())) {
        verifier.confirm(p);
      }
    }
  }

  // --- answering other validators ---------------------------------------------------------------

  private EpochEvidence observations(long epoch) {
    Observed seen = observed.getOrDefault(epoch, new Observed());
    return new EpochEvidence(epoch, List.copyOf(seen.deals), List.copyOf(seen.verdicts), List.of(), List.copyOf(seen.fraudProofs),
        config.validators());
  }

  CosignMessage answer(PeerId from, CosignMessage request) {
    if (!config.validators().contains(from)) {
      return new CosignMessage.Refused(from + " is not in the validator set");
    }
    try {
      if (request instanceof CosignMessage.ObservationsRequest r) {
        return new CosignMessage.Observations(observations(r.epoch()));
      } else if (request instanceof CosignMessage.SignRequest r) {
        return new CosignMessage.Signature(key.sign(checkProposal(r.evidence(), r.record()).signedBytes()));
      } else if (request instanceof CosignMessage.Settled r) {
        if (ledger.lastRecord().map(StoredRecord::epoch).orElse(-1L) < r.record().epoch() - 1) {
          catchUp(from, r.record().epoch() - 1);
        }
        adopt(r.evidence(), r.record());
        return new CosignMessage.Ack();
      } else if (request instanceof CosignMessage.RecordRequest r) {
        Settled s = settled.get(r.epoch());
        return s != null ? new CosignMessage.Settled(s.evidence(), s.record())
            : new CosignMessage.Refused("no record of epoch " + r.epoch() + " kept here");
      }
      return new CosignMessage.Refused("unexpected " + request.getClass().getSimpleName());
    } catch (RuntimeException e) {
      return new CosignMessage.Refused(String.valueOf(Futures.cause(e).getMessage()));
    }
  }

  /**
   * The draft {@code record} is co-signed only if this validator, from the same evidence, computes
   * the same record; the evidence must hold every verdict this validator gave in the epoch and
   * every fraud proof in it must hold on a re-run.
   */
  private SettlementRecord checkProposal(EpochEvidence evidence, SettlementRecord record) {
    if (!record.networkId().equals(config.networkId())) {
      throw new IllegalArgumentException("a record of network '" + record.networkId() + "'");
    }
    if (!Set.copyOf(evidence.validators()).equals(Set.copyOf(config.validators()))) {
      throw new IllegalArgumentException("the evidence names another validator set");
    }
    Set<Verdict> given = new HashSet<>(evidence.verdicts());
    long missing = observed.getOrDefault(record.epoch(), new Observed()).verdicts.stream().filter(v -> !given.contains(v)).count();
    if (missing > 0) {
      throw new IllegalArgumentException("the evidence leaves out " + missing + " of this validator's verdicts");
    }
    checkFraudProofs(evidence);
    SettlementRecord mine = settler.draft(record.epoch(), evidence.inputs(config.epochs()), record.signers());
    if (!mine.sameBody(record)) {
      throw new IllegalArgumentException("recomputed from the evidence, the record differs (hash chain, inputs digest or payouts)");
    }
    return mine;
  }

  private CompletableFuture<CosignMessage> call(PeerId peer, CosignMessage message) {
    return reach(peer).thenCompose(x -> CosignProtocol.call(host, peer, message, config.callTimeout()));
  }

  /** Makes sure the peer store has an address for {@code peer}, asking the DHT if it has none. */
  private CompletableFuture<Void> reach(PeerId peer) {
    boolean known = host.peerStore().get(peer).map(i -> !i.addrs().isEmpty()).orElse(false);
    if (known || dht.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    return dht.get().findPeer(peer).thenAccept(addrs -> addrs.ifPresent(a -> host.peerStore().addAddrs(peer, a)));
  }

  // --- plumbing ---------------------------------------------------------------------------------

  private void sleepUntil(long millis) throws InterruptedException {
    long wait;
    while (!closed && (wait = millis - clock.millis()) > 0) {
      Thread.sleep(Math.min(wait, 200));
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public void close() {
    closed = true;
    loop.shutdownNow();
    worker.shutdownNow();
    try {
      loop.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
