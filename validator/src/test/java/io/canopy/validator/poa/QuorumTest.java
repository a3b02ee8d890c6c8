package io.canopy.validator.poa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.protocol.poa.Verdict;
import io.canopy.protocol.poa.Verdict.Result;
import io.canopy.validator.poa.Quorum.Outcome;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

class QuorumTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Ed25519PrivateKey V1 = Ed25519PrivateKey.generate(RANDOM);
  private static final Ed25519PrivateKey V2 = Ed25519PrivateKey.generate(RANDOM);
  private static final Ed25519PrivateKey V3 = Ed25519PrivateKey.generate(RANDOM);
  private static final Ed25519PrivateKey OUTSIDER = Ed25519PrivateKey.generate(RANDOM);
  private static final PeerId NODE = Ed25519PrivateKey.generate(RANDOM).peerId();
  private final Quorum quorum = Quorum.majority(List.of(V1.peerId(), V2.peerId(), V3.peerId()));

  private static Verdict v(Ed25519PrivateKey by, Result r) {
    return Verdict.sign(by, 4, "deal", NODE, r, r == Result.PASS ? "" : "why", 100, 10);
  }

  private Quorum.Decision decide(Verdict... verdicts) {
    return quorum.decide(4, "deal", NODE, List.of(verdicts));
  }

  @Test
  void majorityDecides() {
    assertThat(quorum.threshold()).isEqualTo(2);
    assertThat(decide(v(V1, Result.PASS), v(V2, Result.PASS), v(V3, Result.FAIL)).outcome()).isEqualTo(Outcome.PASS);
    assertThat(decide(v(V1, Result.PASS), v(V2, Result.TIMEOUT), v(V3, Result.FAIL)).outcome()).isEqualTo(Outcome.FAIL);
    assertThat(decide(v(V1, Result.PASS), v(V2, Result.FAIL)).outcome()).isEqualTo(Outcome.UNDECIDED);
    assertThat(decide().outcome()).isEqualTo(Outcome.UNDECIDED);
    assertThat(decide(v(V1, Result.PASS), v(V2, Result.PASS)).rejected()).isEmpty();
  }

  @Test
  void forgedDuplicateAndMisdirectedVerdictsAreNotCounted() {
    // Forged: an outsider signs a PASS in V2's name.
    Verdict real = v(V2, Result.FAIL);
    Verdict forged = new Verdict(4, "deal", NODE, V2.peerId(), Result.PASS, "", 100, 10, OUTSIDER.sign(real.signedBytes()));
    // Altered: V3's FAIL turned into a PASS.
    Verdict v3 = v(V3, Result.FAIL);
    Verdict altered = new Verdict(4, "deal", NODE, V3.peerId(), Result.PASS, v3.reason(), 100, 10, v3.signature());
    Quorum.Decision d = decide(v(V1, Result.PASS), forged, altered, v(OUTSIDER, Result.PASS), v(V1, Result.PASS),
        Verdict.sign(V2, 3, "deal", NODE, Result.PASS, "", 1, 1), Verdict.sign(V2, 4, "other", NODE, Result.PASS, "", 1, 1),
        Verdict.sign(V2, 4, "deal", V1.peerId(), Result.PASS, "", 1, 1));
    assertThat(d.outcome()).isEqualTo(Outcome.UNDECIDED);
    assertThat(d.passes()).isEqualTo(1);
    assertThat(d.rejected()).extracting(Quorum.Rejected::reason).satisfiesExactly(
        r -> assertThat(r).contains("does not verify"),
        r -> assertThat(r).contains("does not verify"),
        r -> assertThat(r).contains("not in the validator set"),
        r -> assertThat(r).contains("second verdict"),
        r -> assertThat(r).contains("epoch 3"),
        r -> assertThat(r).contains("deal other"),
        r -> assertThat(r).contains("about node"));
    // Verdicts that travelled as bytes count the same.
    assertThat(decide(Verdict.decode(v(V1, Result.FAIL).encode()), Verdict.decode(v(V3, Result.TIMEOUT).encode())).outcome())
        .isEqualTo(Outcome.FAIL);
  }

  @Test
  void thresholdMustBeAStrictMajority() {
    List<PeerId> set = List.of(V1.peerId(), V2.peerId(), V3.peerId(), OUTSIDER.peerId());
    assertThat(Quorum.majority(set).threshold()).isEqualTo(3);
    assertThatThrownBy(() -> new Quorum(set, 2)).hasMessageContaining("more than half");
    assertThatThrownBy(() -> new Quorum(set, 5)).hasMessageContaining("at most 4");
    assertThatThrownBy(() -> new Quorum(List.of(), 1)).hasMessageContaining("at least one");
    assertThat(new Quorum(set, 4).threshold()).isEqualTo(4);
  }
}
