package io.canopy.validator.settle;

import static io.canopy.validator.settle.SettlementFixtures.key;
import static io.canopy.validator.settle.SettlementFixtures.receipt;
import static io.canopy.validator.settle.SettlementFixtures.replica;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.ledger.LedgerTransaction;
import io.canopy.validator.settle.EpochInputs.Outcome;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RewardCalculatorTest {
  private static final Ed25519PrivateKey NODE_A = key("node", 1);
  private static final Ed25519PrivateKey NODE_B = key("node", 2);

  @Test
  void formulasRoundDown() {
    assertThat(RewardCalculator.storageReward(1000, 1L << 30)).isEqualTo(1000);
    assertThat(RewardCalculator.storageReward(1000, (1L << 29) + 1)).isEqualTo(500); // 500.0000009 → 500
    assertThat(RewardCalculator.storageReward(3, 1000)).isZero();
    assertThat(RewardCalculator.computeReward(7, 999)).isEqualTo(6);  // 6.993
    assertThat(RewardCalculator.computeReward(7, 1000)).isEqualTo(7);
    assertThat(RewardCalculator.fee(250, 399)).isEqualTo(9);            // 9.975
  }

  @Test
  void mulDivIsExactBeyond64BitProducts() {
    Random random = new Random(7);
    for (int i = 0; i < 10_000; i++) {
      long a = random.nextLong() >>> random.nextInt(63);
      long b = random.nextLong() >>> random.nextInt(63);
      long d = 1 + (random.nextLong() >>> 1) % 1_000_000;
      BigInteger exact = BigInteger.valueOf(a).multiply(BigInteger.valueOf(b)).divide(BigInteger.valueOf(d));
      if (exact.bitLength() <= 63) {
        assertThat(RewardCalculator.mulDiv(a, b, d)).isEqualTo(exact.longValueExact());
      } else {
        assertThatThrownBy(() -> RewardCalculator.mulDiv(a, b, d)).isInstanceOf(ArithmeticException.class);
      }
    }
  }

  @Test
  void passedReplicasAndReceiptsArePaidMinusTheFeeAndFailedOnesAreNot() {
    Ed25519PrivateKey v = key("validator", 0);
    EpochInputs inputs = new EpochInputs(
        List.of(replica("d1", "user:alice", NODE_A, 3L << 30, 100, Outcome.PASS),
            replica("d1", "user:alice", NODE_B, 3L << 30, 100, Outcome.FAIL),
            replica("d2", "user:alice", NODE_B, 1L << 30, 100, Outcome.UNDECIDED)),
        List.of(receipt(NODE_B, "job-1", "bob", 2500, 4)), Set.of(), Set.of(v.peerId()));
    RewardCalculator.Plan plan = RewardCalculator.calculate(inputs, Prices.of(0, 400, 1000), List.of(v.peerId()), a -> 1_000_000);
    // storage 300, fee 30; compute floor(400 × 2500 / 1000) = 1000, fee 100; fees 130 all to the one validator
    assertThat(plan.payouts()).containsExactlyInAnyOrder(
        new Payout(Accounts.operator(NODE_A.peerId()), 270),
        new Payout(Accounts.operator(NODE_B.peerId()), 900),
        new Payout(Accounts.validator(v.peerId()), 130));
    assertThat(plan.totalPaid()).isEqualTo(1300);
    assertThat(plan.totalFees()).isEqualTo(130);
    assertThat(plan.unfunded()).isZero();
    assertThat(plan.forfeited()).isZero();
    for (LedgerTransaction t : plan.transactions()) {
      assertThat(t.entries().stream().mapToLong(LedgerTransaction.Entry::amount).sum()).isZero();
    }
  }

  @Test
  void aNodeWithAFraudProofForfeitsEverythingAndItsPayersKeepTheirMoney() {
    Ed25519PrivateKey v = key("validator", 0);
    EpochInputs inputs = new EpochInputs(
        List.of(replica("d1", "user:alice", NODE_A, 1L << 30, 100, Outcome.PASS),
            replica("d1", "user:carol", NODE_B, 1L << 30, 100, Outcome.PASS)),
        List.of(receipt(NODE_A, "job-1", "bob", 1000, 4), receipt(NODE_B, "job-2", "dave", 1000, 4)),
        Set.of(NODE_A.peerId()), Set.of(v.peerId()));
    RewardCalculator.Plan plan = RewardCalculator.calculate(inputs, Prices.of(0, 50, 0), List.of(v.peerId()), a -> 1_000_000);
    assertThat(plan.forfeited()).isEqualTo(150);
    assertThat(plan.payouts()).containsExactly(new Payout(Accounts.operator(NODE_B.peerId()), 150));
    assertThat(plan.transactions()).flatMap(LedgerTransaction::entries).extracting(LedgerTransaction.Entry::account)
        .doesNotContain(Accounts.operator(NODE_A.peerId()), "user:alice", SettlementFixtures.gatewayUser("bob"));
  }

  @Test
  void feesAreSplitEquallyAmongSignersWithTheRemainderToTheNetwork() {
    List<Ed25519PrivateKey> vs = SettlementFixtures.validators(3);
    List<PeerId> signers = vs.stream().map(Ed25519PrivateKey::peerId).sorted(java.util.Comparator.comparing(PeerId::toString)).toList();
    // one receipt of 1001 tokens at 1000 per 1k → 1001; fee 10% → 100 → 33 each, 1 to network
    EpochInputs inputs = new EpochInputs(List.of(), List.of(receipt(NODE_A, "j", "bob", 1001, 4)), Set.of(), SettlementFixtures.peers(vs));
    RewardCalculator.Plan plan = RewardCalculator.calculate(inputs, Prices.of(0, 1000, 1000), signers, a -> 5000);
    Map<String, Long> payouts = new HashMap<>();
    plan.payouts().forEach(p -> payouts.put(p.account(), p.amount()));
    assertThat(plan.totalFees()).isEqualTo(100);
    for (PeerId s : signers) {
      assertThat(payouts).containsEntry(Accounts.validator(s), 33L);
    }
    assertThat(payouts).containsEntry(Accounts.NETWORK, 1L).containsEntry(Accounts.operator(NODE_A.peerId()), 901L);
    assertThat(plan.totalPaid()).isEqualTo(1001);
  }

  @Test
  void aPayerThatCannotCoverPaysUpToItsBalanceInCanonicalOrderAndTheRestIsUnfunded() {
    Ed25519PrivateKey v = key("validator", 0);
    EpochInputs inputs = new EpochInputs(
        List.of(replica("d2", "user:alice", NODE_B, 1L << 30, 100, Outcome.PASS),
            replica("d1", "user:alice", NODE_A, 1L << 30, 100, Outcome.PASS)),
        List.of(), Set.of(), Set.of(v.peerId()));
    RewardCalculator.Plan plan = RewardCalculator.calculate(inputs, Prices.of(0, 0, 0), List.of(v.peerId()),
        a -> a.equals("user:alice") ? 130 : 0);
    // d1 (first in deal order) is paid in full, d2 gets the 30 left
    assertThat(plan.payouts()).containsExactlyInAnyOrder(new Payout(Accounts.operator(NODE_A.peerId()), 100),
        new Payout(Accounts.operator(NODE_B.peerId()), 30));
    assertThat(plan.unfunded()).isEqualTo(70);
  }

  @Test
  void aGatewayCanOnlyBillItsOwnUsersEvenWhenAnotherGatewayHasAUserOfTheSameName() {
    Ed25519PrivateKey v = key("validator", 0);
    Ed25519PrivateKey honest = key("gateway", 0);
    Ed25519PrivateKey other = key("gateway", 1);
    String honestAlice = Accounts.gatewayUser(honest.peerId(), "alice");
    EpochInputs inputs = new EpochInputs(List.of(),
        List.of(SettlementFixtures.receipt(NODE_A, honest, "job-1", "alice", SettlementFixtures.MODEL, 500, 500, 4),
            SettlementFixtures.receipt(NODE_B, other, "job-2", "alice", SettlementFixtures.MODEL, 500, 500, 4)),
        Set.of(), Set.of(v.peerId()));
    // only the honest gateway's alice has money; the other gateway's "alice" is another account
    RewardCalculator.Plan plan = RewardCalculator.calculate(inputs, Prices.of(0, 100, 0), List.of(v.peerId()),
        a -> a.equals(honestAlice) ? 1_000 : 0);
    assertThat(plan.payouts()).containsExactly(new Payout(Accounts.operator(NODE_A.peerId()), 100));
    assertThat(plan.unfunded()).isEqualTo(100);
    assertThat(plan.transactions()).flatMap(LedgerTransaction::entries).filteredOn(e -> e.amount() < 0)
        .extracting(LedgerTransaction.Entry::account).containsExactly(honestAlice);
    assertThat(Accounts.gatewayUser(other.peerId(), "alice")).isNotEqualTo(honestAlice).startsWith("user:" + other.peerId() + "/");
  }
}
