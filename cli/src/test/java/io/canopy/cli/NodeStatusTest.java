package io.canopy.cli;

import static io.canopy.cli.DealCommandTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.settle.Prices;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The status document ({@code POST /api/v0/status}, {@code canopy status}, the dashboard's
 * {@code /status.json} and {@code /network.json}) on a small network on 127.0.0.1: a storage node,
 * a validator (the whole validator set) and a deal owner with the dashboard, 3-second epochs. The
 * storage node's status counts the proofs it gave and shows what it earned in each settled epoch,
 * read from the validator over {@code /canopy/records/1.0.0}; the owner sees its peers' roles, its
 * deal and the same record hashes as the validator's ledger. The dashboard's listener is read-only
 * and answers only its own address; the log lines carry the node's short id.
 */
class NodeStatusTest {
  private static final long EPOCH_MS = 3_000;
  private static final long PRICE = 1_000_000_000L; // per GiB-epoch: ~280,000 for the 300 KB file below

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
  void statusShowsRolesPeersProofsAndEarningsPerSettledEpoch() throws Exception {
    Path validatorHome = nodes.home("v");
    Path storageHome = nodes.home("s");
    Path ownerHome = nodes.home("o");
    PeerId validatorId = TestNodes.peerId(validatorHome);
    PeerId ownerId = TestNodes.peerId(ownerHome);
    PeerId storageId = TestNodes.peerId(storageHome);
    long genesis = System.currentTimeMillis() + 4_000;
    DaemonNode.NetworkOptions network = new DaemonNode.NetworkOptions("status-test", new EpochClock(genesis, EPOCH_MS),
        List.of(validatorId), Prices.of(0, 100, 500), 0);
    try (Ledger ledger = Ledger.openSqlite(new Home(validatorHome).ledgerFile())) {
      ledger.deposit("user:" + ownerId, 1_000_000_000_000L);
    }

    Daemons.InProcess storage = nodes.start(storageHome, new DaemonNode.Options(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")), List.of(),
        DaemonNode.DEFAULT_API_ADDRESS, io.canopy.cli.rpc.RpcConfig.defaults(), Daemons.FETCH_TIMEOUT, true,
        DealCommandTest.FAST_REPAIR, null, null, null).withNetwork(network));
    List<Multiaddr> bootstrap = List.of(Multiaddr.parse(storage.addr()));
    Daemons.InProcess validator = nodes.start(validatorHome, Daemons.options(bootstrap).withNetwork(network)
        .withValidator(new DaemonNode.ValidatorOptions(null, Duration.ofSeconds(3))));
    Daemons.InProcess owner = nodes.start(ownerHome, Daemons.options(List.of(Multiaddr.parse(storage.addr()), Multiaddr.parse(validator.addr())))
        .withNetwork(network).withDashboard(new InetSocketAddress("127.0.0.1", 0)));

    Path file = tmp.resolve("photo.bin");
    byte[] bytes = new byte[300_000];
    new Random(7).nextBytes(bytes);
    Files.write(file, bytes);
    String cid = nodes.cli(ownerHome).run("add", "-q", file.toString()).ok().out().trim();
    nodes.cli(ownerHome).run("deal", "create", cid, "--replicas", "1", "--duration", "1h", "--price", String.valueOf(PRICE)).ok();

    // The storage node proves the deal and is paid for it in a settled epoch, which it reads from the validator.
    waitFor(Duration.ofSeconds(90), () -> earned(storage.node().status().document()) > 0);
    JsonNode s = json(storage.node().status().document());
    assertThat(s.path("peerId").asText()).isEqualTo(storageId.toString());
    assertThat(s.path("shortId").asText()).isEqualTo(storageId.toString().substring(storageId.toString().length() - 6));
    assertThat(s.path("roles")).extracting(JsonNode::asText).containsExactly("storage");
    assertThat(s.path("storage").path("serving").asBoolean()).isTrue();
    assertThat(s.path("storage").path("capacityBytes").asLong()).isEqualTo(DealCommandTest.FAST_REPAIR.capacityBytes());
    assertThat(s.path("storage").path("committedBytes").asLong()).isGreaterThanOrEqualTo(300_000);
    assertThat(s.path("storage").path("diskUsedBytes").asLong()).isGreaterThanOrEqualTo(300_000);
    assertThat(s.path("storage").path("held").path("count").asLong()).isEqualTo(1);
    JsonNode proofs = s.path("storage").path("proofs");
    assertThat(proofs.size()).isPositive();
    assertThat(proofs).allSatisfy(p -> assertThat(p.path("refused").asLong()).isZero());
    assertThat(proofs.get(0).path("answered").asLong()).isPositive();
    JsonNode settlement = s.path("settlement");
    assertThat(settlement.path("source").asText()).isEqualTo("validators");
    JsonNode earnings = s.path("earnings");
    assertThat(earnings.path("account").asText()).isEqualTo("operator:" + storageId);
    // every epoch shown earned what the ledger's record pays this node, no more, no less
    for (JsonNode e : earnings.path("perEpoch")) {
      long epoch = e.path("epoch").asLong();
      long paid = io.canopy.validator.settle.SettlementRecord.decode(validator.node().validator().orElseThrow().ledger().record(epoch)
          .orElseThrow().encoded()).payouts().stream().filter(p -> p.account().equals("operator:" + storageId))
          .mapToLong(io.canopy.validator.settle.Payout::amount).sum();
      assertThat(e.path("amount").asLong()).as("earned in epoch %d", epoch).isEqualTo(paid);
    }
    for (JsonNode r : settlement.path("records")) {
      byte[] hash = validator.node().validator().orElseThrow().ledger().record(r.path("epoch").asLong()).orElseThrow().hash();
      assertThat(r.path("hash").asText()).isEqualTo(HexFormat.of().formatHex(hash));
      assertThat(r.path("signers")).extracting(JsonNode::asText).containsExactly(validatorId.toString());
    }

    // The validator reads its own ledger; its log lines carry its short id, its events do not need to.
    JsonNode v = json(validator.node().status().document());
    assertThat(v.path("roles")).extracting(JsonNode::asText).containsExactly("validator");
    assertThat(v.path("settlement").path("source").asText()).isEqualTo("ledger");
    assertThat(v.path("validator").path("lastSettledEpoch").isNumber()).isTrue();
    String vShort = v.path("shortId").asText();
    assertThat(validator.log()).anySatisfy(line -> assertThat(line).startsWith("[" + vShort + "] validator: epoch ").contains("settled"));
    assertThat(v.path("events")).anySatisfy(e -> {
      assertThat(e.path("line").asText()).startsWith("validator: epoch ").contains("settled");
      assertThat(java.time.Instant.parse(e.path("time").asText())).isBefore(java.time.Instant.now().plusSeconds(1));
    });

    // The owner: its peers and their roles (from identify), its deal, the same records.
    JsonNode o = json(owner.node().status().document());
    assertThat(o.path("roles")).isEmpty();
    assertThat(o.path("storage").path("owned").path("count").asLong()).isEqualTo(1);
    assertThat(o.path("storage").path("owned").path("byState").path("ACTIVE").asLong()).isEqualTo(1);
    Map<String, String> peerRoles = new java.util.HashMap<>();
    o.path("peers").path("list").forEach(p -> peerRoles.put(p.path("peerId").asText(), String.join(",", texts(p.path("roles")))));
    assertThat(peerRoles).containsEntry(storageId.toString(), "storage").containsEntry(validatorId.toString(), "validator");

    // The dashboard: the page, the two documents, nothing secret, read-only, its own address only.
    URI dashboard = owner.node().httpFaces().get("dashboard");
    assertThat(dashboard).isNotNull();
    assertThat(dashboard.getHost()).isEqualTo("127.0.0.1");
    Answer page = get(dashboard, "GET", "/", null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).contains("data-testid=\"peer-id\"").contains("/dashboard.js").doesNotContain("http://", "https://");
    assertThat(get(dashboard, "GET", "/dashboard.js", null).status()).isEqualTo(200);
    Answer statusJson = get(dashboard, "GET", "/status.json", null);
    assertThat(statusJson.status()).isEqualTo(200);
    assertThat(statusJson.contentType()).isEqualTo("application/json");
    assertThat(statusJson.body()).doesNotContain(owner.token());
    assertThat(json(statusJson.body()).path("peerId").asText()).isEqualTo(ownerId.toString());
    Answer networkJson = get(dashboard, "GET", "/network.json", null);
    JsonNode n = json(networkJson.body());
    assertThat(n.path("self").asText()).isEqualTo(ownerId.toString());
    assertThat(n.path("roles").path("storage").asInt()).isEqualTo(1);
    assertThat(n.path("roles").path("validator").asInt()).isEqualTo(1);
    assertThat(n.path("deals").path("list")).anySatisfy(d -> {
      assertThat(d.path("root").asText()).isEqualTo(cid);
      assertThat(d.path("holders")).extracting(JsonNode::asText).containsExactly(s.path("shortId").asText());
    });
    assertThat(n.path("deals").path("replicas").path("ACTIVE").asLong()).isEqualTo(1);
    assertThat(n.path("epochs").path("records").size()).isPositive();
    // the storage node's capacity, asked with capacity_request in the background
    waitFor(Duration.ofSeconds(20), () -> json(get(dashboard, "GET", "/network.json", null).body())
        .path("capacity").path("capacityBytes").asLong() == DealCommandTest.FAST_REPAIR.capacityBytes());

    Answer post = get(dashboard, "POST", "/status.json", null);
    assertThat(post.status()).isEqualTo(405);
    assertThat(post.allow()).isEqualTo("GET, HEAD");
    assertThat(get(dashboard, "HEAD", "/status.json", null).status()).isEqualTo(200);
    assertThat(get(dashboard, "GET", "/nothing-here", null).status()).isEqualTo(404);
    assertThat(get(dashboard, "GET", "/status.json", "rebound.example:80").status()).isEqualTo(403);
    assertThat(get(dashboard, "GET", "/?" + "x".repeat(3000), null).status()).isEqualTo(414);

    // The local API's route, behind the token, and `canopy status` over it.
    assertThat(Daemons.request(owner.api(), "POST", "/api/v0/status", Map.of(), null).status()).isEqualTo(401);
    Daemons.Answer api = Daemons.request(owner.api(), "POST", "/api/v0/status", Daemons.bearer(owner.token()), null);
    assertThat(api.status()).isEqualTo(200);
    assertThat(api.json().path("peerId").asText()).isEqualTo(ownerId.toString());

    String summary = status(storageHome);
    assertThat(summary).contains("roles     storage").contains("deals     held 1").contains("proofs    epoch ")
        .contains("earnings  epoch ").containsPattern("peers     [1-9]");
    JsonNode viaCommand = json(status(storageHome, "--json"));
    assertThat(viaCommand.path("peerId").asText()).isEqualTo(storageId.toString());
  }

