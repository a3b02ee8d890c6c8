package io.canopy.validator.cosign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.Verdict;
import io.canopy.protocol.storage.Deal;
import io.canopy.validator.cosign.EpochEvidence.ReportedDeal;
import io.canopy.validator.settle.EpochInputs;
import io.canopy.validator.settle.EpochInputs.Outcome;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The rules that turn an epoch's evidence into settlement inputs (spec/settlement.md §7.9), and the evidence they refuse. */
class EpochEvidenceTest {
  private static final EpochClock CLOCK = new EpochClock(1_000_000, 10_000);
  private static final long EPOCH = 3;
  private static final Ed25519PrivateKey OWNER = key("owner", 0);
  private static final List<Ed25519PrivateKey> VALIDATORS = List.of(key("validator", 0), key("validator", 1), key("validator", 2));
  private static final List<Ed25519PrivateKey> NODES = List.of(key("node", 0), key("node", 1), key("node", 2), key("node", 3));
  private static final Deal DEAL = new Deal("photos/1", OWNER.peerId(), Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256,
      "photo".getBytes(StandardCharsets.UTF_8)), 3L << 30, 2, CLOCK.startMillis(0), CLOCK.endMillis(100), 700);

  static Ed25519PrivateKey key(String role, int n) {
    try {
      return Ed25519PrivateKey.fromSeed(MessageDigest.getInstance("SHA-256").digest((role + n).getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static ReportedDeal reported(Ed25519PrivateKey node) {
    return new ReportedDeal(node.peerId(), DEAL, DEAL.sign(OWNER));
  }

  private static Verdict verdict(Ed25519PrivateKey validator, Ed25519PrivateKey node, Verdict.Result result) {
    return Verdict.sign(validator, EPOCH, DEAL.id(), node.peerId(), result, result == Verdict.Result.PASS ? "" : "missing leaf", 100, 5);
  }

  private static List<PeerId> set() {
    return VALIDATORS.stream().map(Ed25519PrivateKey::peerId).toList();
  }

  private static EpochEvidence evidence(List<ReportedDeal> deals, List<Verdict> verdicts) {
    return new EpochEvidence(EPOCH, deals, verdicts, List.of(), List.of(), set());
  }

  @Test
  void quorumOutcomesPerReplicaAndAtMostReplicasPassesPaid() {
    // node 0: 3 PASS; node 1: 2 PASS 1 FAIL; node 2: 1 PASS 2 FAIL; node 3: 3 PASS but the deal asked for 2 replicas
    List<Verdict> verdicts = new ArrayList<>();
    int[][] results = {{1, 1, 1}, {1, 1, 0}, {1, 0, 0}, {1, 1, 1}};
    for (int n = 0; n < 4; n++) {
      for (int v = 0; v < 3; v++) {
        verdicts.add(verdict(VALIDATORS.get(v), NODES.get(n), results[n][v] == 1 ? Verdict.Result.PASS : Verdict.Result.FAIL));
      }
    }
    List<ReportedDeal> deals = NODES.stream().map(EpochEvidenceTest::reported).toList();
    EpochInputs inputs = evidence(deals, verdicts).inputs(CLOCK);

    Map<PeerId, Outcome> outcomes = inputs.replicas().stream()
        .collect(Collectors.toMap(EpochInputs.ReplicaResult::node, EpochInputs.ReplicaResult::outcome));
    assertThat(outcomes.get(NODES.get(2).peerId())).isEqualTo(Outcome.FAIL);
    // three nodes passed by quorum, the deal pays two: the first two by peer ID text
    List<PeerId> passed = List.of(NODES.get(0).peerId(), NODES.get(1).peerId(), NODES.get(3).peerId()).stream()
        .sorted(Comparator.comparing(PeerId::toString)).toList();
    assertThat(outcomes).containsEntry(passed.get(0), Outcome.PASS).containsEntry(passed.get(1), Outcome.PASS)
        .doesNotContainKey(passed.get(2));
    assertThat(inputs.replicas()).allSatisfy(r -> {
      assertThat(r.ownerAccount()).isEqualTo("user:" + OWNER.peerId());
      assertThat(r.dealSizeBytes()).isEqualTo(3L << 30);
      assertThat(r.pricePerGiBEpoch()).isEqualTo(700);
    });
    assertThat(inputs.validators()).containsExactlyInAnyOrderElementsOf(set());
  }

  @Test
  void aReplicaWithoutVerdictsOrWithoutAQuorumIsUndecided() {
    List<Verdict> verdicts = List.of(verdict(VALIDATORS.get(0), NODES.get(1), Verdict.Result.PASS),
        verdict(VALIDATORS.get(1), NODES.get(1), Verdict.Result.FAIL));
    EpochInputs inputs = evidence(List.of(reported(NODES.get(0)), reported(NODES.get(1))), verdicts).inputs(CLOCK);
    assertThat(inputs.replicas()).extracting(EpochInputs.ReplicaResult::outcome).containsOnly(Outcome.UNDECIDED);
  }

  @Test
  void evidenceThatDoesNotHoldUpIsRefusedWithTheReason() {
    Verdict good = verdict(VALIDATORS.get(0), NODES.get(0), Verdict.Result.PASS);
    byte[] sig = good.signature().clone();
    sig[3] ^= 1;
    Verdict forged = new Verdict(good.epoch(), good.dealId(), good.node(), good.validator(), good.result(), good.reason(),
        good.proofBytes(), good.verifyMicros(), sig);
    assertThatThrownBy(() -> evidence(List.of(reported(NODES.get(0))), List.of(forged)).inputs(CLOCK))
        .hasMessageContaining("not signed by a validator of the set");
    Verdict outsider = verdict(key("outsider", 0), NODES.get(0), Verdict.Result.PASS);
    assertThatThrownBy(() -> evidence(List.of(reported(NODES.get(0))), List.of(outsider)).inputs(CLOCK))
        .hasMessageContaining("not signed by a validator of the set");
    Verdict replayed = Verdict.sign(VALIDATORS.get(0), EPOCH - 1, DEAL.id(), NODES.get(0).peerId(), Verdict.Result.PASS, "", 1, 1);
    assertThatThrownBy(() -> evidence(List.of(reported(NODES.get(0))), List.of(replayed)).inputs(CLOCK))
        .hasMessageContaining("a verdict of epoch 2 in the evidence of epoch 3");
    assertThatThrownBy(() -> evidence(List.of(), List.of(good)).inputs(CLOCK)).hasMessageContaining("no node reported");

    byte[] forgedDeal = DEAL.sign(OWNER);
    forgedDeal[10] ^= 1;
    ReportedDeal unsigned = new ReportedDeal(NODES.get(0).peerId(), DEAL, forgedDeal);
    assertThatThrownBy(() -> evidence(List.of(unsigned), List.of()).inputs(CLOCK)).hasMessageContaining("owner's signature does not verify");
    Deal ended = new Deal("old", OWNER.peerId(), DEAL.root(), 10, 1, CLOCK.startMillis(0), CLOCK.startMillis(EPOCH), 1);
    assertThatThrownBy(() -> evidence(List.of(new ReportedDeal(NODES.get(0).peerId(), ended, ended.sign(OWNER))), List.of()).inputs(CLOCK))
        .hasMessageContaining("does not run in epoch 3");
    assertThatThrownBy(() -> evidence(List.of(reported(NODES.get(0)), reported(NODES.get(0))), List.of()).inputs(CLOCK))
        .hasMessageContaining("reported twice");
    assertThatThrownBy(() -> new EpochEvidence(EPOCH, List.of(), List.of(), List.of(), List.of(), List.of()).inputs(CLOCK))
        .hasMessageContaining("validator set is empty");
  }

  @Test
  void encodesAndDecodesAndRefusesGarbage() {
    EpochEvidence e = evidence(List.of(reported(NODES.get(0)), reported(NODES.get(1))),
        List.of(verdict(VALIDATORS.get(0), NODES.get(0), Verdict.Result.PASS), verdict(VALIDATORS.get(2), NODES.get(1), Verdict.Result.FAIL)));
    EpochEvidence back = EpochEvidence.decode(e.encode());
    assertThat(back.epoch()).isEqualTo(EPOCH);
    assertThat(back.verdicts()).isEqualTo(e.verdicts());
    assertThat(back.validators()).isEqualTo(e.validators());
    assertThat(back.deals()).hasSize(2).allSatisfy(d -> assertThat(d.deal()).isEqualTo(DEAL));
    assertThat(back.inputs(CLOCK).digest(EPOCH, io.canopy.validator.settle.Prices.of(0, 1, 0)))
        .isEqualTo(e.inputs(CLOCK).digest(EPOCH, io.canopy.validator.settle.Prices.of(0, 1, 0)));

    byte[] bytes = e.encode();
    assertThatThrownBy(() -> EpochEvidence.decode(Arrays.copyOf(bytes, bytes.length - 7))).hasMessageStartingWith("malformed evidence");
    assertThatThrownBy(() -> EpochEvidence.decode(new byte[] {(byte) 0x12, (byte) 0xff, 1})).hasMessageStartingWith("malformed evidence");
    assertThatThrownBy(() -> CosignMessage.decode(new byte[] {0x50, 0x01})).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cosign message");
  }

  @Test
  void evidenceOfAnEpochBeyondTheClockIsRefusedNotAnOverflow() {
    // A peer's evidence may name any epoch a varint holds; the epoch's start overflows the clock's millis.
    EpochEvidence far = new EpochEvidence(Long.MAX_VALUE / 2, List.of(), List.of(), List.of(), List.of(), set());
    EpochEvidence decoded = EpochEvidence.decode(far.encode());
    assertThatThrownBy(() -> decoded.inputs(CLOCK)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("beyond the network's clock");
  }
}
