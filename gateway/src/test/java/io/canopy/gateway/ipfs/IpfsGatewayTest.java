package io.canopy.gateway.ipfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.car.CarReader;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.multiformats.Cid;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The path gateway over a real Vert.x server on 127.0.0.1, read with the JDK's HTTP client. */
class IpfsGatewayTest {
  @TempDir Path tmp;
  private final MemoryBlockstore blocks = new MemoryBlockstore();
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private Vertx vertx;
  private HttpServer server;
  private String base;
  private byte[] big;
  private Cid bigCid;
  private Cid site;
  private Cid plainDir;

  @BeforeEach
  void start() throws Exception {
    big = new byte[1_500_000];
    new Random(3).nextBytes(big);
    bigCid = new Importer(blocks::put, ImportOptions.defaults()).importFile(new ByteArrayInputStream(big)).cid();

    Path siteDir = Files.createDirectories(tmp.resolve("site"));
    Files.writeString(siteDir.resolve("index.html"), "<h1>hi</h1>");
    Files.writeString(siteDir.resolve("notes & <things>.txt"), "plain text");
    site = importDir(siteDir);
    Path plain = Files.createDirectories(tmp.resolve("plain"));
    Files.writeString(plain.resolve("a b.txt"), "A");
    Files.createDirectories(plain.resolve("sub")).resolve("c.json").toFile().createNewFile();
    Files.writeString(plain.resolve("sub/c.json"), "{}");
    plainDir = importDir(plain);

    vertx = Vertx.vertx();
    server = vertx.createHttpServer().requestHandler(new IpfsGateway(vertx, blocks)).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    base = "http://127.0.0.1:" + server.actualPort();
  }

  private Cid importDir(Path dir) throws Exception {
    List<ImportResult> results = new Importer(blocks::put, ImportOptions.defaults()).importPaths(List.of(dir));
    return results.get(results.size() - 1).cid();
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void aFileWithItsHeaders() throws Exception {
    HttpResponse<byte[]> r = get("/ipfs/" + bigCid);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(big);
    assertThat(r.headers().firstValue("ETag")).hasValue("\"" + bigCid + "\"");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("public, max-age=29030400, immutable");
    assertThat(r.headers().firstValue("X-Ipfs-Path")).hasValue("/ipfs/" + bigCid);
    assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(big.length);

    HttpResponse<byte[]> head = http.send(HttpRequest.newBuilder(URI.create(base + "/ipfs/" + bigCid))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(big.length);

    assertThat(get("/ipfs/" + bigCid, "If-None-Match", "\"" + bigCid + "\"").statusCode()).isEqualTo(304);
  }

  @Test
  void ranges() throws Exception {
    HttpResponse<byte[]> mid = get("/ipfs/" + bigCid, "Range", "bytes=262000-262200");
    assertThat(mid.statusCode()).isEqualTo(206);
    assertThat(mid.body()).isEqualTo(Arrays.copyOfRange(big, 262000, 262201));
    assertThat(mid.headers().firstValue("Content-Range")).hasValue("bytes 262000-262200/" + big.length);

    assertThat(get("/ipfs/" + bigCid, "Range", "bytes=-10").body()).isEqualTo(Arrays.copyOfRange(big, big.length - 10, big.length));
    assertThat(get("/ipfs/" + bigCid, "Range", "bytes=1499990-").body()).isEqualTo(Arrays.copyOfRange(big, 1_499_990, big.length));
    HttpResponse<byte[]> past = get("/ipfs/" + bigCid, "Range", "bytes=2000000-");
    assertThat(past.statusCode()).as(new String(past.body())).isEqualTo(416);
    assertThat(past.headers().firstValue("Content-Range")).hasValue("bytes */" + big.length);
    assertThat(get("/ipfs/" + bigCid, "Range", "bytes=5-1").body()).as("an invalid range is ignored").isEqualTo(big);
  }

  @Test
  void directoriesIndexHtmlListingAndRedirect() throws Exception {
    HttpResponse<byte[]> redirect = get("/ipfs/" + site + "?x=1");
    assertThat(redirect.statusCode()).isEqualTo(301);
    assertThat(redirect.headers().firstValue("Location")).hasValue("/ipfs/" + site + "/?x=1");

    HttpResponse<byte[]> index = get("/ipfs/" + site + "/");
    assertThat(new String(index.body(), StandardCharsets.UTF_8)).isEqualTo("<h1>hi</h1>");
    assertThat(index.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));

    HttpResponse<byte[]> escaped = get("/ipfs/" + site + "/notes%20%26%20%3Cthings%3E.txt");
    assertThat(new String(escaped.body(), StandardCharsets.UTF_8)).isEqualTo("plain text");
    assertThat(escaped.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));

    String listing = new String(get("/ipfs/" + plainDir + "/").body(), StandardCharsets.UTF_8);
    assertThat(listing).contains("href=\"a%20b.txt\">a b.txt</a>", "href=\"sub\">sub</a>");
    assertThat(new String(get("/ipfs/" + plainDir + "/sub/c.json").body(), StandardCharsets.UTF_8)).isEqualTo("{}");
  }