  private static long earned(Map<String, Object> status) throws Exception {
    long total = 0;
    for (JsonNode e : json(status).path("earnings").path("perEpoch")) {
      total += e.path("amount").asLong();
    }
    return total;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(x -> out.add(x.asText()));
    return out;
  }

  private static JsonNode json(Object value) throws Exception {
    String text = value instanceof String s ? s : HomeConfig.JSON.writeValueAsString(value);
    return HomeConfig.JSON.readTree(text);
  }

  /** {@code canopy status ARGS} on {@code home}, with the command added if this build's Canopy does not list it yet. */
  private String status(Path home, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ProcessEnvironment env = new ProcessEnvironment(new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of("CANOPY_HOME", home.toString()), tmp.resolve("user"), tmp, false);
    CommandLine cmd = Canopy.commandLine(env);
    if (!cmd.getSubcommands().containsKey("status")) {
      cmd.addSubcommand("status", new StatusCommand());
    }
    List<String> argv = new ArrayList<>(List.of("status"));
    argv.addAll(List.of(args));
    int code = cmd.execute(argv.toArray(String[]::new));
    assertThat(code).as("canopy status; stderr: %s", err).isZero();
    return out.toString(StandardCharsets.UTF_8);
  }

  record Answer(int status, String body, String contentType, String allow) {}

  private static Answer get(URI base, String method, String target, String host) throws Exception {
    if (host != null) { // HttpURLConnection will not send another Host: speak HTTP/1.1 by hand
      try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
        socket.getOutputStream().write((method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Answer(Integer.parseInt(response.substring(9, 12)), response, null, null);
      }
    }
    HttpURLConnection c = (HttpURLConnection) base.resolve(target).toURL().openConnection();
    c.setRequestMethod(method);
    int status = c.getResponseCode();
    java.io.InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
    String body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    return new Answer(status, body, c.getContentType(), c.getHeaderField("Allow"));
  }
}
