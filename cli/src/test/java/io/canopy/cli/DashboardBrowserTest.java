package io.canopy.cli;

import static io.canopy.cli.DealCommandTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.settle.Prices;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The dashboard in a real browser: headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}, installed by {@code .ci/run}) driven through WebDriver against a network on
 * 127.0.0.1 — three storage nodes, a validator that is the whole validator set, and a gateway with
 * {@code --dashboard}, 3-second epochs. An object is put through the gateway's S3 face during the
 * test; the gateway's page must show the nodes with their roles, that object's deal (its CID, held
 * by storage nodes) and a settled epoch with the record hash the validator's ledger holds.
 */
@Tag("browser")
class DashboardBrowserTest {
  private static final Path CHROMIUM = Path.of(System.getProperty("canopy.chromium", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER = Path.of(System.getProperty("canopy.chromedriver", "/usr/bin/chromedriver"));
  private static final long EPOCH_MS = 3_000;
  private static final Duration PAGE_WAIT = Duration.ofSeconds(120);

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
  void theGatewaysPageShowsTheNodesADealMadeNowAndASettledEpoch() throws Exception {
    boolean ci = "true".equals(System.getenv("CI"));
    Assumptions.assumeTrue(ci || Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "headless Chromium is not installed here (apt-get install chromium chromium-driver); CI installs it");

    Path validatorHome = nodes.home("v");
    PeerId validatorId = TestNodes.peerId(validatorHome);
    Path gatewayHome = nodes.home("gw");
    PeerId gatewayId = TestNodes.peerId(gatewayHome);
    long genesis = System.currentTimeMillis() + 6_000;
    DaemonNode.NetworkOptions network = new DaemonNode.NetworkOptions("dashboard-test", new EpochClock(genesis, EPOCH_MS),
        List.of(validatorId), Prices.of(0, 100, 500), 0);
    try (Ledger ledger = Ledger.openSqlite(new Home(validatorHome).ledgerFile())) {
      ledger.deposit("user:" + gatewayId, 1_000_000_000_000L);
    }

    List<Daemons.InProcess> storage = new ArrayList<>();
    List<Multiaddr> everyone = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Daemons.InProcess s = nodes.start(nodes.home("s" + i), new DaemonNode.Options(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")),
          List.copyOf(everyone), DaemonNode.DEFAULT_API_ADDRESS, io.canopy.cli.rpc.RpcConfig.defaults(), Daemons.FETCH_TIMEOUT, true,
          DealCommandTest.FAST_REPAIR, null, null, null).withNetwork(network));
      storage.add(s);
      everyone.add(Multiaddr.parse(s.addr()));
    }
    Daemons.InProcess validator = nodes.start(validatorHome, Daemons.options(List.copyOf(everyone)).withNetwork(network)
        .withValidator(new DaemonNode.ValidatorOptions(null, Duration.ofSeconds(3))));
    everyone.add(Multiaddr.parse(validator.addr()));
    InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
    Daemons.InProcess gateway = nodes.start(gatewayHome, new DaemonNode.Options(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0")),
        List.copyOf(everyone), DaemonNode.DEFAULT_API_ADDRESS, io.canopy.cli.rpc.RpcConfig.defaults(), Daemons.FETCH_TIMEOUT, false,
        DealCommandTest.FAST_REPAIR, null,
        new DaemonNode.GatewayOptions(any, any, any, null, null, List.of(),
            new io.canopy.gateway.s3.data.DealKeeper.Config(3, 1, Duration.ofHours(1), 1_000_000_000L, Duration.ofMinutes(10))),
        null).withNetwork(network).withDashboard(any));
    URI dashboard = gateway.node().httpFaces().get("dashboard");
    assertThat(dashboard).as("the dashboard's URL among the HTTP faces").isNotNull();

    // An object put during the test: its deal is what the page must show.
    JsonNode key = HomeConfig.JSON.readTree(nodes.cli(gatewayHome).run("gateway", "keys", "create", "--account", "alice").ok().out());
    waitFor(Duration.ofSeconds(30), () -> gateway.node().host().connections().stream().map(c -> c.remotePeer()).distinct().count() >= 4);
    String cid;
    try (S3Client s3 = S3Client.builder().endpointOverride(gateway.node().httpFaces().get("s3"))
        .region(Region.US_EAST_1).forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(key.path("accessKeyId").asText(), key.path("secretAccessKey").asText())))
        .build()) {
      s3.createBucket(b -> b.bucket("garden"));
      byte[] data = new byte[200_000];
      new Random(11).nextBytes(data);
      cid = s3.putObject(b -> b.bucket("garden").key("fern.bin"), RequestBody.fromBytes(data)).sdkHttpResponse()
          .firstMatchingHeader("x-amz-meta-cid").orElseThrow();
    }

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
        "--window-size=1280,2400", "--user-data-dir=" + Files.createDirectories(tmp.resolve("chromium-profile")));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().withLogFile(tmp.resolve("chromedriver.log").toFile()).build();
    WebDriver browser = new ChromeDriver(service, options);
    nodes.closeLater(browser::quit);
    browser.get(dashboard.toString());
    // The page re-renders every 2 s: every read goes through the wait, which retries a row replaced under it.
    WebDriverWait wait = new WebDriverWait(browser, PAGE_WAIT, Duration.ofMillis(250));
    wait.ignoring(StaleElementReferenceException.class);

    // This node, and its peers with the roles their identify announces.
    wait.until(d -> d.findElement(By.cssSelector("[data-testid=peer-id]")).getText().equals(gatewayId.toString()));
    String ownRole = wait.until(d -> d.findElement(By.cssSelector("[data-testid=roles] [data-role=gateway]")).getText());
    assertThat(ownRole).isEqualTo("gateway");
    List<String> peerRoles = wait.until(d -> {
      List<String> rows = d.findElements(By.cssSelector("[data-testid=peer-row]")).stream()
          .map(r -> r.getDomAttribute("data-peer-id") + "=" + r.getDomAttribute("data-roles")).toList();
      return rows.stream().filter(r -> !r.endsWith("=")).count() >= 4 ? rows : null;
    });
    for (Daemons.InProcess s : storage) {
      assertThat(peerRoles).contains(s.node().host().peerId() + "=storage");
    }
    assertThat(peerRoles).contains(validatorId + "=validator");
    List<String> nodeRows = wait.until(d -> {
      List<String> rows = d.findElements(By.cssSelector("[data-testid=node-row]")).stream()
          .map(r -> r.getDomAttribute("data-peer-id") + (Boolean.parseBoolean(r.getDomAttribute("data-self")) ? " (self)" : "")).toList();
      return rows.size() >= 5 ? rows : null;
    });
    assertThat(nodeRows).contains(gatewayId + " (self)");

    // The deal made above, with its CID, held by storage nodes.
    By dealRow = By.cssSelector("[data-testid=deal-row][data-root='" + cid + "']");
    String dealText = wait.until(d -> {
      List<WebElement> rows = d.findElements(dealRow);
      return !rows.isEmpty() && Integer.parseInt(rows.get(0).getDomAttribute("data-active")) >= 1 ? rows.get(0).getText() : null;
    });
    assertThat(dealText).contains(cid);
    assertThat(Integer.parseInt(wait.until(d -> digits(d.findElement(By.cssSelector("[data-testid=replicas-active]")).getText()))))
        .isPositive();

    // A settled epoch, with the hash of the record in the validator's ledger.
    List<String> epochRow = wait.until(d -> {
      List<WebElement> rows = d.findElements(By.cssSelector("[data-testid=epoch-row]"));
      return rows.isEmpty() ? null : List.of(rows.get(0).getDomAttribute("data-epoch"), rows.get(0).getDomAttribute("data-hash"),
          rows.get(0).findElement(By.cssSelector("[data-testid=record-hash]")).getText());
    });
    long epoch = Long.parseLong(epochRow.get(0));
    String hash = HexFormat.of().formatHex(validator.node().validator().orElseThrow().ledger().record(epoch).orElseThrow().hash());
    assertThat(epochRow.get(1)).isEqualTo(hash);
    assertThat(epochRow.get(2)).startsWith(hash.substring(0, 16));
    assertThat(Integer.parseInt(wait.until(d -> digits(d.findElement(By.cssSelector("[data-testid=epochs-settled]")).getText()))))
        .isPositive();
    Integer bars = wait.until(d -> {
      int n = d.findElements(By.cssSelector("[data-testid=payouts-chart] rect.bar")).size();
      return n > 0 ? n : null;
    });
    assertThat(bars).isPositive();
    assertThat(browser.findElement(By.cssSelector("[data-testid=status-error]")).isDisplayed()).as("the page's error line").isFalse();
    // What the page looked like, for a human: target/dashboard-browser-test.png
    Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(shot, Files.createDirectories(Path.of("target")).resolve("dashboard-browser-test.png"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /** The text if it is a number, else null (not rendered yet: the wait goes on). */
  private static String digits(String text) {
    return text.matches("\\d+") ? text : null;
  }
}
