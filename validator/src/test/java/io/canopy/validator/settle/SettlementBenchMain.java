package io.canopy.validator.settle;

import static io.canopy.validator.settle.SettlementFixtures.key;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.validator.ledger.Ledger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Settlement time for one epoch of 10,000 deals × 3 replicas and 100,000 receipts on SQLite
 * (issue #7's benchmark; not a test). Prints one JSON object: the whole settle, its parts (input
 * checks — two Ed25519 verifications per receipt —, the reward calculation, the inputs digest,
 * and, by difference, the database write), per-item µs, and the
 * ledger verification time. The baseline, measured in the same run: the same receipts' two
 * signatures checked alone, in the same parallel stream {@code Settler.checkInputs} uses, three
 * times (before the input checks, before the settle, after it); its median is
 * {@code signature_checks_alone_ms} and {@code settle_over_signature_checks} the settle's multiple
 * of it. {@code SettlementBenchMain [deals] [receipts]}.
 */
public final class SettlementBenchMain {
  private SettlementBenchMain() {}

  public static void main(String[] args) throws Exception {
    int deals = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int receiptCount = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    int users = 1_000;
    List<Ed25519PrivateKey> nodes = IntStream.range(0, 100).mapToObj(i -> key("node", i)).toList();
    List<Ed25519PrivateKey> validators = SettlementFixtures.validators(3);
    Ed25519PrivateKey gateway = key("gateway", 0);
    List<EpochInputs.ReplicaResult> replicas = new ArrayList<>();
    for (int d = 0; d < deals; d++) {
      for (int r = 0; r < 3; r++) {
        replicas.add(new EpochInputs.ReplicaResult("deal-" + d, "user:u" + d % users, nodes.get((d * 3 + r) % nodes.size()).peerId(),
            (long) (1 + d % 1000) << 20, 10_000, EpochInputs.Outcome.PASS));
      }
    }
    List<CountersignedReceipt> receipts = IntStream.range(0, receiptCount).parallel()
        .mapToObj(i -> SettlementFixtures.receipt(nodes.get(i % nodes.size()), gateway, "job-" + i, "u" + i % users,
            SettlementFixtures.MODEL, 200 + i % 800, i % 400, 0))
        .toList();
    EpochInputs inputs = new EpochInputs(replicas, receipts, Set.of(), SettlementFixtures.peers(validators));
    Prices prices = Prices.of(0, 300, 250);

    Path dir = Files.createTempDirectory("settle-bench");
    Path file = dir.resolve("ledger.db");
    Map<String, Object> out = new LinkedHashMap<>();
    try (Ledger ledger = Ledger.openSqlite(file)) {
      for (int u = 0; u < users; u++) {
        ledger.deposit("user:u" + u, 1_000_000_000L);
      }
      // the record of epoch e pays the jobs of e-1: settle an empty epoch 0, measure epoch 1
      new Settler(ledger, SettlementFixtures.NETWORK, prices)
          .settle(0, new EpochInputs(List.of(), List.of(), Set.of(), SettlementFixtures.peers(validators)), validators);
      long[] sigs = new long[3];
      sigs[0] = signatureChecks(receipts);
      long t0 = System.nanoTime();
      Settler.checkInputs(1, inputs);
      long checks = System.nanoTime() - t0;
      long tc = System.nanoTime();
      List<io.canopy.identity.PeerId> signers = validators.stream().map(Ed25519PrivateKey::peerId)
          .sorted(java.util.Comparator.comparing(Object::toString)).toList();
      RewardCalculator.Plan plan = RewardCalculator.calculate(inputs, prices, signers, a -> 1_000_000_000L);
      long calculate = System.nanoTime() - tc;
      long td = System.nanoTime();
      inputs.digest(1, prices);
      long digest = System.nanoTime() - td;
      sigs[1] = signatureChecks(receipts);
      long t1 = System.nanoTime();
      SettlementRecord record = new Settler(ledger, SettlementFixtures.NETWORK, prices).settle(1, inputs, validators);
      long settle = System.nanoTime() - t1;
      sigs[2] = signatureChecks(receipts);
      long[] sorted = sigs.clone();
      java.util.Arrays.sort(sorted);
      long sigMedian = sorted[1];
      long t2 = System.nanoTime();
      LedgerVerifier.Result verified = LedgerVerifier.verify(ledger);
      long verify = System.nanoTime() - t2;
      int items = replicas.size() + receipts.size();
      int postings = ledger.postings(1).size();
      out.put("deals", deals);
      out.put("replicas", replicas.size());
      out.put("receipts", receipts.size());
      out.put("postings", postings);
      out.put("payouts", record.payouts().size());
      out.put("cpus", Runtime.getRuntime().availableProcessors());
      out.put("settle_ms", settle / 1_000_000);
      out.put("settle_us_per_item", Math.round(settle / 1_000.0 / items * 100) / 100.0);
      out.put("signature_checks_alone_ms", sigMedian / 1_000_000);
      out.put("signature_checks_alone_runs_ms",
          "[" + sigs[0] / 1_000_000 + ", " + sigs[1] / 1_000_000 + ", " + sigs[2] / 1_000_000 + "]");
      out.put("signature_checks_us_per_receipt", Math.round(sigMedian / 1_000.0 / receipts.size() * 100) / 100.0);
      out.put("settle_over_signature_checks", Math.round((double) settle / sigMedian * 100) / 100.0);
      out.put("input_checks_ms", checks / 1_000_000);
      out.put("input_checks_us_per_receipt", Math.round(checks / 1_000.0 / receipts.size() * 100) / 100.0);
      out.put("calculate_ms", calculate / 1_000_000);
      out.put("inputs_digest_ms", digest / 1_000_000);
      out.put("transactions", plan.transactions().size());
      long write = Math.max(0, settle - checks - calculate - digest);
      out.put("db_write_ms_estimate", write / 1_000_000);
      out.put("db_write_us_per_posting_estimate", Math.round(write / 1_000.0 / postings * 100) / 100.0);
      out.put("verify_ledger_ms", verify / 1_000_000);
      out.put("verified", verified.ok());
      out.put("record_hash", record.hashHex());
      out.put("db_bytes", Files.size(file));
    }
    StringBuilder json = new StringBuilder("{");
    out.forEach((k, v) -> json.append(json.length() > 1 ? ", " : "").append('"').append(k).append("\": ")
        .append(v instanceof String str && !str.startsWith("[") ? "\"" + v + "\"" : v));
    System.out.println(json.append('}'));
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** The baseline: both signatures of every receipt, as {@code Settler.checkInputs} checks them. */
  private static long signatureChecks(List<CountersignedReceipt> receipts) {
    long t0 = System.nanoTime();
    OptionalInt forged = IntStream.range(0, receipts.size()).parallel().filter(i -> !receipts.get(i).verify()).min();
    long nanos = System.nanoTime() - t0;
    if (forged.isPresent()) {
      throw new IllegalStateException("receipt " + forged.getAsInt() + " does not verify");
    }
    return nanos;
  }
}
