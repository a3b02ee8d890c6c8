package io.canopy.validator.settle;

import static io.canopy.validator.settle.SettlementFixtures.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.ledger.LedgerException;
import io.canopy.validator.ledger.Posting;
import io.canopy.validator.settle.EpochInputs.Outcome;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random sequences of deposits, withdrawals, storage verdicts, compute usage, frauds and
 * settlements, over many seeds, against a model written from the spec's formulas alone: the
 * ledger always balances, conserves value, never lets an account but {@code external} go
 * negative, pays exactly what the formulas say and verifies.
 */
class LedgerPropertyTest {
  private static final int SEEDS = 40;
  private static final int STEPS = 40;
  private static final List<Ed25519PrivateKey> NODES = List.of(key("node", 0), key("node", 1), key("node", 2), key("node", 3));
  private static final List<Ed25519PrivateKey> VALIDATORS = SettlementFixtures.validators(3);
  private static final List<String> USERS = List.of("u0", "u1", "u2", "u3");
  private static final Ed25519PrivateKey GATEWAY = key("gateway", 0);

  @TempDir Path tmp;

  @Test
  void randomHistoriesBalanceConserveValueAndPayWhatTheFormulasSay() {
    for (int seed = 0; seed < SEEDS; seed++) {
      run(seed);
    }
  }

  private void run(int seed) {
    Random random = new Random(seed);
    Prices prices = new Prices(0, Map.of(SettlementFixtures.OTHER_MODEL.toString(), 1100L), 300, Map.of(), random.nextInt(2001));
    Map<String, Long> model = new TreeMap<>();
    Map<Long, EpochInputs> settled = new HashMap<>();
    try (Ledger ledger = Ledger.openSqlite(tmp.resolve("seed-" + seed + ".db"))) {
      Settler settler = new Settler(ledger, "prop", prices);
      long epoch = 0;
      for (int step = 0; step < STEPS; step++) {
        int op = random.nextInt(10);
        String what = "seed " + seed + " step " + step;
        if (op < 3) {
          // deal owners pay from user:NAME, the gateway's API users from user:GATEWAY/NAME
          String name = USERS.get(random.nextInt(USERS.size()));
          String user = random.nextBoolean() ? Accounts.user(name) : Accounts.gatewayUser(GATEWAY.peerId(), name);
          long amount = 1 + random.nextInt(20_000);
          ledger.deposit(user, amount);
          move(model, Accounts.EXTERNAL, user, amount);
        } else if (op < 5) {
          List<String> holders = model.keySet().stream().filter(a -> !a.equals(Accounts.EXTERNAL)).toList();
          if (holders.isEmpty()) {
            continue;
          }
          String account = holders.get(random.nextInt(holders.size()));
          long balance = model.get(account);
          long amount = 1 + (long) random.nextInt((int) Math.min(Integer.MAX_VALUE - 1, balance + 100));
          if (amount > balance) {
            assertThatThrownBy(() -> ledger.withdraw(account, amount)).as(what).isInstanceOf(LedgerException.class);
          } else {
            ledger.withdraw(account, amount);
            move(model, account, Accounts.EXTERNAL, amount);
          }
        } else if (op < 9) {
          EpochInputs inputs = randomInputs(random, epoch);
          List<Ed25519PrivateKey> signers = new ArrayList<>(VALIDATORS);
          java.util.Collections.shuffle(signers, random);
          signers = signers.subList(0, 2 + random.nextInt(2));
          SettlementRecord record = settler.settle(epoch, inputs, signers);
          expectSettlement(model, inputs, prices, signers.stream().map(Ed25519PrivateKey::peerId).toList(), record);
          settled.put(epoch, inputs);
          epoch++;
        } else if (epoch > 0) {
          long again = random.nextInt((int) epoch);
          Map<String, Long> before = ledger.balances();
          SettlementRecord existing = SettlementRecord.decode(ledger.record(again).orElseThrow().encoded());
          assertThat(settler.settle(again, settled.get(again), VALIDATORS)).as(what).isEqualTo(existing);
          assertThat(ledger.balances()).as(what).isEqualTo(before);
        }
        checkInvariants(ledger, model, what);
      }
      assertThat(LedgerVerifier.verify(ledger).toString()).as("seed " + seed).isEqualTo("OK");
      assertThat(fromExport(ledger)).as("seed %d: balances recomputed from the exported postings", seed).isEqualTo(ledger.balances());
    }
  }

  private static EpochInputs randomInputs(Random random, long epoch) {
    List<EpochInputs.ReplicaResult> replicas = new ArrayList<>();
    int deals = random.nextInt(4);
    for (int d = 0; d < deals; d++) {
      String owner = Accounts.user(USERS.get(random.nextInt(USERS.size())));
      long size = (long) (random.nextDouble() * 3 * (1L << 30));
      long price = random.nextInt(3000);
      for (Ed25519PrivateKey node : NODES) {
        if (random.nextInt(3) == 0) {
          Outcome outcome = Outcome.values()[random.nextInt(10) < 7 ? 0 : 1 + random.nextInt(2)];
          replicas.add(new EpochInputs.ReplicaResult("e" + epoch + "-d" + d, owner, node.peerId(), size, price, outcome));
        }
      }
    }
    List<CountersignedReceipt> receipts = new ArrayList<>();
    int jobs = epoch == 0 ? 0 : random.nextInt(6); // the record of epoch e pays the jobs of e-1
    for (int j = 0; j < jobs; j++) {
      Ed25519PrivateKey node = NODES.get(random.nextInt(NODES.size()));
      Cid m = random.nextBoolean() ? SettlementFixtures.MODEL : SettlementFixtures.OTHER_MODEL;
      receipts.add(SettlementFixtures.receipt(node, GATEWAY, "job-" + epoch + "-" + j, USERS.get(random.nextInt(USERS.size())), m,
          random.nextInt(10_000), random.nextInt(10_000), epoch - 1));
    }
    Set<PeerId> fraud = new HashSet<>();
    for (Ed25519PrivateKey node : NODES) {
      if (random.nextInt(8) == 0) {
        fraud.add(node.peerId());
      }
    }
    return new EpochInputs(replicas, receipts, fraud, SettlementFixtures.peers(VALIDATORS));
  }

