package io.canopy.validator.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protobuf.ProtoWriter;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.settle.EpochInputs;
import io.canopy.validator.settle.Payout;
import io.canopy.validator.settle.Prices;
import io.canopy.validator.settle.SettlementRecord;
import io.canopy.validator.settle.Settler;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /canopy/records/1.0.0} (settlement.md §7.10) over real hosts on 127.0.0.1: a validator
 * serves the records of its ledger to a peer outside the validator set, page by page; the peer
 * believes only records of its network signed by a majority of its configured set that chain; bad
 * requests are refused and the validator goes on serving; polling is rate-limited.
 */
class RecordsProtocolTest {
  private static final String NETWORK = "records-test";
  private static final List<Ed25519PrivateKey> VALIDATORS = IntStream.range(0, 3).mapToObj(i -> key("validator", i)).toList();
  private static final Set<PeerId> SET = Set.of(VALIDATORS.get(0).peerId(), VALIDATORS.get(1).peerId(), VALIDATORS.get(2).peerId());
  private static final Ed25519PrivateKey NODE_A = key("node", 1);
  private static final Ed25519PrivateKey NODE_B = key("node", 2);
  private static final Ed25519PrivateKey READER = key("reader", 0);
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path tmp;
  private final List<Host> hosts = new ArrayList<>();
  private final ExecutorService worker = Executors.newSingleThreadExecutor();
  private Ledger ledger;
  private final List<SettlementRecord> settled = new ArrayList<>();

