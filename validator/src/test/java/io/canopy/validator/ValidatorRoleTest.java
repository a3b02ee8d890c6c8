package io.canopy.validator;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.DomainSignatures;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.validator.compute.ComputeVerifier;
import io.canopy.validator.compute.ReExecutor;
import io.canopy.validator.compute.ReceiptSampler;
import io.canopy.validator.cosign.CosignMessage;
import io.canopy.validator.cosign.CosignProtocol;
import io.canopy.validator.cosign.EpochEvidence;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.settle.Payout;
import io.canopy.validator.settle.Prices;
import io.canopy.validator.settle.SettlementRecord;
import io.canopy.validator.settle.Settler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A validator's side of {@code /canopy/cosign/1.0.0} over real sockets: it co-signs and adopts
 * only what it recomputes itself, and refuses outsiders, forged and tampered records and garbage
 * with the reason, posting nothing.
 */
class ValidatorRoleTest {
  private static final String NETWORK = "cosign-test";
  private static final Prices PRICES = Prices.of(0, 100, 500);
  // Epoch 0 starts in a year: the role's own loop only waits, the test drives the protocol.
  private static final EpochClock EPOCHS = new EpochClock(System.currentTimeMillis() + 365L * 24 * 3600 * 1000, 60_000);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path tmp;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private Ed25519PrivateKey a;
  private Ed25519PrivateKey b;
  private List<PeerId> set;
  private Ledger ledgerA;
  private Host hostA;
  private Host hostB;