  /** The spec's formulas (§7.4–7.5), applied to the model, written independently of RewardCalculator. */
  private static void expectSettlement(Map<String, Long> model, EpochInputs inputs, Prices prices, List<PeerId> signers,
                                       SettlementRecord record) {
    Map<String, Long> before = new TreeMap<>(model);
    long fees = 0;
    List<EpochInputs.ReplicaResult> replicas = new ArrayList<>(inputs.replicas());
    replicas.sort(Comparator.comparing(EpochInputs.ReplicaResult::dealId).thenComparing(r -> r.node().toString()));
    for (EpochInputs.ReplicaResult r : replicas) {
      if (r.outcome() == Outcome.PASS && !inputs.fraudNodes().contains(r.node())) {
        long owed = floor(r.pricePerGiBEpoch(), r.dealSizeBytes(), 1L << 30);
        fees += pay(model, r.ownerAccount(), Accounts.operator(r.node()), owed, prices.feeBps());
      }
    }
    List<CountersignedReceipt> receipts = new ArrayList<>(inputs.receipts());
    receipts.sort(Comparator.comparing((CountersignedReceipt c) -> c.receipt().jobId()).thenComparing(c -> c.receipt().node().toString()));
    for (CountersignedReceipt c : receipts) {
      if (!inputs.fraudNodes().contains(c.receipt().node())) {
        long price = c.receipt().model().equals(SettlementFixtures.OTHER_MODEL) ? 1100 : 300;
        long owed = floor(price, c.receipt().usage().promptTokens() + c.receipt().usage().completionTokens(), 1000);
        fees += pay(model, Accounts.payer(c), Accounts.operator(c.receipt().node()), owed, prices.feeBps());
      }
    }
    long share = fees / signers.size();
    for (PeerId v : signers) {
      move(model, Accounts.NETWORK, "validator:" + v, share);
    }
    assertThat(record.totalFees()).isEqualTo(fees);
    long paid = 0;
    for (Map.Entry<String, Long> a : model.entrySet()) {
      long delta = a.getValue() - before.getOrDefault(a.getKey(), 0L);
      if (delta > 0) {
        paid += delta;
      }
    }
    assertThat(record.totalPaid()).isEqualTo(paid);
  }

  private static long pay(Map<String, Long> model, String payer, String payee, long owed, int feeBps) {
    long paid = Math.min(owed, model.getOrDefault(payer, 0L));
    if (paid <= 0) {
      return 0;
    }
    long fee = floor(feeBps, paid, 10_000);
    move(model, payer, payee, paid - fee);
    move(model, payer, Accounts.NETWORK, fee);
    return fee;
  }

  private static long floor(long a, long b, long d) {
    return BigInteger.valueOf(a).multiply(BigInteger.valueOf(b)).divide(BigInteger.valueOf(d)).longValueExact();
  }

  private static void move(Map<String, Long> model, String from, String to, long amount) {
    if (amount == 0) {
      return;
    }
    model.merge(from, -amount, Long::sum);
    model.merge(to, amount, Long::sum);
  }

  private static void checkInvariants(Ledger ledger, Map<String, Long> model, String what) {
    Map<String, Long> balances = ledger.balances();
    assertThat(balances.values().stream().mapToLong(Long::longValue).sum()).as(what + ": total value").isZero();
    balances.forEach((account, b) -> {
      if (!account.equals(Accounts.EXTERNAL)) {
        assertThat(b).as(what + ": balance of " + account).isNotNegative();
      }
    });
    Map<String, Long> expected = new TreeMap<>();
    model.forEach((a, b) -> {
      if (b != 0 || balances.containsKey(a)) {
        expected.put(a, b);
      }
    });
    Map<String, Long> actual = new TreeMap<>(balances);
    actual.values().removeIf(v -> false);
    expected.keySet().forEach(a -> actual.putIfAbsent(a, 0L));
    assertThat(actual).as(what + ": balances against the model").isEqualTo(expected);
  }

  /** Balances from the postings alone, checking that every transaction sums to zero on the way. */
  static Map<String, Long> fromExport(Ledger ledger) {
    Map<String, Long> balances = new TreeMap<>();
    Map<Long, Long> txSums = new HashMap<>();
    ledger.forEachPosting((Posting p) -> {
      balances.merge(p.account(), p.amount(), Long::sum);
      txSums.merge(p.tx(), p.amount(), Long::sum);
    });
    assertThat(txSums.values()).allMatch(s -> s == 0);
    return balances;
  }
}
