package io.canopy.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.gateway.http.SlowClients;
import io.canopy.gateway.s3.data.ObjectKeeper;
import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import io.canopy.p2p.HonestLatency;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Resource abuse against a real gateway over sockets on 127.0.0.1: slowloris (request heads and
 * bodies trickled a byte at a time, and connections that never send anything), oversized request
 * lines and headers, and uploads beyond the object size limit, declared or streamed. Meanwhile an
 * honest client keeps fetching a small object with the AWS SDK; every one of its requests must
 * succeed, and its latency before and during the attack is printed.
 */
@Timeout(120)
class HttpAbuseTest {
  private static final int MAX_OBJECT_SIZE = 1 << 20;
  private static final int MAX_CONCURRENT_UPLOADS = 8;
  private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(2);
  /** A liveness bound for one honest request, not a speed target. */
  private static final Duration HONEST_DEADLINE = Duration.ofSeconds(10);
  private static final byte[] SMALL = "a small object the honest client reads again and again".getBytes(StandardCharsets.UTF_8);

  @TempDir Path tmp;
  private JdbcS3Metadata metadata;
  private Gateway gateway;
  private URI s3Url;
  private URI ipfsUrl;
  private AccessKey alice;
  private S3Client honest;
  private final ExecutorService attackers = Executors.newCachedThreadPool();