  static Ed25519PrivateKey key(String name) throws Exception {
    return Ed25519PrivateKey.fromSeed(MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8)));
  }

  private Host host(Ed25519PrivateKey key) throws Exception {
    Host h = new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    open.add(h);
    return h;
  }

  @BeforeEach
  void start() throws Exception {
    a = key("validator-a");
    b = key("validator-b");
    set = List.of(a.peerId(), b.peerId());
    hostA = host(a);
    hostB = host(b);
    hostB.peerStore().addAddrs(a.peerId(), hostA.listenAddrs());
    ledgerA = Ledger.openSqlite(tmp.resolve("a.db"));
    open.add(ledgerA);
    ComputeVerifier verifier = new ComputeVerifier(new ReExecutor(List.of()), ReceiptSampler.defaults(), a);
    ValidatorRole role = new ValidatorRole(hostA, a, ledgerA, verifier, null, Clock.systemUTC(),
        ValidatorRole.Config.defaults(NETWORK, EPOCHS, set, PRICES), events::add).start();
    open.add(role);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  private CosignMessage ask(Host from, CosignMessage request) {
    return CosignProtocol.call(from, a.peerId(), request, TIMEOUT).join();
  }

  private EpochEvidence emptyEvidence() {
    return new EpochEvidence(0, List.of(), List.of(), List.of(), List.of(), set);
  }

  /** The record of epoch 0 as any validator computes it from {@code evidence}, on a ledger of its own. */
  private SettlementRecord draft(EpochEvidence evidence) {
    try (Ledger other = Ledger.openSqlite(tmp.resolve("b-" + System.nanoTime() + ".db"))) {
      List<PeerId> signers = set.stream().sorted(Comparator.comparing(PeerId::toString)).toList();
      return new Settler(other, NETWORK, PRICES).draft(0, evidence.inputs(EPOCHS), signers);
    }
  }

  private List<Ed25519PrivateKey> signersKeys(SettlementRecord r) {
    return r.signers().stream().map(p -> p.equals(a.peerId()) ? a : b).toList();
  }

  @Test
  void coSignsWhatItRecomputesAndAdoptsTheSignedRecord() {
    EpochEvidence evidence = emptyEvidence();
    SettlementRecord draft = draft(evidence);

    CosignMessage reply = ask(hostB, new CosignMessage.SignRequest(evidence, draft));
    assertThat(reply).isInstanceOf(CosignMessage.Signature.class);
    assertThat(DomainSignatures.verify(a.peerId(), draft.signedBytes(), ((CosignMessage.Signature) reply).signature())).isTrue();
    assertThat(ledgerA.epochs()).as("co-signing posts nothing").isEmpty();

    SettlementRecord signed = draft.sign(signersKeys(draft));
    assertThat(ask(hostB, new CosignMessage.Settled(evidence, signed))).isInstanceOf(CosignMessage.Ack.class);
    assertThat(ledgerA.record(0).orElseThrow().hash()).isEqualTo(signed.hash());
    // the same record again is fine; it is kept for others who catch up
    assertThat(ask(hostB, new CosignMessage.Settled(evidence, signed))).isInstanceOf(CosignMessage.Ack.class);
    CosignMessage kept = ask(hostB, new CosignMessage.RecordRequest(0));
    assertThat(kept).isInstanceOfSatisfying(CosignMessage.Settled.class, s -> assertThat(s.record()).isEqualTo(signed));
  }

  @Test
  void refusesOutsidersForgeriesAndTamperingAndPostsNothing() throws Exception {
    EpochEvidence evidence = emptyEvidence();
    SettlementRecord draft = draft(evidence);

    Ed25519PrivateKey outsiderKey = key("outsider");
    Host outsider = host(outsiderKey);
    outsider.peerStore().addAddrs(a.peerId(), hostA.listenAddrs());
    assertThat(ask(outsider, new CosignMessage.ObservationsRequest(0)))
        .isInstanceOfSatisfying(CosignMessage.Refused.class, r -> assertThat(r.reason()).contains("not in the validator set"));

    // payouts changed after the fact: the recomputation differs
    SettlementRecord tampered = new SettlementRecord(draft.networkId(), 0, draft.previousHash(), draft.inputsDigest(),
        List.of(new Payout("operator:x", 5)), draft.payoutsRoot(), 5, draft.totalFees(), draft.unfunded(), draft.forfeited(),
        draft.signers(), List.of());
    assertThat(ask(hostB, new CosignMessage.SignRequest(evidence, tampered)))
        .isInstanceOfSatisfying(CosignMessage.Refused.class, r -> assertThat(r.reason()).contains("differs"));

    // a broken hash chain, properly signed by both
    SettlementRecord broken = new SettlementRecord(draft.networkId(), 0, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}, draft.inputsDigest(), draft.payouts(), draft.payoutsRoot(),
        draft.totalPaid(), draft.totalFees(), draft.unfunded(), draft.forfeited(), draft.signers(), List.of());
    assertThat(ask(hostB, new CosignMessage.Settled(evidence, broken.sign(signersKeys(broken)))))
        .isInstanceOfSatisfying(CosignMessage.Refused.class, r -> assertThat(r.reason()).contains("broken hash chain"));

    // a signature that is not the signer's
    SettlementRecord signed = draft.sign(signersKeys(draft));
    List<byte[]> sigs = new ArrayList<>(signed.signatures());
    sigs.set(0, sigs.get(1));
    assertThat(ask(hostB, new CosignMessage.Settled(evidence, signed.withSignatures(sigs))))
        .isInstanceOfSatisfying(CosignMessage.Refused.class, r -> assertThat(r.reason()).contains("bad signature"));

    // a record of another network
    SettlementRecord foreign = new SettlementRecord("elsewhere", 0, draft.previousHash(), draft.inputsDigest(), draft.payouts(),
        draft.payoutsRoot(), draft.totalPaid(), draft.totalFees(), draft.unfunded(), draft.forfeited(), draft.signers(), List.of());
    assertThat(ask(hostB, new CosignMessage.SignRequest(evidence, foreign)))
        .isInstanceOfSatisfying(CosignMessage.Refused.class, r -> assertThat(r.reason()).contains("network 'elsewhere'"));

    // garbage on the wire
    byte[] garbage = UnaryRpc.call(hostB, a.peerId(), CosignMessage.PROTOCOL_ID, new byte[] {0x1a, 0x05, 1, 2}, 1 << 16, TIMEOUT).join();
    assertThat(new String(garbage, StandardCharsets.UTF_8)).contains("malformed");

    assertThat(ledgerA.epochs()).isEmpty();
    assertThat(ledgerA.balances().values()).allMatch(v -> v == 0);
  }
}
