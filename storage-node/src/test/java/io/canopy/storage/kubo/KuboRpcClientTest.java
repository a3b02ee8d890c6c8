package io.canopy.storage.kubo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The RPC client against a Kubo stand-in on 127.0.0.1: arguments, error table, limits, deadlines. */
class KuboRpcClientTest {
  private static final Duration SHORT = Duration.ofMillis(300);

  private FakeKuboDaemon daemon;
  private KuboRpcClient client;
  /** Released when a test ends, so a stalled handler thread returns. */
  private final CountDownLatch testOver = new CountDownLatch(1);

  @BeforeEach
  void start() throws IOException {
    daemon = new FakeKuboDaemon();
    client = new KuboRpcClient(daemon.config().build());
  }

  @AfterEach
  void stop() {
    testOver.countDown();
    client.close();
    daemon.close();
  }

  static Block raw(String text) {
    return Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void detectsKuboFromItsVersionAnswer() throws IOException {
    KuboRpcClient.Version v = client.version();

    assertThat(v.version()).isEqualTo("0.29.0");
    assertThat(v.dialect()).isEqualTo(KuboDialect.KUBO);
    assertThat(client.id().id()).isEqualTo("12D3KooWFakeFakeFake");
  }

  @Test
  void detectsJsIpfsFromItsVersionAnswer() throws IOException {
    daemon.override("version", ex -> FakeKuboDaemon.json(ex, 200, Map.of(
        "Version", "0.18.1", "Commit", "", "Repo", "12", "ipfs-core", "0.18.1", "interface-ipfs-core", "^0.158.1")));

    assertThat(client.dialect()).isEqualTo(KuboDialect.JS_IPFS);
  }

  @Test
  void blockPutSendsKubosDocumentedArgumentsAndChecksTheReturnedCid() throws IOException {
    Block rawV1 = raw("raw leaf");
    Block pbV0 = Block.of(0, Multicodec.DAG_PB, Multicodec.SHA2_256, new byte[] {0x0a, 0x02, 0x08, 0x01});
    Block pbV1Sha512 = Block.of(1, Multicodec.DAG_PB, Multicodec.SHA2_512, new byte[] {0x0a, 0x02, 0x08, 0x02});

    assertThat(client.blockPut(rawV1)).isEqualTo(rawV1.cid());
    assertThat(daemon.lastQuery("block/put")).containsEntry("cid-codec", List.of("raw")).containsEntry("mhtype", List.of("sha2-256"))
        .doesNotContainKey("format");
    assertThat(client.blockPut(pbV0)).isEqualTo(pbV0.cid());
    assertThat(daemon.lastQuery("block/put")).containsEntry("format", List.of("v0")).doesNotContainKey("cid-codec");
    assertThat(client.blockPut(pbV1Sha512)).isEqualTo(pbV1Sha512.cid());
    assertThat(daemon.lastQuery("block/put")).containsEntry("cid-codec", List.of("dag-pb")).containsEntry("mhtype", List.of("sha2-512"))
        .containsEntry("mhlen", List.of("64"));
  }

  @Test
  void blockPutSpeaksJsIpfsLegacyArgumentsToJsIpfs() throws IOException {
    try (KuboRpcClient js = new KuboRpcClient(daemon.config().dialect(KuboDialect.JS_IPFS).build())) {
      Block pbV1 = Block.of(1, Multicodec.DAG_PB, Multicodec.SHA2_256, new byte[] {0x0a, 0x02, 0x08, 0x01});
      js.blockPut(pbV1);

      assertThat(daemon.lastQuery("block/put")).containsEntry("format", List.of("dag-pb")).containsEntry("version", List.of("1"))
          .doesNotContainKey("cid-codec");
    }
  }

  @Test
  void aDaemonThatNamesTheBlockDifferentlyIsCaught() {
    Block block = raw("renamed");
    // what js-ipfs does with Kubo's arguments: it ignores cid-codec and answers a dag-pb CIDv0
    daemon.override("block/put", ex -> FakeKuboDaemon.json(ex, 200,
        Map.of("Key", Cid.v0(block.cid().multihash()).toString(), "Size", block.data().length)));

    assertThatThrownBy(() -> client.blockPut(block))
        .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.MALFORMED_RESPONSE))
        .hasMessageContaining(daemon.url().toString())
        .hasMessageContaining("instead of " + block.cid());
  }

  @Test
  void aDaemonThatHashesToSomethingElseIsCaught() {
    daemon.override("block/put", ex -> FakeKuboDaemon.json(ex, 200, Map.of("Key", raw("other").cid().toString(), "Size", 5)));

    assertThatThrownBy(() -> client.blockPut(raw("mine")))
        .isInstanceOf(KuboRpcException.class)
        .hasMessageContaining("hashed the bytes");
  }

  @Test
  void lookupsStayInTheDaemonsOwnStore() throws IOException {
    Cid absent = raw("absent").cid();

    assertThatThrownBy(() -> client.blockGet(absent))
        .isInstanceOf(BlockNotFoundException.class)
        .hasMessageContaining(absent.toString())
        .hasRootCauseInstanceOf(KuboRpcException.class);
    assertThat(daemon.lastQuery("block/get")).containsEntry("offline", List.of("true")).containsEntry("arg", List.of(absent.toString()));
    assertThatThrownBy(() -> client.blockStat(absent)).isInstanceOf(BlockNotFoundException.class);
    assertThat(daemon.lastQuery("block/stat")).containsEntry("offline", List.of("true"));
  }

  @Test
  void jsIpfsTimingOutOnALocalLookupMeansAbsent() throws IOException {
    daemon.override("block/get", ex -> FakeKuboDaemon.error(ex, 500, "Failed to get block: request timed out"));
    Cid cid = raw("slow").cid();
    try (KuboRpcClient js = new KuboRpcClient(daemon.config().dialect(KuboDialect.JS_IPFS).localLookupTimeout(Duration.ofMillis(1500)).build())) {
      assertThatThrownBy(() -> js.blockGet(cid)).isInstanceOf(BlockNotFoundException.class);
      assertThat(daemon.lastQuery("block/get")).containsEntry("timeout", List.of("1500ms")).doesNotContainKey("offline");
    }
    // from Kubo the same words are a real failure, not an absent block
    assertThatThrownBy(() -> client.blockGet(cid))
        .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.DAEMON_TIMEOUT));
  }

  @Test
  void errorAnswersCarryTheDaemonsMessageAndUrl() {
    daemon.override("repo/stat", ex -> FakeKuboDaemon.error(ex, 500, "failed to read repo: disk on fire"));

    assertThatThrownBy(() -> client.repoStat(true))
        .isInstanceOfSatisfying(KuboRpcException.class, e -> {
          assertThat(e.error()).isEqualTo(KuboRpcError.DAEMON_ERROR);
          assertThat(e.httpStatus()).isEqualTo(500);
          assertThat(e.endpoint()).isEqualTo("repo/stat");
          assertThat(e.daemonMessage()).isEqualTo("failed to read repo: disk on fire");
        })
        .hasMessageContaining(daemon.url().toString())
        .hasMessageContaining("disk on fire");
  }

  @Test
  void statusesAndMessagesMapThroughTheErrorTable() {
    assertThat(KuboRpcError.classify(404, "404 page not found")).isEqualTo(KuboRpcError.UNSUPPORTED_ENDPOINT);
    assertThat(KuboRpcError.classify(405, "")).isEqualTo(KuboRpcError.UNSUPPORTED_ENDPOINT);
    assertThat(KuboRpcError.classify(403, "")).isEqualTo(KuboRpcError.UNAUTHORIZED);
    assertThat(KuboRpcError.classify(500, "ipld: could not find bafkqaaa")).isEqualTo(KuboRpcError.BLOCK_NOT_FOUND);
    assertThat(KuboRpcError.classify(500, "blockstore: block not found")).isEqualTo(KuboRpcError.BLOCK_NOT_FOUND);
    assertThat(KuboRpcError.classify(500, "not pinned or pinned indirectly")).isEqualTo(KuboRpcError.NOT_PINNED);
    assertThat(KuboRpcError.classify(500, "Failed to remove pin: bafy is not pinned")).isEqualTo(KuboRpcError.NOT_PINNED);
    assertThat(KuboRpcError.classify(200, "cannot remove bafy: pinned: recursive")).isEqualTo(KuboRpcError.BLOCK_PINNED);
    assertThat(KuboRpcError.classify(400, "Invalid request query input")).isEqualTo(KuboRpcError.BAD_REQUEST);
    assertThat(KuboRpcError.classify(500, "something else")).isEqualTo(KuboRpcError.DAEMON_ERROR);
  }

  @Test
  void unknownCommandsAndPlainTextErrorsAreReportedAsSuch() {
    daemon.override("block/stat", ex -> FakeKuboDaemon.text(ex, 404, "404 page not found"));
    daemon.override("repo/gc", ex -> FakeKuboDaemon.text(ex, 502, "<html>Bad Gateway</html>"));

    assertThatThrownBy(() -> client.blockStat(raw("x").cid()))
        .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.UNSUPPORTED_ENDPOINT));
    assertThatThrownBy(() -> client.repoGc())
        .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.DAEMON_ERROR))
        .hasMessageContaining("Bad Gateway");
  }

  @Test
  void malformedJsonIsRejected() {
    daemon.override("version", ex -> FakeKuboDaemon.text(ex, 200, "{\"Version\": "));
    daemon.override("id", ex -> FakeKuboDaemon.text(ex, 200, "[1,2,3]"));

    assertThatThrownBy(() -> client.version())
        .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.MALFORMED_RESPONSE));
    assertThatThrownBy(() -> client.id())
        .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.MALFORMED_RESPONSE));
  }

  @Test
  void aBlockLargerThanTheLimitIsRefusedWhetherOrNotItsLengthIsDeclared() {
    byte[] huge = new byte[Block.MAX_SIZE + 1];
    daemon.override("block/get", ex -> FakeKuboDaemon.bytes(ex, 200, huge));
    assertThatThrownBy(() -> client.blockGet(raw("big").cid()))
        .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.RESPONSE_TOO_LARGE));

    daemon.override("block/get", ex -> {
      ex.sendResponseHeaders(200, 0); // chunked: no Content-Length to refuse up front
      try (OutputStream out = ex.getResponseBody()) {
        for (int i = 0; i < 40; i++) {
          out.write(new byte[64 * 1024]);
        }
      } catch (IOException e) {
        // the client hung up once it had enough
      }
    });
    assertThatThrownBy(() -> client.blockGet(raw("big").cid()))
        .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.RESPONSE_TOO_LARGE))
        .hasMessageContaining(String.valueOf(Block.MAX_SIZE));
  }

  @Test
  void jsonAnswersAndStreamedLinesAreBounded() throws IOException {
    try (KuboRpcClient small = new KuboRpcClient(daemon.config().maxJsonBytes(1024).maxLineBytes(256).build())) {
      daemon.override("id", ex -> FakeKuboDaemon.json(ex, 200, Map.of("ID", "x".repeat(2000))));
      assertThatThrownBy(small::id)
          .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.RESPONSE_TOO_LARGE));

      daemon.override("repo/gc", ex -> FakeKuboDaemon.ndjson(ex, "{\"Key\":{\"/\":\"" + "b".repeat(1000) + "\"}}\n"));
      assertThatThrownBy(small::repoGc)
          .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.RESPONSE_TOO_LARGE));

      daemon.override("refs/local", ex -> FakeKuboDaemon.ndjson(ex, "{\"Ref\":\"" + "b".repeat(1000) + "\"}\n"));
      try (Stream<Cid> keys = small.refsLocal()) {
        assertThatThrownBy(keys::toList).isInstanceOf(UncheckedIOException.class).hasCauseInstanceOf(KuboRpcException.class);
      }
    }
  }

  @Test
  void aDaemonThatDoesNotAnswerTimesOut() throws IOException {
    daemon.override("block/stat", ex -> await());
    try (KuboRpcClient impatient = new KuboRpcClient(daemon.config().requestTimeout(SHORT).build())) {
      assertThatThrownBy(() -> impatient.blockStat(raw("x").cid()))
          .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.TIMED_OUT))
          .hasMessageContaining(daemon.url().toString());
    }
  }

  @Test
  void aDaemonThatStallsHalfwayThroughItsAnswerTimesOut() throws IOException {
    daemon.override("block/get", ex -> {
      ex.sendResponseHeaders(200, 1000);
      OutputStream out = ex.getResponseBody();
      out.write(new byte[10]);
      out.flush();
      await();
    });
    try (KuboRpcClient impatient = new KuboRpcClient(daemon.config().requestTimeout(SHORT).build())) {
      assertThatThrownBy(() -> impatient.blockGet(raw("x").cid()))
          .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.TIMED_OUT))
          .hasMessageContaining("not complete");
    }
  }

  @Test
  void aStoppedDaemonIsNamedInTheError() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // free again once closed: nothing listens there
    }
    try (KuboRpcClient nobody = new KuboRpcClient(KuboRpcConfig.of("http://127.0.0.1:" + port))) {
      assertThatThrownBy(nobody::version)
          .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.UNREACHABLE))
          .hasMessageContaining("http://127.0.0.1:" + port)
          .hasMessageContaining("version");
    }
  }

  @Test
  void pinCommandsMapNotPinnedToAnswersNotErrors() throws IOException {
    Block block = raw("pin me");
    client.blockPut(block);

    assertThat(client.pinLs(block.cid(), "recursive")).isEmpty();
    assertThat(client.pinRm(block.cid())).isFalse();
    client.pinAdd(block.cid());
    assertThat(daemon.lastQuery("pin/add")).containsEntry("recursive", List.of("true")).containsEntry("offline", List.of("true"));
    assertThat(client.pinLs(block.cid(), "recursive")).contains(new KuboRpcClient.Pin(block.cid(), "recursive"));
    assertThat(client.pinLs("recursive")).containsExactly(new KuboRpcClient.Pin(block.cid(), "recursive"));
    assertThat(client.pinRm(block.cid())).isTrue();
  }

  @Test
  void gcErrorsStreamedInlineFailTheCall() {
    daemon.override("repo/gc", ex -> FakeKuboDaemon.ndjson(ex,
        "{\"Key\":{\"/\":\"" + raw("a").cid() + "\"}}\n{\"Error\":\"could not remove block: permission denied\"}\n"));

    assertThatThrownBy(() -> client.repoGc())
        .isInstanceOf(KuboRpcException.class)
        .hasMessageContaining("removed 1 blocks")
        .hasMessageContaining("permission denied");
    assertThat(daemon.lastQuery("repo/gc")).containsEntry("stream-errors", List.of("true"));
  }

  @Test
  void repoStatAcceptsJsIpfsNumbersAsStrings() throws IOException {
    daemon.override("repo/stat", ex -> FakeKuboDaemon.json(ex, 200, Map.of("NumObjects", "14", "RepoSize", "11892", "StorageMax", "9007199254740991")));

    KuboRpcClient.RepoStat stat = client.repoStat(false);

    assertThat(stat.repoSize()).isEqualTo(11892);
    assertThat(stat.numObjects()).isEqualTo(14);
  }

  @Test
  void sendsTheConfiguredAuthorization() throws IOException {
    try (KuboRpcClient authed = new KuboRpcClient(daemon.config().authorization("Bearer s3cret").build())) {
      authed.version();
    }
    assertThat(daemon.requestHeaders().get(daemon.requestHeaders().size() - 1)).containsEntry("Authorization", List.of("Bearer s3cret"));
  }

  private void await() {
    try {
      testOver.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