  static Ed25519PrivateKey key(String role, int n) {
    try {
      byte[] seed = MessageDigest.getInstance("SHA-256").digest(ByteBuffer.allocate(64).put(role.getBytes(StandardCharsets.UTF_8))
          .putInt(48, n).array());
      return Ed25519PrivateKey.fromSeed(seed);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @BeforeEach
  void settleFiveEpochs() {
    ledger = Ledger.openSqlite(tmp.resolve("ledger.db"));
    ledger.deposit("user:alice", 1_000_000_000);
    Settler settler = new Settler(ledger, NETWORK, Prices.of(0, 100, 500));
    for (long e = 0; e < 5; e++) {
      // node A holds a 1 GiB deal every epoch; node B a 2 GiB one from epoch 2 on
      List<EpochInputs.ReplicaResult> replicas = new ArrayList<>();
      replicas.add(new EpochInputs.ReplicaResult("deal-a", "user:alice", NODE_A.peerId(), 1L << 30, 1000, EpochInputs.Outcome.PASS));
      if (e >= 2) {
        replicas.add(new EpochInputs.ReplicaResult("deal-b", "user:alice", NODE_B.peerId(), 2L << 30, 1000, EpochInputs.Outcome.PASS));
      }
      settled.add(settler.settle(e, new EpochInputs(replicas, List.of(), Set.of(), SET), e == 3 ? VALIDATORS.subList(0, 2) : VALIDATORS));
    }
  }

  @AfterEach
  void close() {
    hosts.forEach(Host::close);
    worker.shutdownNow();
    ledger.close();
  }

  private Host host(Ed25519PrivateKey key) throws Exception {
    Host h = new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    hosts.add(h);
    return h;
  }

  private Host validator() throws Exception {
    Host v = host(VALIDATORS.get(0));
    v.registerProtocol(RecordsService.PROTOCOL_ID, new RecordsService(RecordSource.fromLedger(ledger), worker).handler());
    return v;
  }

  private Host readerOf(Host validator) throws Exception {
    Host r = host(READER);
    r.connect(validator.listenAddrs().get(0).withPeerId(validator.peerId())).get(10, TimeUnit.SECONDS);
    return r;
  }

  private static RecordsClient.Fetched fetch(Host reader, Host validator, long from, int max) throws Exception {
    return RecordsClient.fetch(reader, validator.peerId(), from, max, WAIT).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static SettledRecords believer() {
    return new SettledRecords(NETWORK, SET, Set.of(Accounts.operator(NODE_A.peerId()), Accounts.operator(NODE_B.peerId())), 32);
  }

  @Test
  void aPeerOutsideTheSetReadsTheLedgersRecordsPageByPageAndBelievesThem() throws Exception {
    Host validator = validator();
    Host reader = readerOf(validator);

    RecordsClient.Fetched all = fetch(reader, validator, 0, 64);
    assertThat(all.records()).containsExactlyElementsOf(settled);
    assertThat(all.lastSettled()).hasValue(4);

    RecordsClient.Fetched page = fetch(reader, validator, 1, 2);
    assertThat(page.records()).extracting(SettlementRecord::epoch).containsExactly(1L, 2L);
    assertThat(page.lastSettled()).hasValue(4);
    assertThat(fetch(reader, validator, 9, 10).records()).isEmpty();

    SettledRecords believed = believer();
    for (SettlementRecord r : all.records()) {
      assertThat(believed.offer(r)).as("record %d", r.epoch()).isEmpty();
    }
    List<SettledRecords.SettledEpoch> epochs = believed.recent(32);
    assertThat(epochs).extracting(SettledRecords.SettledEpoch::epoch).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(epochs.get(3).signers()).hasSize(2); // settled by a majority of two
    for (SettledRecords.SettledEpoch e : epochs) {
      SettlementRecord r = settled.get((int) e.epoch());
      assertThat(e.hashHex()).isEqualTo(r.hashHex());
      assertThat(e.totalPaid()).isEqualTo(r.totalPaid());
      // what node A was paid in the record: 1 GiB × 1000 less the 5% fee
      assertThat(e.watched()).containsEntry(Accounts.operator(NODE_A.peerId()), 950L);
      assertThat(e.watched().getOrDefault(Accounts.operator(NODE_B.peerId()), 0L)).isEqualTo(e.epoch() >= 2 ? 1900L : 0L);
    }
    assertThat(believed.recent(2)).extracting(SettledRecords.SettledEpoch::epoch).containsExactly(3L, 4L);
    assertThat(believed.lastEpoch()).hasValue(4);
  }

  @Test
  void recordsThatAreNotSignedByAMajorityOfTheSetOrDoNotChainAreNotBelieved() {
    SettledRecords believed = believer();
    SettlementRecord r0 = settled.get(0);
    SettlementRecord r1 = settled.get(1);
    assertThat(believed.offer(r0)).isEmpty();

    Ed25519PrivateKey outsider = key("validator", 99);
    SettlementRecord byOutsider = unsigned(r1, List.of(VALIDATORS.get(0).peerId(), outsider.peerId()))
        .sign(sortedKeys(VALIDATORS.get(0), outsider));
    assertThat(believed.offer(byOutsider)).hasValueSatisfying(p -> assertThat(p).contains("not in the validator set"));

    SettlementRecord byOne = unsigned(r1, List.of(VALIDATORS.get(1).peerId())).sign(List.of(VALIDATORS.get(1)));
    assertThat(believed.offer(byOne)).hasValueSatisfying(p -> assertThat(p).contains("1 signers").contains("2 of 3"));

    List<Payout> more = new ArrayList<>(r1.payouts());
    more.set(0, new Payout(more.get(0).account(), more.get(0).amount() + 1));
    SettlementRecord tampered = new SettlementRecord(r1.networkId(), r1.epoch(), r1.previousHash(), r1.inputsDigest(), more,
        r1.payoutsRoot(), r1.totalPaid(), r1.totalFees(), r1.unfunded(), r1.forfeited(), r1.signers(), r1.signatures());
    assertThat(believed.offer(tampered)).hasValueSatisfying(p -> assertThat(p).contains("bad signature"));

    SettlementRecord otherNetwork = new SettlementRecord("elsewhere", r1.epoch(), r1.previousHash(), r1.inputsDigest(), r1.payouts(),
        r1.payoutsRoot(), r1.totalPaid(), r1.totalFees(), r1.unfunded(), r1.forfeited(), r1.signers(), List.of())
        .sign(sortedKeys(VALIDATORS.toArray(Ed25519PrivateKey[]::new)));
    assertThat(believed.offer(otherNetwork)).hasValueSatisfying(p -> assertThat(p).contains("network 'elsewhere'"));

    // signed by all three, but not the record that follows r0: another chain
    byte[] elsewhere = new byte[32];
    elsewhere[0] = 7;
    SettlementRecord forked = new SettlementRecord(NETWORK, 1, elsewhere, r1.inputsDigest(), r1.payouts(), r1.payoutsRoot(),
        r1.totalPaid(), r1.totalFees(), r1.unfunded(), r1.forfeited(), r1.signers(), List.of())
        .sign(sortedKeys(VALIDATORS.toArray(Ed25519PrivateKey[]::new)));
    assertThat(forked.signatureProblem()).isEmpty();
    assertThat(believed.offer(forked)).hasValueSatisfying(p -> assertThat(p).contains("does not chain"));

    assertThat(believed.recent(32)).extracting(SettledRecords.SettledEpoch::epoch).containsExactly(0L);
    assertThat(believed.offer(r1)).isEmpty();
    assertThat(believed.offer(r1)).as("the same record again").isEmpty();
    assertThat(believed.recent(32)).hasSize(2);
  }

  @Test
  void onlyTheLastEpochsAreKept() {
    SettledRecords believed = new SettledRecords(NETWORK, SET, Set.of(), 3);
    settled.forEach(r -> assertThat(believed.offer(r)).isEmpty());
    assertThat(believed.recent(10)).extracting(SettledRecords.SettledEpoch::epoch).containsExactly(2L, 3L, 4L);
    assertThat(believed.offer(settled.get(0))).isEmpty(); // older than all kept: dropped quietly
    assertThat(believed.recent(10)).extracting(SettledRecords.SettledEpoch::epoch).containsExactly(2L, 3L, 4L);
  }

  @Test
  void badRequestsAreRefusedAndTheValidatorGoesOnServing() throws Exception {
    Host validator = validator();
    Host reader = readerOf(validator);
    byte[] tooMany = new ProtoWriter().message(1, new ProtoWriter().varint(1, 0).varint(2, 65)).toByteArray();
    byte[] noBody = new byte[0];
    byte[] notARequest = RecordsCodec.encode(new RecordsMessage.Refused("hello"));
    for (byte[] request : List.of(tooMany, noBody, notARequest)) {
      byte[] reply = UnaryRpc.call(reader, validator.peerId(), RecordsMessage.PROTOCOL_ID, request, RecordsMessage.MAX_REPLY, WAIT)
          .get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(RecordsCodec.decode(reply)).isInstanceOf(RecordsMessage.Refused.class);
    }
    // Past the 64-byte frame limit the validator closes the stream before decoding anything: no answer; the connection lives.
    byte[] huge = new byte[RecordsMessage.MAX_REQUEST + 1];
    assertThatThrownBy(() -> UnaryRpc.call(reader, validator.peerId(), RecordsMessage.PROTOCOL_ID, huge, RecordsMessage.MAX_REPLY,
        Duration.ofSeconds(2)).get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(java.util.concurrent.ExecutionException.class);
    assertThat(fetch(reader, validator, 0, 64).records()).hasSize(5);
    assertThatThrownBy(() -> new RecordsMessage.Request(0, 65)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFollowerAsksAtMostOncePerIntervalFromTheEpochAfterTheLastItBelieves() throws Exception {
    Host validator = validator();
    Host reader = readerOf(validator);
    AtomicLong now = new AtomicLong(1_000_000);
    Clock clock = new Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(now.get());
      }
    };
    EpochClock epochs = new EpochClock(0, 100_000); // epoch 10 is running at 1,000,000 ms
    RecordsFollower.Fetcher network = RecordsFollower.fromValidators(reader, null, List.copyOf(SET), WAIT);
    List<Long> asked = new ArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    RecordsFollower.Fetcher counting = (from, max) -> {
      calls.incrementAndGet();
      synchronized (asked) {
        asked.add(from);
      }
      return network.fetch(from, max);
    };
    List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
    SettledRecords believed = believer();
    RecordsFollower follower = new RecordsFollower(believed, counting, epochs, clock, Duration.ofSeconds(3), problems::add);

    for (int attempt = 0; attempt < 4 && believed.lastEpoch().isEmpty(); attempt++) {
      follower.refresh(); // validators 1 and 2 do not run here: the follower moves on to the next after a failure
      waitUntil(() -> !follower.fetching());
      now.addAndGet(3_000);
    }
    assertThat(believed.lastEpoch()).hasValue(4);
    int before = calls.get();
    follower.refresh();
    follower.refresh(); // while the first is out, or within the interval: not asked
    waitUntil(() -> !follower.fetching());
    assertThat(calls.get()).isEqualTo(before + 1);
    follower.refresh(); // within the interval
    assertThat(calls.get()).isEqualTo(before + 1);
    now.addAndGet(3_000);
    follower.refresh();
    waitUntil(() -> !follower.fetching());
    assertThat(calls.get()).isEqualTo(before + 2);
    assertThat(asked.get(asked.size() - 1)).as("from the epoch after the last believed").isEqualTo(5L);
    assertThat(problems).allSatisfy(p -> assertThat(p).contains("not fetched"));
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      Thread.sleep(20);
    }
  }

  private static SettlementRecord unsigned(SettlementRecord r, List<PeerId> signers) {
    List<PeerId> sorted = signers.stream().sorted(java.util.Comparator.comparing(PeerId::toString)).toList();
    return new SettlementRecord(r.networkId(), r.epoch(), r.previousHash(), r.inputsDigest(), r.payouts(), r.payoutsRoot(), r.totalPaid(),
        r.totalFees(), r.unfunded(), r.forfeited(), sorted, List.of());
  }

  private static List<Ed25519PrivateKey> sortedKeys(Ed25519PrivateKey... keys) {
    return java.util.Arrays.stream(keys).sorted(java.util.Comparator.comparing(k -> k.peerId().toString())).toList();
  }
}
