package io.canopy.validator.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerTest {
  @TempDir Path tmp;

  @Test
  void depositsComeFromExternalAndWithdrawalsGoBack() {
    try (Ledger ledger = Ledger.openSqlite(tmp.resolve("l.db"))) {
      ledger.deposit("user:alice", 500);
      ledger.withdraw("user:alice", 200);
      assertThat(ledger.balance("user:alice")).isEqualTo(300);
      assertThat(ledger.balance(Accounts.EXTERNAL)).isEqualTo(-300);
      assertThat(ledger.balance("user:nobody")).isZero();
      List<Posting> postings = ledger.postings(Posting.NO_EPOCH);
      assertThat(postings).extracting(Posting::amount).containsExactly(-500L, 500L, -200L, 200L);
      assertThat(postings).extracting(Posting::tx).containsExactly(1L, 1L, 2L, 2L);
    }
  }

  @Test
  void noAccountButExternalGoesNegativeAndARefusedWriteLeavesNothing() {
    try (Ledger ledger = Ledger.openSqlite(tmp.resolve("l.db"))) {
      ledger.deposit("user:alice", 100);
      assertThatThrownBy(() -> ledger.withdraw("user:alice", 101)).isInstanceOf(LedgerException.class)
          .hasMessageContaining("insufficient balance").hasMessageContaining("user:alice");
      assertThatThrownBy(() -> ledger.write(tx -> {
        tx.post(Posting.NO_EPOCH, LedgerTransaction.transfer("deposit", "", Accounts.EXTERNAL, "user:bob", 50));
        return tx.post(Posting.NO_EPOCH, LedgerTransaction.transfer("x", "", "user:bob", "network", 51));
      })).hasMessageContaining("user:bob");
      assertThat(ledger.balances()).isEqualTo(Map.of("user:alice", 100L, Accounts.EXTERNAL, -100L));
      assertThat(ledger.postings(Posting.NO_EPOCH)).hasSize(2);
    }
  }

  @Test
  void unbalancedTransactionsAndBadNamesAndAmountsAreRefused() {
    assertThatThrownBy(() -> new LedgerTransaction("x", "", List.of(new LedgerTransaction.Entry("network", 1))))
        .hasMessageContaining("does not balance");
    try (Ledger ledger = Ledger.openSqlite(tmp.resolve("l.db"))) {
      assertThatThrownBy(() -> ledger.deposit("alice", 1)).hasMessageContaining("unknown account 'alice'");
      assertThatThrownBy(() -> ledger.deposit("user:a b", 1)).hasMessageContaining("not an account name");
      assertThatThrownBy(() -> ledger.deposit("user:alice", 0)).hasMessageContaining("positive");
      assertThatThrownBy(() -> ledger.deposit(Accounts.EXTERNAL, 5)).hasMessageContaining("external");
      assertThat(ledger.balances()).isEmpty();
    }
  }

  @Test
  void reopeningKeepsEverythingAndANewerSchemaIsRefused() throws Exception {
    Path file = tmp.resolve("l.db");
    try (Ledger ledger = Ledger.openSqlite(file)) {
      ledger.deposit("user:alice", 7);
    }
    try (Ledger ledger = Ledger.openSqlite(file)) {
      assertThat(ledger.balance("user:alice")).isEqualTo(7);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
      assertThat(st.executeQuery("PRAGMA journal_mode").getString(1)).isEqualToIgnoringCase("wal");
      st.executeUpdate("UPDATE ledger_schema SET version = 99");
    }
    assertThatThrownBy(() -> Ledger.openSqlite(file)).hasMessageContaining("schema version 99");
  }
}
