package io.canopy.validator.settle;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.ledger.Ledger;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rows edited behind the ledger's back: {@link LedgerVerifier} names the first epoch they break. */
class LedgerTamperTest {
  static final List<Ed25519PrivateKey> VALIDATORS = SettlerTest.VALIDATORS;

  @TempDir Path tmp;
  Path file;

  @BeforeEach
  void threeEpochs() {
    file = tmp.resolve("ledger.db");
    try (Ledger ledger = Ledger.openSqlite(file)) {
      ledger.deposit("user:alice", 1_000_000);
      ledger.deposit(SettlementFixtures.gatewayUser("bob"), 1_000_000);
      Settler settler = new Settler(ledger, SettlementFixtures.NETWORK, SettlerTest.PRICES);
      for (long e = 0; e < 3; e++) {
        settler.settle(e, SettlerTest.inputs(e), VALIDATORS);
      }
      assertThat(LedgerVerifier.verify(ledger).ok()).isTrue();
    }
  }

  private LedgerVerifier.Result afterSql(String sql, Object... args) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      assertThat(ps.executeUpdate()).as(sql).isPositive();
    }
    try (Ledger ledger = Ledger.openSqlite(file)) {
      return LedgerVerifier.verify(ledger);
    }
  }

  @Test
  void anEditedPostingBreaksItsEpoch() throws Exception {
    LedgerVerifier.Result r = afterSql(
        "UPDATE ledger_postings SET amount = amount + 1 WHERE seq = (SELECT MIN(seq) FROM ledger_postings WHERE epoch = 1 AND amount > 0)");
    assertThat(r.ok()).isFalse();
    assertThat(r.epoch()).isEqualTo(1);
    assertThat(r.reason()).contains("does not balance");
  }

  @Test
  void aPostingMovedToAnotherAccountBreaksThePayoutsRoot() throws Exception {
    LedgerVerifier.Result r = afterSql(
        "UPDATE ledger_postings SET account = 'operator:mallory' WHERE seq = (SELECT MIN(seq) FROM ledger_postings "
            + "WHERE epoch = 2 AND account LIKE 'operator:%')");
    assertThat(r.epoch()).isEqualTo(2);
    assertThat(r.reason()).contains("payouts_root");
  }

  @Test
  void anEditedRecordBreaksItsHash() throws Exception {
    byte[] record;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT record FROM ledger_settlements WHERE epoch = 1")) {
      record = rs.getBytes(1);
    }
    record[record.length / 2] ^= 1;
    LedgerVerifier.Result r = afterSql("UPDATE ledger_settlements SET record = ? WHERE epoch = 1", (Object) record);
    assertThat(r.epoch()).isEqualTo(1);
    assertThat(r.reason()).contains("does not hash");
  }

  @Test
  void aRecordReplacedWithItsHashStillFailsItsSignaturesAndTheChain() throws Exception {
    SettlementRecord original;
    try (Ledger ledger = Ledger.openSqlite(file)) {
      original = SettlementRecord.decode(ledger.record(1).orElseThrow().encoded());
    }
    SettlementRecord forged = new SettlementRecord(original.networkId(), 1, original.previousHash(), original.inputsDigest(),
        original.payouts(), original.payoutsRoot(), original.totalPaid(), original.totalFees() + 1, original.unfunded(),
        original.forfeited(), original.signers(), original.signatures());
    LedgerVerifier.Result r = afterSql("UPDATE ledger_settlements SET record = ?, hash = ? WHERE epoch = 1", forged.encode(),
        forged.hash());
    assertThat(r.epoch()).isEqualTo(1);
    assertThat(r.reason()).contains("bad signature");
  }

  @Test
  void anEditedBalanceRowNamesTheLastEpochThatTouchedTheAccount() throws Exception {
    String operator = Accounts.operator(SettlerTest.NODE_A.peerId());
    LedgerVerifier.Result r = afterSql("UPDATE ledger_balances SET balance = balance + 5 WHERE account = ?", operator);
    assertThat(r.epoch()).isEqualTo(2);
    assertThat(r.reason()).contains("balance of " + operator);
  }

  @Test
  void aDeletedRecordLeavesItsPostingsOrphanedAndBreaksTheChainAfterIt() throws Exception {
    LedgerVerifier.Result r = afterSql("DELETE FROM ledger_settlements WHERE epoch = 1");
    assertThat(r.epoch()).isEqualTo(1);
    assertThat(r.reason()).contains("no settlement record");
  }
}
