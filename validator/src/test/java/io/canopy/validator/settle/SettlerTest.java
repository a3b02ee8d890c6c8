package io.canopy.validator.settle;

import static io.canopy.validator.settle.SettlementFixtures.NETWORK;
import static io.canopy.validator.settle.SettlementFixtures.key;
import static io.canopy.validator.settle.SettlementFixtures.receipt;
import static io.canopy.validator.settle.SettlementFixtures.replica;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.epoch.Beacon;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.ledger.LedgerException;
import io.canopy.validator.settle.EpochInputs.Outcome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettlerTest {
  static final Prices PRICES = Prices.of(0, 200, 500);
  static final Ed25519PrivateKey NODE_A = key("node", 1);
  static final Ed25519PrivateKey NODE_B = key("node", 2);
  static final List<Ed25519PrivateKey> VALIDATORS = SettlementFixtures.validators(3);

  @TempDir Path tmp;
  Ledger ledger;
  Settler settler;

  @BeforeEach
  void open() {
    ledger = Ledger.openSqlite(tmp.resolve("ledger.db"));
    settler = new Settler(ledger, NETWORK, PRICES);
    ledger.deposit("user:alice", 1_000_000);
    ledger.deposit(SettlementFixtures.gatewayUser("bob"), 1_000_000);
  }

  @AfterEach
  void close() {
    ledger.close();
  }

  static EpochInputs inputs(long epoch) {
    return new EpochInputs(
        List.of(replica("deal-1", "user:alice", NODE_A, 2L << 30, 1000, Outcome.PASS),
            replica("deal-1", "user:alice", NODE_B, 2L << 30, 1000, Outcome.FAIL)),
        epoch == 0 ? List.of() : List.of(receipt(NODE_B, "job-" + epoch, "bob", 5000, epoch - 1)), Set.of(),
        SettlementFixtures.peers(VALIDATORS));
  }

  @Test
  void settlesAnEpochIntoBalancedPostingsAndASignedChainedRecord() {
    SettlementRecord r0 = settler.settle(0, inputs(0), VALIDATORS);
    SettlementRecord r1 = settler.settle(1, inputs(1), VALIDATORS.subList(0, 2));

    assertThat(r0.previousHash()).isEqualTo(SettlementRecord.GENESIS_PREVIOUS);
    assertThat(r1.previousHash()).isEqualTo(r0.hash());
    assertThat(r0.signatureProblem()).isEmpty();
    assertThat(r1.signers()).hasSize(2);
    assertThat(ledger.epochs()).containsExactly(0L, 1L);
    assertThat(ledger.record(1).orElseThrow().hash()).isEqualTo(r1.hash());
    assertThat(SettlementRecord.decode(r1.encode())).isEqualTo(r1);
    // the beacon of epoch 2 comes from record 1's hash
    assertThat(Beacon.afterSettlement(r1.hash())).isNotEqualTo(Beacon.afterSettlement(r0.hash()));
    // storage in both: 2 GiB × 1000 = 2000, fee 100; compute only in record 1 (epoch 0's job): 5000 tokens × 200 / 1000 = 1000, fee 50
    assertThat(ledger.balance(Accounts.operator(NODE_A.peerId()))).isEqualTo(2 * 1900);
    assertThat(ledger.balance(Accounts.operator(NODE_B.peerId()))).isEqualTo(950);
    assertThat(ledger.balance("user:alice")).isEqualTo(1_000_000 - 2 * 2000);
    assertThat(ledger.balance(SettlementFixtures.gatewayUser("bob"))).isEqualTo(1_000_000 - 1000);
    assertThat(r0.totalFees()).isEqualTo(100);
    assertThat(r1.totalFees()).isEqualTo(150);
    assertThat(ledger.balances().values().stream().mapToLong(Long::longValue).sum()).isZero();
    assertThat(LedgerVerifier.verify(ledger).ok()).isTrue();
  }

  @Test
  void settlingTwiceChangesNothing() {
    SettlementRecord first = settler.settle(0, inputs(0), VALIDATORS);
    Map<String, Long> balances = ledger.balances();
    int postings = ledger.postings(0).size();

    SettlementRecord again = settler.settle(0, inputs(0), VALIDATORS);
    SettlementRecord adopted = settler.adopt(first, inputs(0));

    assertThat(again).isEqualTo(first);
    assertThat(adopted).isEqualTo(first);
    assertThat(ledger.balances()).isEqualTo(balances);
    assertThat(ledger.postings(0)).hasSize(postings);
    assertThat(ledger.epochs()).containsExactly(0L);
  }

  @Test
  void epochsSettleInOrder() {
    assertThatThrownBy(() -> settler.settle(1, inputs(1), VALIDATORS)).isInstanceOf(LedgerException.class)
        .hasMessageContaining("epoch 1 cannot be settled before epoch 0");
    settler.settle(0, inputs(0), VALIDATORS);
    assertThatThrownBy(() -> settler.settle(2, inputs(2), VALIDATORS)).hasMessageContaining("before epoch 1");
    assertThat(ledger.epochs()).containsExactly(0L);
    assertThat(ledger.postings(2)).isEmpty();
  }

  @Test
  void forgedReceiptsAreRejectedAndNothingIsPosted() {
    Map<String, Long> before = ledger.balances();
    CountersignedReceipt good = receipt(NODE_B, "job-x", "bob", 5000, 0);
    byte[] badSig = good.receipt().signature().clone();
    badSig[0] ^= 1;
    CountersignedReceipt forgedNode = new CountersignedReceipt(good.receipt().withSignature(badSig), good.gateway(), good.account(),
        good.countersignedMillis(), good.signature());
    // the countersignature re-made by a key that is not the named gateway's
    CountersignedReceipt forgedGateway = new CountersignedReceipt(good.receipt(), good.gateway(), good.account(),
        good.countersignedMillis(), key("gateway", 9).sign(good.signedBytes()));
    // the account changed after countersigning
    CountersignedReceipt rebilled = new CountersignedReceipt(good.receipt(), good.gateway(), "alice", good.countersignedMillis(),
        good.signature());

    assertThatThrownBy(() -> settler.settle(1, withReceipt(forgedNode), VALIDATORS))
        .hasMessageContaining("receipt job-x").hasMessageContaining("node signature does not verify");
    assertThatThrownBy(() -> settler.settle(1, withReceipt(forgedGateway), VALIDATORS))
        .hasMessageContaining("countersignature does not verify");
    assertThatThrownBy(() -> settler.settle(1, withReceipt(rebilled), VALIDATORS))
        .hasMessageContaining("countersignature does not verify");
    assertThatThrownBy(() -> settler.settle(1, withReceipt(receipt(NODE_B, "job-y", "bob", 5, 3)), VALIDATORS))
        .hasMessageContaining("is for epoch 3");
    assertThatThrownBy(() -> settler.settle(1, withReceipt(good, good), VALIDATORS)).hasMessageContaining("appears twice");
    assertThat(ledger.epochs()).isEmpty();
    assertThat(ledger.postings(0)).isEmpty();
    assertThat(ledger.balances()).isEqualTo(before);
  }

  @Test
  void signersMustBeAQuorumOfTheValidatorSet() {
    assertThatThrownBy(() -> settler.settle(0, inputs(0), VALIDATORS.subList(0, 1))).hasMessageContaining("quorum of 2 of 3");
    assertThatThrownBy(() -> settler.settle(0, inputs(0), List.of(VALIDATORS.get(0), key("validator", 99))))
        .hasMessageContaining("not in the epoch's validator set");
    assertThat(ledger.epochs()).isEmpty();
  }

  @Test
  void anotherValidatorsRecordIsAdoptedOnlyIfItRecomputesChainsAndVerifies() {
    SettlementRecord r0;
    SettlementRecord r1;
    try (Ledger other = Ledger.openSqlite(tmp.resolve("other.db"))) {
      other.deposit("user:alice", 1_000_000);
      other.deposit(SettlementFixtures.gatewayUser("bob"), 1_000_000);
      Settler s = new Settler(other, NETWORK, PRICES);
      r0 = s.settle(0, inputs(0), VALIDATORS);
      r1 = s.settle(1, inputs(1), VALIDATORS);
    }
    // bad signature
    List<byte[]> sigs = new ArrayList<>(r0.signatures());
    byte[] s0 = sigs.get(0).clone();
    s0[5] ^= 1;
    sigs.set(0, s0);
    assertThatThrownBy(() -> settler.adopt(r0.withSignatures(sigs), inputs(0))).hasMessageContaining("bad signature of validator");
    // record 1 before record 0
    assertThatThrownBy(() -> settler.adopt(r1, inputs(1))).hasMessageContaining("before epoch 0");
    assertThat(ledger.epochs()).isEmpty();

    assertThat(settler.adopt(r0, inputs(0))).isEqualTo(r0);
    // a record 1 that chains to something else, validly re-signed
    SettlementRecord broken = new SettlementRecord(r1.networkId(), 1, new byte[32], r1.inputsDigest(), r1.payouts(), r1.payoutsRoot(),
        r1.totalPaid(), r1.totalFees(), r1.unfunded(), r1.forfeited(), r1.signers(), List.of()).sign(sortedValidators());
    assertThatThrownBy(() -> settler.adopt(broken, inputs(1))).hasMessageContaining("broken hash chain");
    // a record whose inputs are not these
    EpochInputs fewer = new EpochInputs(List.of(), inputs(1).receipts(), Set.of(), SettlementFixtures.peers(VALIDATORS));
    assertThatThrownBy(() -> settler.adopt(r1, fewer)).hasMessageContaining("inputs digest");
    // payouts that the inputs do not give, validly signed
    List<Payout> more = new ArrayList<>(r1.payouts());
    more.set(0, new Payout(more.get(0).account(), more.get(0).amount() + 1));
    SettlementRecord inflated = new SettlementRecord(r1.networkId(), 1, r1.previousHash(), r1.inputsDigest(), more, Merkle.root(more),
        r1.totalPaid() + 1, r1.totalFees(), r1.unfunded(), r1.forfeited(), r1.signers(), List.of()).sign(sortedValidators());
    assertThatThrownBy(() -> settler.adopt(inflated, inputs(1))).hasMessageContaining("differ from the recomputation");
    assertThat(ledger.epochs()).containsExactly(0L);
    assertThat(ledger.postings(1)).isEmpty();

    assertThat(settler.adopt(r1, inputs(1)).hash()).isEqualTo(r1.hash());
    assertThat(LedgerVerifier.verify(ledger).ok()).isTrue();
  }

  private static List<Ed25519PrivateKey> sortedValidators() {
    List<Ed25519PrivateKey> keys = new ArrayList<>(VALIDATORS);
    keys.sort(java.util.Comparator.comparing(k -> k.peerId().toString()));
    return keys;
  }

  private static EpochInputs withReceipt(CountersignedReceipt... receipts) {
    return new EpochInputs(List.of(), List.of(receipts), Set.of(), SettlementFixtures.peers(VALIDATORS));
  }
}
