package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.gateway.s3.meta.SharedTestPostgres;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Usage;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.settle.EpochInputs;
import io.canopy.validator.settle.Prices;
import io.canopy.validator.settle.SettlementRecord;
import io.canopy.validator.settle.Settler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerCommandTest {
  @TempDir Path tmp;
  Path home;

  private CliRun cli() {
    return new CliRun(tmp.resolve("user"), tmp);
  }

  private CliRun.Result ledger(String... args) {
    List<String> all = new ArrayList<>(List.of("--home", home.toString(), "ledger"));
    all.addAll(List.of(args));
    return cli().run(all.toArray(String[]::new));
  }

  private static Ed25519PrivateKey key(int n) {
    byte[] seed = new byte[32];
    seed[0] = (byte) n;
    seed[1] = 42;
    return Ed25519PrivateKey.fromSeed(seed);
  }

  /** Alice's account at the gateway that countersigns the jobs of {@link #settleTwoEpochs}. */
  private static final String ALICE_AT_GATEWAY = "user:" + key(2).peerId() + "/alice";

  @BeforeEach
  void init() {
    home = tmp.resolve("node");
    cli().run("--home", home.toString(), "init").ok();
  }

  /** Two epochs settled into the home's ledger, as a validator would. */
  private List<SettlementRecord> settleTwoEpochs() {
    return settleTwoEpochs(Ledger.openSqlite(home.resolve("ledger.db")));
  }

  private static List<SettlementRecord> settleTwoEpochs(Ledger opened) {
    Ed25519PrivateKey node = key(1);
    Ed25519PrivateKey gateway = key(2);
    List<Ed25519PrivateKey> validators = List.of(key(3), key(4));
    Set<PeerId> set = Set.of(validators.get(0).peerId(), validators.get(1).peerId());
    Cid model = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "m".getBytes(StandardCharsets.UTF_8));
    byte[] h = Receipt.sha256(new byte[0]);
    List<SettlementRecord> records = new ArrayList<>();
    try (Ledger ledger = opened) {
      Settler settler = new Settler(ledger, "cli-test", Prices.of(0, 300, 100));
      for (long e = 0; e < 2; e++) {
        // the record of epoch e pays the jobs of epoch e-1
        Receipt r = Receipt.sign(node, "job-" + e, model, h, h, h, new Usage(1500, 500), Math.max(0, e - 1), 1, 2, true);
        CountersignedReceipt c = CountersignedReceipt.sign(gateway, r, "alice", 3);
        EpochInputs inputs = new EpochInputs(
            List.of(new EpochInputs.ReplicaResult("deal,1", "user:alice", node.peerId(), 1L << 30, 1000, EpochInputs.Outcome.PASS)),
            e == 0 ? List.of() : List.of(c), Set.of(), set);
        records.add(settler.settle(e, inputs, validators));
      }
    }
    return records;
  }

  @Test
  void depositAndBalance() {
    assertThat(ledger("deposit", "user:alice", "1000000").ok().out()).isEqualTo("user:alice 1000000\n");
    ledger("deposit", "user:alice", "500").ok();
    assertThat(ledger("balance", "user:alice").ok().out()).isEqualTo("1000500\n");
    assertThat(ledger("balance", "external").ok().out()).isEqualTo("-1000500\n");
    assertThat(ledger("balance", "user:nobody").ok().out()).isEqualTo("0\n");
    ledger("deposit", "alice", "5").failsNaming("unknown account 'alice'");
    ledger("deposit", "user:alice", "0").failsNaming("positive");
    assertThat(home.resolve("ledger.db")).isRegularFile();
  }

  @Test
  void epochsExportAndVerify() throws Exception {
    ledger("deposit", "user:alice", "1000000").ok();
    ledger("deposit", ALICE_AT_GATEWAY, "1000000").ok();
    List<SettlementRecord> records = settleTwoEpochs();

    List<String> epochs = ledger("epochs").ok().lines();
    assertThat(epochs).hasSize(2);
    assertThat(epochs.get(0)).startsWith("0  " + records.get(0).hashHex() + "  paid 1000  fees 10");
    assertThat(epochs.get(1)).startsWith("1  " + records.get(1).hashHex());

    List<String> csv = ledger("export", "--epoch", "1", "--format", "csv").ok().lines();
    assertThat(csv.get(0)).isEqualTo("seq,tx,epoch,kind,memo,account,amount");
    assertThat(csv).anyMatch(l -> l.contains(",storage,\"deal,1 " + key(1).peerId() + "\",user:alice,-1000"));
    long sum = 0;
    for (String line : csv.subList(1, csv.size())) {
      sum += Long.parseLong(line.substring(line.lastIndexOf(',') + 1));
      assertThat(line).contains(",1,");
    }
    assertThat(sum).isZero();

    JsonNode json = HomeConfig.JSON.readTree(ledger("export", "--epoch", "0", "--format", "json").ok().out());
    assertThat(json.path("hash").asText()).isEqualTo(records.get(0).hashHex());
    assertThat(json.path("previousHash").asText()).isEqualTo("00".repeat(32));
    assertThat(json.path("payoutsRoot").asText()).isEqualTo(HexFormat.of().formatHex(records.get(0).payoutsRoot()));
    assertThat(json.path("totalPaid").asLong()).isEqualTo(1000);
    assertThat(json.path("postings").size()).isEqualTo(ledger("export", "--epoch", "0", "--format", "csv").ok().lines().size() - 1);
    assertThat(json.path("payouts").get(0).path("account").asText()).startsWith("operator:");

    ledger("export", "--epoch", "5").failsNaming("epoch 5 is not settled");
    ledger("export", "--epoch", "0", "--format", "xml").failsNaming("--format 'xml'");

    assertThat(ledger("verify").ok().out()).isEqualTo("ledger OK: 2 settled epochs\n");
    assertThat(ledger("balance", "user:alice").ok().out()).isEqualTo((1_000_000 - 2 * 1000) + "\n");
    assertThat(ledger("balance", ALICE_AT_GATEWAY).ok().out()).isEqualTo((1_000_000 - 600) + "\n");

    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("ledger.db")); Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE ledger_postings SET amount = amount - 7 WHERE seq = (SELECT MAX(seq) FROM ledger_postings WHERE epoch = 1)");
    }
    ledger("verify").failsNaming("ledger inconsistent", "epoch 1", "does not balance");
  }

  @Test
  void postgresqlThroughTheDatabaseOption() throws Exception {
    String database = SharedTestPostgres.newDatabase();
    ledger("deposit", "user:alice", "1000000", "--database", database).ok();
    ledger("deposit", ALICE_AT_GATEWAY, "1000000", "--database", database).ok();
    List<SettlementRecord> records = settleTwoEpochs(Ledger.openPostgres(GatewayDatabase.jdbcUrl(database)));
    assertThat(ledger("balance", "user:alice", "--database", database).ok().out()).isEqualTo((1_000_000 - 2 * 1000) + "\n");
    assertThat(ledger("balance", ALICE_AT_GATEWAY, "--database", database).ok().out()).isEqualTo((1_000_000 - 600) + "\n");
    assertThat(ledger("epochs", "--database", database).ok().lines()).hasSize(2)
        .first().asString().startsWith("0  " + records.get(0).hashHex());
    JsonNode json = HomeConfig.JSON.readTree(ledger("export", "--epoch", "1", "--format", "json", "--database", database).ok().out());
    assertThat(json.path("hash").asText()).isEqualTo(records.get(1).hashHex());
    assertThat(ledger("verify", "--database", database).ok().out()).isEqualTo("ledger OK: 2 settled epochs\n");
    // the home's SQLite ledger is another ledger
    assertThat(ledger("balance", "user:alice").ok().out()).isEqualTo("0\n");

    try (Connection c = DriverManager.getConnection(GatewayDatabase.jdbcUrl(database)); Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE ledger_balances SET balance = balance + 1 WHERE account = 'user:alice'");
    }
    ledger("verify", "--database", database).failsNaming("epoch 1", "balance of user:alice");
  }

  @Test
  void needsAnInitializedHome() {
    cli().run("--home", tmp.resolve("none").toString(), "ledger", "epochs").failsNaming("no Canopy home", "canopy init");
  }
}
