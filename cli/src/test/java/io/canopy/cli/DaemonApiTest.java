package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's API and the network commands, with real nodes on 127.0.0.1: swarm connect/peers
 * between two daemons, cat of content only the other daemon has (over Bitswap), the token, and
 * requests the CLI never sends (refused with a reason, the daemon serving on).
 */
class DaemonApiTest {
  @TempDir Path tmp;
  Path homeA;
  Path homeB;
  Daemons.InProcess a;
  Daemons.InProcess b;

  @BeforeEach
  void startTwoDaemons() throws Exception {
    homeA = tmp.resolve("a");
    homeB = tmp.resolve("b");
    cli(homeA).run("init").ok();
    cli(homeB).run("init").ok();
    a = Daemons.inProcess(homeA);
    b = Daemons.inProcess(homeB);
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
  }

  CliRun cli(Path home) {
    return new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
  }

  @Test
  void swarmConnectThenEachListsTheOther() {
    String peerA = a.node().host().peerId().toString();
    String peerB = b.node().host().peerId().toString();

    assertThat(cli(homeA).run("swarm", "connect", b.addr()).ok().out()).isEqualTo("connect " + peerB + " success\n");

    List<String> fromA = cli(homeA).run("swarm", "peers").ok().lines();
    assertThat(fromA).singleElement().asString().matches("/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/" + peerB);
    List<String> fromB = cli(homeB).run("swarm", "peers").ok().lines();
    assertThat(fromB).singleElement().asString().matches("/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/" + peerA);

    cli(homeA).run("swarm", "connect", "not-a-multiaddr").failsNaming("not-a-multiaddr");
    cli(homeA).run("swarm", "connect", "/ip4/127.0.0.1/tcp/1").failsNaming("/p2p/");
  }

  @Test
  void catFetchesWhatOnlyTheOtherDaemonHasOverBitswap() throws Exception {
    byte[] data = new byte[3_000_000]; // 12 chunks and a root: several round trips of Bitswap
    new Random(7).nextBytes(data);
    Path file = Files.write(tmp.resolve("only-on-b.bin"), data);
    String cid = cli(homeB).run("add", "-Q", file.toString()).ok().out().strip();
    cli(homeA).run("block", "stat", cid).failsNaming(cid, "not found"); // A has nothing, knows nobody

    cli(homeA).run("swarm", "connect", b.addr()).ok();
    byte[] fetched = cli(homeA).run("cat", cid).ok().stdout();

    assertThat(sha256(fetched)).isEqualTo(sha256(data));
    // A now holds the blocks: with its daemon stopped, cat works offline too
    a.close();
    assertThat(sha256(cli(homeA).run("cat", cid).ok().stdout())).isEqualTo(sha256(data));
  }

  @Test
  void requestsWithoutTheTokenAreRefused() throws Exception {
    Daemons.Answer none = Daemons.request(a.api(), "POST", "/api/v0/id", Map.of(), null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.json().get("Type").asText()).isEqualTo("error");
    assertThat(none.json().get("Message").asText()).contains("Authorization");

    Daemons.Answer wrong = Daemons.request(a.api(), "POST", "/api/v0/id", Daemons.bearer(b.token()), null);
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.json().get("Message").asText()).isEqualTo("wrong API token");

    Daemons.Answer right = Daemons.request(a.api(), "POST", "/api/v0/id", Daemons.bearer(a.token()), null);
    assertThat(right.status()).isEqualTo(200);
    assertThat(right.json().get("ID").asText()).isEqualTo(a.node().host().peerId().toString());

    assertThat(Daemons.request(a.api(), "GET", "/api/v0/id", Daemons.bearer(a.token()), null).status()).isEqualTo(405);
    assertThat(Daemons.request(a.api(), "POST", "/api/v0/nope", Daemons.bearer(a.token()), null).status()).isEqualTo(404);
  }

  @Test
  void badRequestsGetAReasonAndTheDaemonServesOn() throws Exception {
    Map<String, String> auth = Daemons.bearer(a.token());
    Map<String, String> stream = new HashMap<>(auth);
    stream.put("Content-Type", BlockStream.CONTENT_TYPE);

    assertBad(Daemons.request(a.api(), "POST", "/api/v0/block/stat?arg=not-a-cid", auth, null), 400, "not-a-cid");
    assertBad(Daemons.request(a.api(), "POST", "/api/v0/block/stat", auth, null), 400, "'arg'");
    assertBad(Daemons.request(a.api(), "POST", "/api/v0/pin/ls?type=sideways", auth, null), 400, "sideways");
    assertBad(Daemons.request(a.api(), "POST", "/api/v0/cat?arg=x&offset=-1", auth, null), 400, "--offset");
    assertBad(Daemons.request(a.api(), "POST", "/api/v0/pin/add?arg=x&recursive=maybe", auth, null), 400, "recursive");
    assertBad(Daemons.request(a.api(), "POST", "/api/v0/add", auth, "x".getBytes(StandardCharsets.UTF_8)), 415, BlockStream.CONTENT_TYPE);
    assertBad(Daemons.request(a.api(), "POST", "/api/v0/add", stream, new byte[] {5, 1, 2, 3, 4, 5}), 400, "section 1");
    assertBad(Daemons.request(a.api(), "POST", "/api/v0/add", stream, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F}), 400, "over the limit");
    assertBad(Daemons.request(a.api(), "POST", "/api/v0/dag/import", stream, new byte[0]), 400, "without its end marker");
    assertBad(Daemons.request(a.api(), "POST", "/api/v0/add", stream, new byte[] {0, '{', '}'}), 400, "Roots");
    assertBad(Daemons.request(a.api(), "POST", "/api/v0/id?" + "x=1&".repeat(2000), auth, null), 400, "too many query parameters");
    assertBad(Daemons.request(a.api(), "POST", "/api/v0/pin/ls", auth, new byte[2 << 20]), 413, "limit");

    // a declared 1 TB upload is refused before a byte of it is read
    try (Socket s = new Socket(a.api().getHost(), a.api().getPort())) {
      OutputStream out = s.getOutputStream();
      out.write(("POST /api/v0/add HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + a.token()
          + "\r\nContent-Type: " + BlockStream.CONTENT_TYPE + "\r\nContent-Length: 1000000000000\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      s.setSoTimeout(10_000);
      InputStream in = s.getInputStream();
      StringBuilder answer = new StringBuilder();
      byte[] buffer = new byte[1024];
      for (int n; !answer.toString().endsWith("}") && (n = in.read(buffer)) > 0; ) {
        answer.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
      }
      assertThat(answer).startsWith("HTTP/1.1 413").contains("over this route's limit");
    }

    // and it still serves
    Files.writeString(tmp.resolve("f.txt"), "still here\n");
    String cid = cli(homeA).run("add", "-Q", tmp.resolve("f.txt").toString()).ok().out().strip();
    assertThat(cli(homeA).run("cat", cid).ok().out()).isEqualTo("still here\n");
  }

  private static void assertBad(Daemons.Answer answer, int status, String mention) throws Exception {
    assertThat(answer.status()).as("status; body %s", answer.body()).isEqualTo(status);
    JsonNode error = answer.json();
    assertThat(error.get("Type").asText()).isEqualTo("error");
    assertThat(error.get("Message").asText()).contains(mention);
  }

  static String sha256(byte[] data) throws Exception {
    return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