  @BeforeEach
  void start() throws Exception {
    metadata = JdbcS3Metadata.openSqlite(tmp.resolve("s3.db"));
    metadata.createAccount("alice");
    alice = metadata.issueAccessKey("alice");
    FileBlockstore blocks = FileBlockstore.open(tmp.resolve("blocks"));
    gateway = Gateway.start(new InetSocketAddress("127.0.0.1", 0), blocks,
        new Gateway.S3Face(new InetSocketAddress("127.0.0.1", 0), metadata, ObjectKeeper.KEEP_EVERYTHING, null, null,
            MAX_OBJECT_SIZE, MAX_CONCURRENT_UPLOADS),
        null, HEAD_TIMEOUT);
    s3Url = gateway.urls().get("s3");
    ipfsUrl = gateway.urls().get("ipfsGateway");
    honest = S3Client.builder()
        .endpointOverride(s3Url)
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(alice.accessKeyId(), alice.secretAccessKey())))
        .forcePathStyle(true)
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(HONEST_DEADLINE))
        .build();
    honest.createBucket(b -> b.bucket("honest"));
    honest.putObject(b -> b.bucket("honest").key("small"), RequestBody.fromBytes(SMALL));
  }

  @AfterEach
  void stop() throws InterruptedException {
    attackers.shutdownNow();
    attackers.awaitTermination(10, TimeUnit.SECONDS);
    honest.close();
    gateway.close();
    metadata.close();
  }

  // ---- slowloris ------------------------------------------------------------------------------

  @Test
  void slowlorisHeadsAndIdleConnectionsAreClosedWhileGetsGoOn() throws Exception {
    int trickling = 150;
    int idle = 150;
    Figures f = underAttack("slowloris: " + trickling + " heads trickled a byte per 250 ms + " + idle + " idle connections", stop -> {
      List<Socket> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < trickling + idle; i++) {
          URI target = i % 2 == 0 ? s3Url : ipfsUrl;
          sockets.add(new Socket(target.getHost(), target.getPort()));
        }
        List<Socket> tricklers = sockets.subList(0, trickling);
        byte[] head = "GET /honest/small HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ".getBytes(StandardCharsets.US_ASCII);
        int[] sent = new int[trickling];
        boolean[] cut = new boolean[trickling];
        int cutCount = 0;
        // Trickle until the gateway has cut every trickler off (well past its head timeout).
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (cutCount < trickling && System.nanoTime() < giveUp && !stop.get()) {
          for (int i = 0; i < trickling; i++) {
            if (cut[i]) {
              continue;
            }
            try {
              OutputStream out = tricklers.get(i).getOutputStream();
              out.write(sent[i] < head.length ? head[sent[i]] : 'x');
              out.flush();
              sent[i]++;
            } catch (IOException e) {
              cut[i] = true;
              cutCount++;
            }
          }
          Thread.sleep(250);
        }
        // Every connection, trickling or idle, must have been closed by the gateway without an answer.
        int closedByServer = 0;
        for (Socket s : sockets) {
          if (SlowClients.closedWithoutReply(s, Duration.ofSeconds(3))) { // well past the head timeout the attack lasted
            closedByServer++;
          }
        }
        return closedByServer;
      } finally {
        for (Socket s : sockets) {
          s.close();
        }
      }
    });
    assertThat((Integer) f.attackResult).as("attack connections the gateway closed").isEqualTo(trickling + idle);
  }

  @Test
  void slowBodiesTakeAtMostTheUploadCapAndGetsGoOn() throws Exception {
    int uploads = 40; // more than the gateway's 32 worker threads
    Figures f = underAttack("slow bodies: " + uploads + " signed PUTs trickling a byte per 250 ms", stop -> {
      List<Socket> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < uploads; i++) {
          Socket s = new Socket(s3Url.getHost(), s3Url.getPort());
          s.getOutputStream().write(signedHead("PUT", "/honest/slow-" + i, List.of("Content-Length: 100000")));
          s.getOutputStream().flush();
          sockets.add(s);
        }
        // Trickle the bodies; the refused ones get SlowDown and are closed.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
        while (System.nanoTime() < until && !stop.get()) {
          for (Socket s : sockets) {
            try {
              s.getOutputStream().write('b');
              s.getOutputStream().flush();
            } catch (IOException e) {
              // refused and closed: counted below
            }
          }
          Thread.sleep(250);
        }
        int slowDown = 0;
        for (Socket s : sockets) {
          s.setSoTimeout(200);
          try {
            String reply = new String(s.getInputStream().readNBytes(512), StandardCharsets.ISO_8859_1);
            if (reply.startsWith("HTTP/1.1 503") && reply.contains("<Code>SlowDown</Code>")) {
              slowDown++;
            }
          } catch (SocketTimeoutException stillUploading) {
            // one of the uploads admitted, still waiting for its body
          }
        }
        return slowDown;
      } finally {
        for (Socket s : sockets) {
          s.close();
        }
      }
    });
    assertThat((Integer) f.attackResult).as("uploads refused with SlowDown").isEqualTo(uploads - MAX_CONCURRENT_UPLOADS);
    // Nothing half-uploaded was stored, and the slots were given back: an honest upload works again.
    assertThat(honest.listObjectsV2(b -> b.bucket("honest")).contents()).extracting(o -> o.key()).containsExactly("small");
    honest.putObject(b -> b.bucket("honest").key("after"), RequestBody.fromString("after the attack"));
  }

  // ---- oversized request lines, headers and bodies --------------------------------------------

  @Test
  void oversizedRequestLinesAndHeadersAreRefusedAndClosed() throws Exception {
    Figures f = underAttack("oversized request lines and headers, 10 rounds on both faces", stop -> {
      List<String> outcomes = new ArrayList<>();
      for (int round = 0; round < 10 && !stop.get(); round++) {
        for (URI face : List.of(s3Url, ipfsUrl)) {
          String longLine = "GET /" + "a".repeat(Gateway.MAX_INITIAL_LINE + 100) + " HTTP/1.1\r\nHost: x\r\n\r\n";
          outcomes.add(face.getPort() + " line " + statusAndClose(face, longLine));
          String bigHeader = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "h".repeat(Gateway.MAX_HEADER_SIZE + 100) + "\r\n\r\n";
          outcomes.add(face.getPort() + " header " + statusAndClose(face, bigHeader));
          StringBuilder many = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
          for (int i = 0; i < 2000; i++) {
            many.append("X-H").append(i).append(": v\r\n");
          }
          outcomes.add(face.getPort() + " many " + statusAndClose(face, many.append("\r\n").toString()));
        }
      }
      return outcomes;
    });
    @SuppressWarnings("unchecked")
    List<String> outcomes = (List<String>) f.attackResult;
    assertThat(outcomes).hasSize(60);
    assertThat(outcomes).allSatisfy(o -> assertThat(o).matches(
        "\\d+ (line 414|header 431|many 431) closed"));
  }

  @Test
  void uploadsBeyondTheObjectSizeAreRefusedAndStoreNothing() throws Exception {
    Figures f = underAttack("uploads beyond " + MAX_OBJECT_SIZE + " bytes, declared and chunked, 4 rounds", stop -> {
      List<String> outcomes = new ArrayList<>();
      for (int round = 0; round < 4 && !stop.get(); round++) {
        // Declared too large: refused from the head alone, before any of the body is sent.
        try (Socket s = new Socket(s3Url.getHost(), s3Url.getPort())) {
          s.setSoTimeout(10_000);
          s.getOutputStream().write(signedHead("PUT", "/honest/declared-" + round,
              List.of("Content-Length: " + (MAX_OBJECT_SIZE + 1L))));
          s.getOutputStream().flush();
          outcomes.add("declared " + reply(s));
        }
        // Chunked, no length declared: refused once the body passes the limit.
        try (Socket s = new Socket(s3Url.getHost(), s3Url.getPort())) {
          s.setSoTimeout(10_000);
          OutputStream out = s.getOutputStream();
          out.write(signedHead("PUT", "/honest/chunked-" + round, List.of("Transfer-Encoding: chunked")));
          byte[] chunk = new byte[64 * 1024];
          byte[] chunkHead = (Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
          try {
            for (long sent = 0; sent < 4L * MAX_OBJECT_SIZE; sent += chunk.length) {
              out.write(chunkHead);
              out.write(chunk);
              out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
          } catch (SocketException refused) {
            // the gateway answered and closed while we were still sending: expected
          }
          outcomes.add("chunked " + reply(s));
        }
      }
      return outcomes;
    });
    @SuppressWarnings("unchecked")
    List<String> outcomes = (List<String>) f.attackResult;
    assertThat(outcomes).hasSize(8).allSatisfy(o -> assertThat(o).matches("(declared|chunked) 400 EntityTooLarge closed"));
    assertThat(honest.listObjectsV2(b -> b.bucket("honest")).contents()).extracting(o -> o.key()).containsExactly("small");
  }

  // ---- the honest client and the figures -------------------------------------------------------

  /** What an attack returned, and the honest client's latencies before and during it. */
  private record Figures(Object attackResult, long[] before, long[] during) {}

  /** An attack: runs in the background until done (or told to stop) and returns what the test asserts on. */
  private interface Attack {
    Object run(AtomicBoolean stop) throws Exception;
  }

  /**
   * Measures honest GETs for a second, then again while {@code attack} runs (at least 20 of them),
   * asserts every one succeeded with the right bytes, and prints p50/p99 before and during.
   */
  private Figures underAttack(String name, Attack attack) throws Exception {
    long[] before = honestGets(20, () -> false, System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
    AtomicBoolean stop = new AtomicBoolean();
    Future<Object> running = attackers.submit((Callable<Object>) () -> attack.run(stop));
    long[] during;
    try {
      during = honestGets(20, running::isDone, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    } finally {
      stop.set(true);
    }
    Object result = running.get(60, TimeUnit.SECONDS);
    System.out.println("[HttpAbuseTest] " + name + ": honest S3 GET " + HonestLatency.compare(before, during));
    return new Figures(result, before, during);
  }

  /**
   * GETs the small object until {@code done} says so (after at least {@code min}) or the
   * deadline; each must succeed within {@link #HONEST_DEADLINE} (the SDK's call timeout).
   */
  private long[] honestGets(int min, java.util.function.BooleanSupplier done, long deadline) {
    List<Long> nanos = new ArrayList<>();
    while (nanos.size() < min || (!done.getAsBoolean() && System.nanoTime() < deadline)) {
      long t0 = System.nanoTime();
      byte[] got = honest.getObjectAsBytes(b -> b.bucket("honest").key("small")).asByteArray();
      nanos.add(System.nanoTime() - t0);
      assertThat(got).as("honest GET during the attack").isEqualTo(SMALL);
    }
    return nanos.stream().mapToLong(Long::longValue).toArray();
  }



  // ---- raw HTTP --------------------------------------------------------------------------------

  /** A request head signed by alice with an unsigned payload, ready for a body of the caller's choosing. */
  private byte[] signedHead(String method, String path, List<String> extraHeaders) {
    SdkHttpRequest.Builder b = SdkHttpRequest.builder()
        .method(SdkHttpMethod.fromValue(method))
        .protocol("http")
        .host(s3Url.getHost())
        .port(s3Url.getPort())
        .encodedPath(path)
        .putHeader("Host", s3Url.getHost() + ":" + s3Url.getPort());
    for (String h : extraHeaders) {
      int colon = h.indexOf(':');
      b.putHeader(h.substring(0, colon), h.substring(colon + 1).trim());
    }
    SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
        .identity(AwsCredentialsIdentity.create(alice.accessKeyId(), alice.secretAccessKey()))
        .request(b.build())
        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
        .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
        .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
        .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, false));
    StringBuilder head = new StringBuilder(method).append(' ').append(signed.request().encodedPath()).append(" HTTP/1.1\r\n");
    signed.request().forEachHeader((name, values) -> values.forEach(v -> head.append(name).append(": ").append(v).append("\r\n")));
    return head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** Sends {@code request} on a new connection: "status closed" if the gateway answered and then closed it. */
  private static String statusAndClose(URI face, String request) throws IOException {
    try (Socket s = new Socket(face.getHost(), face.getPort())) {
      s.setSoTimeout(10_000);
      try {
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
      } catch (SocketException refused) {
        // answered and closed before we finished sending
      }
      String all = readToClose(s.getInputStream());
      // Vert.x answers a request line it could not parse as HTTP/1.0
      String status = all.matches("(?s)HTTP/1\\.[01] .*") ? all.substring(9, 12) : "no status: " + all;
      return status + " closed";
    }
  }

  /** "status S3Code closed" for the reply on {@code s}, once the gateway has closed the connection. */
  private static String reply(Socket s) throws IOException {
    String all = readToClose(s.getInputStream());
    if (!all.startsWith("HTTP/1.1 ")) {
      return "no status: " + all;
    }
    java.util.regex.Matcher code = java.util.regex.Pattern.compile("<Code>(\\w+)</Code>").matcher(all);
    return all.substring(9, 12) + " " + (code.find() ? code.group(1) : "?") + " closed";
  }

  /** Reads until the peer closes (a reset counts as closed); fails the test on a 10 s silence. */
  private static String readToClose(InputStream in) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      for (int n; (n = in.read(buf)) >= 0; ) {
        got.write(buf, 0, n);
      }
    } catch (SocketException reset) {
      // closed with a reset (unread bytes were still in our send buffer)
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }
}
