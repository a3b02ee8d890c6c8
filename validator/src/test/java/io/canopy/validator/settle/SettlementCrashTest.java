package io.canopy.validator.settle;

import static io.canopy.validator.settle.SettlementFixtures.key;
import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.settle.EpochInputs.Outcome;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a validator process (destroyForcibly: SIGKILL) at random points while it settles an epoch
 * of receipts and 6,000 replicas: each time, the ledger holds the whole epoch or none of it,
 * verifies, and a fresh settle completes it with the same record hash as an uninterrupted run.
 *
 * <p>{@code mvn verify} settles 5,000 receipts: the epoch is still one transaction of some 27,000
 * postings (most of them the replicas'), preceded by the signature checks, so the kills still land
 * before and after the commit (in one run of the 8: 5 left none of the epoch, 3 all of it, and one
 * left WAL frames behind), while each settle takes about half as long as with 20,000 (the
 * signature checks scale with the receipts; the replicas' postings stay). The full-size run (README, "Tests") is
 * {@code -Dcanopy.crash.receipts=50000 -Dcanopy.crash.kills=16}.
 */
@Tag("integration")
class SettlementCrashTest {
  /** 5,000 by default to keep {@code mvn verify} short; -Dcanopy.crash.receipts=50000 for the full-size run. */
  static final int RECEIPTS = Integer.getInteger("canopy.crash.receipts", 5_000);
  static final int DEALS = 2_000;
  /** Kills of the settling process; -Dcanopy.crash.kills=16 for the full-size run. */
  static final int KILLS = Integer.getInteger("canopy.crash.kills", 8);
  static final Prices PRICES = Prices.of(0, 250, 300);
  static final List<Ed25519PrivateKey> VALIDATORS = SettlementFixtures.validators(3);
  static final List<Ed25519PrivateKey> SIGNERS = VALIDATORS.subList(0, 2);
  static final List<Ed25519PrivateKey> NODES = IntStream.range(0, 20).mapToObj(i -> key("node", i)).toList();
  static final Set<PeerId> FRAUD = Set.of(NODES.get(7).peerId());
  static final int USERS = 200;

  @TempDir Path tmp;

  static List<EpochInputs.ReplicaResult> replicas() {
    List<EpochInputs.ReplicaResult> out = new ArrayList<>();
    for (int d = 0; d < DEALS; d++) {
      for (int r = 0; r < 3; r++) {
        Ed25519PrivateKey node = NODES.get((d * 3 + r) % NODES.size());
        Outcome outcome = (d + r) % 17 == 0 ? Outcome.FAIL : Outcome.PASS;
        out.add(new EpochInputs.ReplicaResult("deal-" + d, "user:u" + d % USERS, node.peerId(), (long) (d + 1) << 20, 5_000, outcome));
      }
    }
    return out;
  }

  static void writeInputs(Path file, List<CountersignedReceipt> receipts) throws IOException {
    try (OutputStream out = Files.newOutputStream(file); DataOutputStream data = new DataOutputStream(new java.io.BufferedOutputStream(out))) {
      data.writeInt(receipts.size());
      for (CountersignedReceipt c : receipts) {
        byte[] b = c.encode();
        data.writeInt(b.length);
        data.write(b);
      }
    }
  }

  @Test
  void aKilledSettlementLeavesAllOrNothingAndARestartCompletesItIdentically() throws Exception {
    Ed25519PrivateKey gateway = key("gateway", 0);
    List<CountersignedReceipt> receipts = IntStream.range(0, RECEIPTS).parallel()
        .mapToObj(i -> SettlementFixtures.receipt(NODES.get(i % NODES.size()), gateway, "job-" + i, "u" + i % USERS,
            SettlementFixtures.MODEL, 100 + i % 900, i % 500, 0))
        .toList();
    Path inputsFile = tmp.resolve("inputs.bin");
    writeInputs(inputsFile, receipts);
    EpochInputs inputs = SettleChildMain.readInputs(inputsFile);

    Path template = tmp.resolve("template.db");
    try (Ledger ledger = Ledger.openSqlite(template)) {
      for (int u = 0; u < USERS; u++) {
        // some users cannot cover all their usage: the epoch also has unfunded rewards
        ledger.deposit("user:u" + u, u % 10 == 0 ? 1_000 : 50_000_000);
      }
      // epoch 0 pays no jobs; the big epoch is 1, which pays epoch 0's
      new Settler(ledger, SettlementFixtures.NETWORK, PRICES)
          .settle(0, new EpochInputs(List.of(), List.of(), Set.of(), SettlementFixtures.peers(VALIDATORS)), SIGNERS);
    }
    Map<String, Long> opening;
    try (Ledger ledger = Ledger.openSqlite(template)) {
      opening = ledger.balances();
    }

    // the uninterrupted run
    Path reference = copy(template, "reference.db");
    SettlementRecord expected;
    Map<String, Long> expectedBalances;
    int expectedPostings;
    long started = System.nanoTime();
    Settler.checkInputs(1, inputs);
    long checkMillis = (System.nanoTime() - started) / 1_000_000;
    try (Ledger ledger = Ledger.openSqlite(reference)) {
      expected = new Settler(ledger, SettlementFixtures.NETWORK, PRICES).settle(1, inputs, SIGNERS);
      expectedBalances = ledger.balances();
      expectedPostings = ledger.postings(1).size();
      assertThat(LedgerVerifier.verify(ledger).ok()).isTrue();
    }
    long totalMillis = (System.nanoTime() - started) / 1_000_000;
    assertThat(expected.unfunded()).isPositive();
    assertThat(expected.forfeited()).isPositive();

    Random random = new Random(42);
    int whole = 0;
    int none = 0;
    int midWrite = 0;
    for (int k = 0; k < KILLS; k++) {
      Path db = copy(template, "run-" + k + ".db");
      Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-cp",
          System.getProperty("java.class.path"), SettleChildMain.class.getName(), db.toString(), inputsFile.toString(), "1")
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("settling");
      // most kills aim at the database write that follows the signature checks; some anywhere
      long delay = random.nextInt(3) == 0
          ? random.nextInt((int) Math.max(1, totalMillis))
          : checkMillis / 2 + random.nextInt((int) Math.max(1, totalMillis - checkMillis / 2));
      Thread.sleep(delay);
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      Path wal = Path.of(db + "-wal");
      if (Files.exists(wal) && Files.size(wal) > 0) {
        midWrite++;
      }

      try (Ledger ledger = Ledger.openSqlite(db)) {
        if (ledger.epochs().contains(1L)) {
          whole++;
          assertThat(ledger.record(1).orElseThrow().hash()).isEqualTo(expected.hash());
          assertThat(ledger.postings(1)).hasSize(expectedPostings);
          assertThat(ledger.balances()).isEqualTo(expectedBalances);
        } else {
          none++;
          assertThat(ledger.postings(1)).isEmpty();
          assertThat(ledger.balances()).isEqualTo(opening);
        }
        assertThat(LedgerVerifier.verify(ledger).toString()).isEqualTo("OK");
        SettlementRecord completed = new Settler(ledger, SettlementFixtures.NETWORK, PRICES).settle(1, inputs, SIGNERS);
        assertThat(completed.hash()).isEqualTo(expected.hash());
        assertThat(ledger.balances()).isEqualTo(expectedBalances);
        assertThat(ledger.postings(1)).hasSize(expectedPostings);
        assertThat(LedgerVerifier.verify(ledger).toString()).isEqualTo("OK");
      }
    }
    System.out.printf("crash test: %d receipts, %d postings; %d kills, %d left the whole epoch, %d none (%d with uncommitted WAL frames); "
        + "settle %d ms (checks %d ms)%n", RECEIPTS, expectedPostings, KILLS, whole, none, midWrite, totalMillis, checkMillis);
    assertThat(whole + none).isEqualTo(KILLS);
    assertThat(none).as("kills that landed before the commit").isPositive();
  }

  private Path copy(Path template, String name) throws IOException {
    Path target = tmp.resolve(name);
    Files.copy(template, target, StandardCopyOption.REPLACE_EXISTING);
    return target;
  }
}
