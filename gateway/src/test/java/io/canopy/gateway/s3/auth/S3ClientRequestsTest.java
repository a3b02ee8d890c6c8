package io.canopy.gateway.s3.auth;

import static io.canopy.gateway.s3.auth.AuthAssertions.assertAuthError;
import static io.canopy.gateway.s3.auth.AuthAssertions.readVerified;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.canopy.testing.RandomInputs;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;

/**
 * What the real {@link S3Client} sends, with its default settings: it is pointed at a small JDK
 * HTTP server on 127.0.0.1 that records each request (method, raw path and query, headers, body)
 * and answers 200. Every recorded request must verify, and its body must decode to what was put.
 */
class S3ClientRequestsTest {
  record Recorded(RequestHead head, byte[] body) {}

  private HttpServer server;
  private S3Client s3;
  private final List<Recorded> recorded = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      URI uri = exchange.getRequestURI();
      recorded.add(new Recorded(new RequestHead(exchange.getRequestMethod(), uri.getRawPath(), uri.getRawQuery(),
          exchange.getRequestHeaders()), body));
      byte[] response = uri.getRawQuery() != null && uri.getRawQuery().contains("list-type=2")
          ? ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/"
              + "2006-03-01/\"><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated>"
              + "</ListBucketResult>").getBytes(StandardCharsets.UTF_8)
          : new byte[0];
      exchange.getResponseHeaders().add("ETag", "\"0123456789abcdef0123456789abcdef\"");
      if (exchange.getRequestMethod().equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
      } else {
        exchange.sendResponseHeaders(200, response.length == 0 ? -1 : response.length);
        exchange.getResponseBody().write(response);
      }
      exchange.close();
    });
    server.start();
    s3 = S3Client.builder()
        .endpointOverride(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(SdkSigning.ACCESS_KEY, SdkSigning.SECRET)))
        .forcePathStyle(true)
        .build();
  }

  @AfterEach
  void stop() {
    s3.close();
    server.stop(0);
  }

  private static SigV4Verifier verifier() {
    return new SigV4Verifier(SdkSigning.STORE, S3AuthConfig.builder().clock(Clock.systemUTC()).build());
  }

  private Recorded only() {
    assertThat(recorded).hasSize(1);
    return recorded.remove(0);
  }

  private static void quietly(Runnable call) {
    try {
      call.run();
    } catch (SdkException e) {
      // The recorder's canned answer may not satisfy the client; the request is what counts.
    }
  }

  @Test
  void putObjectWithTheDefaultChecksumStreamsSignedChunksAndATrailer() throws Exception {
    byte[] data = RandomInputs.bytesOfSize(new SplittableRandom(7), 300_000);
    s3.putObject(p -> p.bucket("bucket").key("dir/ünïcode key+(1).bin").contentType("application/x-test")
        .metadata(Map.of("origin", "  the   test  ")), RequestBody.fromBytes(data));
    Recorded put = only();
    AuthResult result = verifier().verify(put.head());
    // Over plain HTTP the SDK signs every chunk; current SDKs add a CRC32 trailer by default.
    assertThat(result.mode()).isEqualTo(PayloadMode.STREAMING_SIGNED_TRAILER);
    assertThat(result.streaming().trailingChecksum()).isEqualTo(io.canopy.gateway.s3.auth.ChecksumAlgorithm.CRC32);
    StreamingPayloadDecoder decoder = result.streaming().decoder(new java.io.ByteArrayInputStream(put.body()));
    assertThat(AuthAssertions.drain(decoder, 16384)).isEqualTo(data);
    CRC32 crc = new CRC32();
    crc.update(data);
    assertThat(Base64.getDecoder().decode(decoder.verifiedTrailingChecksum()))
        .isEqualTo(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());

    byte[] tampered = put.body().clone();
    tampered[tampered.length / 3] ^= 0x10;
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> readVerified(result, tampered));
  }

  @Test
  void putObjectWithSha256Checksum() throws Exception {
    byte[] data = "small object".getBytes(StandardCharsets.UTF_8);
    s3.putObject(p -> p.bucket("bucket").key("k").checksumAlgorithm(ChecksumAlgorithm.SHA256),
        RequestBody.fromBytes(data));
    Recorded put = only();
    AuthResult result = verifier().verify(put.head());
    assertThat(result.mode().isStreaming()).isTrue();
    assertThat(readVerified(result, put.body())).isEqualTo(data);
  }

  @Test
  void readsListsAndDeletesVerify() throws Exception {
    quietly(() -> s3.getObject(g -> g.bucket("bucket").key("a/b c/d~e*f'g(h)!.txt").range("bytes=0-9")));
    quietly(() -> s3.listObjectsV2(l -> l.bucket("bucket").prefix("a b/ü+&=").delimiter("/").maxKeys(7)
        .startAfter("a b/ü+&=x")));
    quietly(() -> s3.headObject(h -> h.bucket("bucket").key("k")));
    quietly(() -> s3.deleteObject(d -> d.bucket("bucket").key("gone/for good")));
    quietly(() -> s3.deleteObjects(d -> d.bucket("bucket").delete(x -> x.objects(o -> o.key("a"), o -> o.key("b")))));
    quietly(() -> s3.createMultipartUpload(c -> c.bucket("bucket").key("multi part")));
    quietly(() -> s3.uploadPart(u -> u.bucket("bucket").key("multi part").uploadId("up/load+id=")
        .partNumber(3), RequestBody.fromString("part three")));
    assertThat(recorded).hasSizeGreaterThanOrEqualTo(7);
    for (Recorded r : recorded) {
      AuthResult result = verifier().verify(r.head());
      readVerified(result, r.body());
      RequestHead h = r.head();
      assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> verifier().verify(
          new RequestHead(h.method(), h.rawPath(), h.rawQuery() == null || h.rawQuery().isEmpty()
              ? "x-id=Other" : h.rawQuery() + "&x=1", h.headers())));
    }
  }

  @Test
  void presignedUrlFromTheClientsSigner() throws Exception {
    try (var presigner = software.amazon.awssdk.services.s3.presigner.S3Presigner.builder()
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(SdkSigning.ACCESS_KEY, SdkSigning.SECRET)))
        .endpointOverride(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
        .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder()
            .pathStyleAccessEnabled(true).build())
        .build()) {
      URI url = presigner.presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(5))
          .getObjectRequest(g -> g.bucket("bucket").key("shared file.txt"))).url().toURI();
      // Fetched by a plain HTTP client, as a browser would.
      java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(url).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding());
      Recorded get = only();
      assertThat(verifier().verify(get.head()).mode()).isEqualTo(PayloadMode.UNSIGNED_PAYLOAD);
    }
  }
}
