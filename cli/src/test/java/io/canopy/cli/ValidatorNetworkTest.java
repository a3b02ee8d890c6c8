package io.canopy.cli;

import static io.canopy.cli.DealCommandTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.canopy.compute.job.ReceiptLog;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.storage.DealStatus;
import io.canopy.storage.DealStore;
import io.canopy.storage.StorageConfig;
import io.canopy.validator.ledger.Accounts;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.settle.Prices;
import io.canopy.validator.settle.SettlementRecord;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Issue #7's devnet in this JVM: 5 storage nodes, 1 compute node, 3 validators and a gateway,
 * with 4-second epochs. Objects put through S3 are placed on 3 storage nodes each, embeddings go
 * through the OpenAI face to the compute node; the validators challenge every replica, re-run every
 * job (sample rate 100%) and settle each epoch together. Every validator ends with the same
 * hash-chained records signed by all three, and each record's payouts equal what the formulas of
 * settlement.md give when recomputed here, independently, from the deals the gateway made, the
 * receipts it kept and the postings exported with {@code canopy ledger export}.
 */
class ValidatorNetworkTest {
  private static final long EPOCH_MS = 4_000;
  private static final long DEAL_PRICE = 1_000_000_000L; // per GiB-epoch: a ~300 KB object earns ~280,000 a replica
  private static final long PRICE_PER_1K = 1_000;
  private static final int FEE_BPS = 500;
  private static final StorageConfig FAST = DealCommandTest.FAST_REPAIR;

  @TempDir Path tmp;
  private TestNodes nodes;

  @BeforeEach
  void setUp() {
    nodes = new TestNodes(tmp);
  }

  @AfterEach
  void stop() throws Exception {
    nodes.close();
  }




  @Test
  void honestNodesPassEveryChallengeAndArePaidWhatTheFormulasSayOnEveryValidator() throws Exception {
    List<Path> validatorHomes = List.of(nodes.home("v0"), nodes.home("v1"), nodes.home("v2"));
    List<PeerId> validators = new ArrayList<>();
    for (Path h : validatorHomes) {
      validators.add(TestNodes.peerId(h));
    }
    Path gatewayHome = nodes.home("gw");
    PeerId gatewayId = TestNodes.peerId(gatewayHome);
    // Epoch 0 starts once every node is up; jobs and deals of the warm-up land in epochs 0 and 1.
    long genesis = System.currentTimeMillis() + 12_000;
    DaemonNode.NetworkOptions network = new DaemonNode.NetworkOptions("devnet-test", new EpochClock(genesis, EPOCH_MS), validators,
        Prices.of(0, PRICE_PER_1K, FEE_BPS), 1_000_000);
    for (Path h : validatorHomes) { // the same deposits on every validator's ledger (they are not replicated)
      try (Ledger ledger = Ledger.openSqlite(new Home(h).ledgerFile())) {
        ledger.deposit("user:" + gatewayId, 1_000_000_000_000L);
        ledger.deposit(Accounts.gatewayUser(gatewayId, "alice"), 1_000_000_000L);
      }
    }

    Daemons.InProcess seed = nodes.start(nodes.home("s0"), storageOptions(List.of(), network));
    List<Multiaddr> bootstrap = List.of(Multiaddr.parse(seed.addr()));
    List<Daemons.InProcess> storage = new ArrayList<>(List.of(seed));
    for (int i = 1; i < 5; i++) {
      storage.add(nodes.start(nodes.home("s" + i), storageOptions(bootstrap, network)));
    }
    Daemons.InProcess compute = nodes.start(nodes.home("c"), Daemons.options(bootstrap).withNetwork(network)
        .withCompute(new DaemonNode.ComputeOptions(List.of(), io.canopy.compute.job.ComputeConfig.DEFAULT, null)));
    InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
    Daemons.InProcess gateway = nodes.start(gatewayHome, new DaemonNode.Options(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), bootstrap,
        DaemonNode.DEFAULT_API_ADDRESS, io.canopy.cli.rpc.RpcConfig.defaults(), Daemons.FETCH_TIMEOUT, false, FAST, null,
        new DaemonNode.GatewayOptions(any, any, any, any, null, List.of(),
            new io.canopy.gateway.s3.data.DealKeeper.Config(3, 3, Duration.ofHours(1), DEAL_PRICE, Duration.ofMinutes(10))),
        null).withNetwork(network));
    List<Daemons.InProcess> validatorNodes = new ArrayList<>();
    for (Path h : validatorHomes) {
      validatorNodes.add(nodes.start(h, Daemons.options(bootstrap).withNetwork(network)
          .withValidator(new DaemonNode.ValidatorOptions(null, Duration.ofSeconds(3)))));
    }