  @Test
  void rawAndCarFormats() throws Exception {
    HttpResponse<byte[]> raw = get("/ipfs/" + bigCid + "?format=raw");
    assertThat(raw.headers().firstValue("Content-Type")).hasValue("application/vnd.ipld.raw");
    assertThat(raw.body()).isEqualTo(blocks.get(bigCid));
    assertThat(new Block(bigCid, raw.body()).isValid()).isTrue();
    assertThat(get("/ipfs/" + bigCid, "Accept", "application/vnd.ipld.raw").body()).isEqualTo(raw.body());

    HttpResponse<byte[]> car = get("/ipfs/" + plainDir, "Accept", "application/vnd.ipld.car");
    assertThat(car.statusCode()).isEqualTo(200);
    assertThat(car.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/vnd.ipld.car"));
    Set<Cid> inCar = new HashSet<>();
    CarReader reader = CarReader.open(new ByteArrayInputStream(car.body()));
    assertThat(reader.roots()).containsExactly(plainDir);
    for (var b = reader.next(); b.isPresent(); b = reader.next()) {
      assertThat(b.get().isValid()).isTrue();
      inCar.add(b.get().cid());
    }
    assertThat(inCar).contains(plainDir).hasSize(4); // root, a b.txt, sub, sub/c.json
  }

  @Test
  void aStuckRequestDoesNotHoldUpOthers() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Cid stuck = Cid.parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");
    // A store where one block takes as long as the test wants: a fetch from a peer that is slow.
    io.canopy.content.block.Blockstore slow = new io.canopy.content.block.Blockstore() {
      @Override
      public boolean has(Cid cid) throws java.io.IOException {
        return blocks.has(cid);
      }

      @Override
      public byte[] get(Cid cid) throws java.io.IOException {
        if (cid.equals(stuck)) {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return blocks.get(cid);
      }

      @Override
      public void put(Block block) throws java.io.IOException {
        blocks.put(block);
      }

      @Override
      public void delete(Cid cid) throws java.io.IOException {
        blocks.delete(cid);
      }

      @Override
      public long size(Cid cid) throws java.io.IOException {
        return blocks.size(cid);
      }

      @Override
      public java.util.stream.Stream<Cid> keys() throws java.io.IOException {
        return blocks.keys();
      }
    };
    HttpServer second = vertx.createHttpServer().requestHandler(new IpfsGateway(vertx, slow)).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    String url = "http://127.0.0.1:" + second.actualPort();
    var hanging = http.sendAsync(HttpRequest.newBuilder(URI.create(url + "/ipfs/" + stuck)).build(), HttpResponse.BodyHandlers.ofByteArray());
    try {
      HttpResponse<byte[]> other = http.send(HttpRequest.newBuilder(URI.create(url + "/ipfs/" + bigCid))
          .timeout(java.time.Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertThat(other.body()).isEqualTo(big);
      assertThat(hanging).isNotDone();
    } finally {
      release.countDown();
    }
    assertThat(hanging.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(404);
  }

  @Test
  void badRequestsGetAReason() throws Exception {
    assertThat(get("/ipfs/not-a-cid").statusCode()).isEqualTo(400);
    assertThat(get("/ipfs/" + plainDir + "/nope.txt").statusCode()).isEqualTo(404);
    assertThat(new String(get("/ipfs/" + plainDir + "/nope.txt").body(), StandardCharsets.UTF_8)).contains("nope.txt");
    assertThat(get("/ipfs/" + plainDir + "/sub%2Fc.json").statusCode()).as("an escaped slash is not a separator").isEqualTo(400);
    assertThat(get("/ipfs/" + plainDir + "/..").statusCode()).isEqualTo(400);
    assertThat(get("/ipfs/" + bigCid + "?format=tar").statusCode()).isEqualTo(400);
    assertThat(get("/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy").statusCode()).isEqualTo(404);
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/ipfs/" + bigCid))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    assertThat(get("/ipfs/" + bigCid).statusCode()).as("still serving").isEqualTo(200);
  }
}