    // Two objects, each held by 3 of the 5 storage nodes before its PUT is acknowledged (W = R = 3).
    JsonNode key = HomeConfig.JSON.readTree(nodes.cli(gatewayHome).run("gateway", "keys", "create", "--account", "alice").ok().out());
    waitFor(Duration.ofSeconds(30), () -> gateway.node().dht().findProviders(io.canopy.storage.StorageRole.SERVICE_KEY, 8).join().size() >= 5);
    try (S3Client s3 = S3Client.builder().endpointOverride(gateway.node().gateway().orElseThrow().urls().get("s3"))
        .region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(key.path("accessKeyId").asText(), key.path("secretAccessKey").asText())))
        .build()) {
      s3.createBucket(b -> b.bucket("forest"));
      for (int i = 0; i < 2; i++) {
        byte[] data = new byte[300_000 + i * 123_457];
        new Random(i).nextBytes(data);
        int n = i;
        s3.putObject(b -> b.bucket("forest").key("tree-" + n), RequestBody.fromBytes(data));
      }
    }
    List<DealStatus> deals = gateway.node().storage().deals().list();
    assertThat(deals).hasSize(2).allSatisfy(d -> assertThat(d.activeReplicas()).isEqualTo(3));
    long allHeld = System.currentTimeMillis();

    // Embeddings through the OpenAI face, each a job on the compute node with a countersigned receipt.
    awaitModel(compute.node().home().dir());
    OpenAIClient openai = OpenAIOkHttpClient.builder().apiKey(key.path("apiKey").asText())
        .baseUrl(gateway.node().httpFaces().get("openai") + "/v1").maxRetries(2).build();
    try {
      waitFor(Duration.ofSeconds(30), () -> openai.models().list().data().stream().anyMatch(m -> m.id().equals("all-MiniLM-L6-v2")));
      embed(openai, "a quiet forest path", "moss on the north side", "the canopy closes overhead");
      // more jobs once the validators are settling: stamped with a running epoch, paid in the record after it
      waitFor(Duration.ofSeconds(60), () -> validatorNodes.get(0).node().validator().orElseThrow().role().record(0).isPresent());
      embed(openai, "light through the leaves", "roots under the path");
    } finally {
      openai.close();
    }
    List<CountersignedReceipt> receipts = ReceiptLog.read(gatewayHome.resolve("receipts.log"));
    assertThat(receipts).hasSize(5);
    long lastJobEpoch = receipts.stream().mapToLong(r -> r.receipt().epoch()).max().orElseThrow();
    assertThat(lastJobEpoch).isPositive();

    // Settle four epochs with every replica held, and the epoch after the last job's.
    EpochClock clock = network.epochs();
    long firstSteady = clock.epochAt(allHeld) + 1;
    long last = Math.max(firstSteady + 3, lastJobEpoch + 1);
    waitFor(Duration.ofMillis((last + 4) * EPOCH_MS + 60_000 - (System.currentTimeMillis() - genesis)),
        () -> validatorNodes.stream().allMatch(v -> v.node().validator().orElseThrow().role().record(last).isPresent()));

    // Every validator holds the same chain of records, each signed by all three.
    List<SettlementRecord> chain = new ArrayList<>();
    for (long e = 0; e <= last; e++) {
      SettlementRecord r = validatorNodes.get(0).node().validator().orElseThrow().role().record(e).orElseThrow();
      for (Daemons.InProcess v : validatorNodes) {
        assertThat(v.node().validator().orElseThrow().role().record(e)).as("record %d on every validator", e).hasValue(r);
      }
      if (e >= firstSteady) { // all three were up by then; before, a quorum of two may have settled without the last one started
        assertThat(r.signers()).as("signers of %d", e).containsExactlyInAnyOrderElementsOf(validators);
      } else {
        assertThat(r.signers()).hasSizeGreaterThanOrEqualTo(2);
      }
      assertThat(r.forfeited()).as("an honest network forfeits nothing (epoch %d)", e).isZero();
      if (e > 0) {
        assertThat(r.previousHash()).isEqualTo(chain.get((int) e - 1).hash());
      }
      chain.add(r);
    }

    // The payouts of each settled epoch, recomputed from the deals and receipts by the formulas.
    Map<String, Long> held = new TreeMap<>(); // "deal node" -> reward
    for (DealStatus d : deals) {
      for (DealStore.Replica r : d.replicas()) {
        held.put(d.deal().deal().id() + " " + r.node(), DEAL_PRICE * d.deal().deal().size() / (1L << 30));
      }
    }
    for (long e = firstSteady; e <= last; e++) {
      JsonNode export = HomeConfig.JSON.readTree(nodes.cli(validatorHomes.get(1)).run("ledger", "export", "--epoch", String.valueOf(e),
          "--format", "json").ok().out());
      Map<String, Long> storagePaid = new TreeMap<>();
      for (JsonNode p : export.path("postings")) {
        if (p.path("kind").asText().equals("storage") && p.path("account").asText().startsWith("user:")) {
          storagePaid.put(p.path("memo").asText(), -p.path("amount").asLong());
        }
      }
      assertThat(storagePaid).as("epoch %d: every replica passed and was paid its reward", e).isEqualTo(held);

      long epoch = e;
      Map<String, Long> expected = expectedPayouts(deals, receipts.stream().filter(r -> r.receipt().epoch() == epoch - 1).toList(),
          validators);
      Map<String, Long> actual = new TreeMap<>();
      export.path("payouts").forEach(p -> actual.put(p.path("account").asText(), p.path("amount").asLong()));
      assertThat(actual).as("epoch %d: payouts recomputed from the export's inputs", e).isEqualTo(expected);
    }
    // The jobs were re-run and paid once, in the record after their epoch, by the account the gateway named for alice.
    long computePostings = 0;
    for (long e = 0; e <= last; e++) {
      JsonNode export = HomeConfig.JSON.readTree(nodes.cli(validatorHomes.get(2)).run("ledger", "export", "--epoch", String.valueOf(e),
          "--format", "json").ok().out());
      for (JsonNode p : export.path("postings")) {
        if (p.path("kind").asText().equals("compute") && p.path("account").asText().equals(key.path("ledgerAccount").asText())) {
          computePostings++;
        }
      }
    }
    assertThat(computePostings).isEqualTo(5);
    for (Path h : validatorHomes) {
      assertThat(nodes.cli(h).run("ledger", "verify").ok().out()).startsWith("ledger OK");
    }
    String log = String.join("\n", validatorNodes.get(0).log());
    assertThat(log).contains("validator: epoch " + firstSteady + " settled").doesNotContain("FRAUD");

    // A storage node that loses its disk is paid for none of its replicas from the next epoch on; the others still are.
    PeerId lost = deals.get(0).replicas().get(0).node();
    Daemons.InProcess loser = storage.stream().filter(s -> s.node().host().peerId().equals(lost)).findFirst().orElseThrow();
    try (var files = java.nio.file.Files.walk(loser.node().home().dir().resolve(Home.BLOCKS_DIR))) {
      for (Path f : files.filter(java.nio.file.Files::isRegularFile).toList()) {
        java.nio.file.Files.delete(f);
      }
    }
    long after = clock.epochAt(System.currentTimeMillis()) + 1;
    waitFor(Duration.ofMillis(3 * EPOCH_MS + 60_000),
        () -> validatorNodes.stream().allMatch(v -> v.node().validator().orElseThrow().role().record(after).isPresent()));
    JsonNode export = HomeConfig.JSON.readTree(nodes.cli(validatorHomes.get(0)).run("ledger", "export", "--epoch", String.valueOf(after),
        "--format", "json").ok().out());
    List<String> paidReplicas = new ArrayList<>();
    export.path("postings").forEach(p -> {
      if (p.path("kind").asText().equals("storage") && p.path("account").asText().startsWith("user:")) {
        paidReplicas.add(p.path("memo").asText());
      }
    });
    List<String> kept = held.keySet().stream().filter(k -> !k.endsWith(" " + lost)).toList();
    assertThat(paidReplicas).as("epoch %d after %s lost its blocks", after, lost).containsAll(kept).noneMatch(k -> k.endsWith(" " + lost));
  }


  private DaemonNode.Options storageOptions(List<Multiaddr> bootstrap, DaemonNode.NetworkOptions network) {
    return new DaemonNode.Options(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), bootstrap, DaemonNode.DEFAULT_API_ADDRESS,
        io.canopy.cli.rpc.RpcConfig.defaults(), Daemons.FETCH_TIMEOUT, true, FAST, null, null, null).withNetwork(network);
  }

  /**
   * settlement.md §7.4, written out again: each replica's reward and each receipt's, charged to its
   * payer; the operator gets it less the fee; fees go to the network, which passes floor(F / 3) to
   * each of the three signers.
   */
  private static Map<String, Long> expectedPayouts(List<DealStatus> deals, List<CountersignedReceipt> receipts, List<PeerId> validators) {
    Map<String, Long> credit = new HashMap<>();
    long fees = 0;
    List<long[]> items = new ArrayList<>();
    List<String> payees = new ArrayList<>();
    for (DealStatus d : deals) {
      for (DealStore.Replica r : d.replicas()) {
        items.add(new long[] {DEAL_PRICE * d.deal().deal().size() / (1L << 30)});
        payees.add("operator:" + r.node());
      }
    }
    for (CountersignedReceipt c : receipts) {
      items.add(new long[] {PRICE_PER_1K * c.receipt().usage().totalTokens() / 1000});
      payees.add("operator:" + c.receipt().node());
    }
    for (int i = 0; i < items.size(); i++) {
      long paid = items.get(i)[0];
      long fee = FEE_BPS * paid / 10_000;
      fees += fee;
      credit.merge(payees.get(i), paid - fee, Long::sum);
    }
    long share = fees / validators.size();
    credit.put("network", fees - share * validators.size());
    for (PeerId v : validators) {
      credit.put("validator:" + v, share);
    }
    Map<String, Long> out = new TreeMap<>();
    credit.forEach((account, amount) -> {
      if (amount > 0) {
        out.put(account, amount);
      }
    });
    return out;
  }

  private static void embed(OpenAIClient openai, String... texts) {
    for (String text : texts) {
      assertThat(openai.embeddings().create(EmbeddingCreateParams.builder().model("all-MiniLM-L6-v2").input(text).build())
          .data().get(0).embedding()).hasSize(384);
    }
  }

  private void awaitModel(Path home) throws Exception {
    waitFor(Duration.ofSeconds(90), () -> nodes.cli(home).run("model", "ls").ok().out().lines().anyMatch(l -> l.startsWith("all-MiniLM-L6-v2  serving")));
  }
}
