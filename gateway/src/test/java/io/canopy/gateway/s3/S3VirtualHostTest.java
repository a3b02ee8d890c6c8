package io.canopy.gateway.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.s3.data.ObjectKeeper;
import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.hc.client5.http.DnsResolver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Virtual-hosted-style addressing end to end: the real AWS SDK, without {@code forcePathStyle},
 * puts the bucket in the Host ({@code photos.s3.canopy.test}); a resolver sends every such name
 * to the gateway on 127.0.0.1, which is set up with the base domain {@code s3.canopy.test}.
 */
class S3VirtualHostTest {
  private static final String DOMAIN = "s3.canopy.test";

  @TempDir Path tmp;
  private JdbcS3Metadata metadata;
  private Gateway gateway;
  private S3Client s3;
  private AccessKey key;
  private int port;

  /** Every name resolves to loopback, so BUCKET.s3.canopy.test reaches the gateway. */
  private static final DnsResolver LOOPBACK = new DnsResolver() {
    @Override
    public InetAddress[] resolve(String host) {
      return new InetAddress[] {InetAddress.getLoopbackAddress()};
    }

    @Override
    public String resolveCanonicalHostname(String host) {
      return host;
    }
  };

  @BeforeEach
  void start() throws Exception {
    metadata = JdbcS3Metadata.openSqlite(tmp.resolve("s3.db"));
    metadata.createAccount("alice");
    key = metadata.issueAccessKey("alice");
    gateway = Gateway.start(null, FileBlockstore.open(tmp.resolve("blocks")), new Gateway.S3Face(
        new InetSocketAddress("127.0.0.1", 0), metadata, ObjectKeeper.KEEP_EVERYTHING, S3Addressing.of(DOMAIN), null));
    port = gateway.urls().get("s3").getPort();
    s3 = S3Client.builder()
        .endpointOverride(URI.create("http://" + DOMAIN + ":" + port))
        .region(Region.US_EAST_1)
        .credentialsProvider(credentials())
        .httpClient(Apache5HttpClient.builder().dnsResolver(LOOPBACK).build())
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  private StaticCredentialsProvider credentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey()));
  }

  @AfterEach
  void stop() {
    s3.close();
    gateway.close();
    metadata.close();
  }

  @Test
  void theSdkAddressesBucketsByHostName() throws Exception {
    s3.createBucket(b -> b.bucket("photos"));
    byte[] data = "a cat, virtually hosted".getBytes(StandardCharsets.UTF_8);
    var put = s3.putObject(b -> b.bucket("photos").key("cats/tabby.txt"), RequestBody.fromBytes(data));
    assertThat(put.sdkHttpResponse().firstMatchingHeader("x-amz-meta-cid")).isPresent();

    assertThat(s3.getObjectAsBytes(b -> b.bucket("photos").key("cats/tabby.txt")).asByteArray()).isEqualTo(data);
    assertThat(s3.listObjectsV2(b -> b.bucket("photos").prefix("cats/")).contents())
        .extracting(o -> o.key()).containsExactly("cats/tabby.txt");
    assertThatThrownBy(() -> s3.headBucket(b -> b.bucket("dogs")))
        .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(404));

    // A presigned URL names the bucket in its host too; the signature covers that host.
    try (S3Presigner presigner = S3Presigner.builder()
        .endpointOverride(URI.create("http://" + DOMAIN + ":" + port))
        .region(Region.US_EAST_1)
        .credentialsProvider(credentials())
        .build()) {
      URI url = presigner.presignGetObject(p -> p.signatureDuration(Duration.ofMinutes(5))
          .getObjectRequest(g -> g.bucket("photos").key("cats/tabby.txt"))).url().toURI();
      assertThat(url.getHost()).isEqualTo("photos." + DOMAIN);
      // Send it to 127.0.0.1 with the signed Host, as a resolver would.
      try (java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
        socket.getOutputStream().write(("GET " + url.getRawPath() + "?" + url.getRawQuery() + " HTTP/1.1\r\nHost: "
            + url.getHost() + ":" + port + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(response).startsWith("HTTP/1.1 200").endsWith("a cat, virtually hosted");
      }
    }
  }

  @Test
  void aHostOutsideTheBaseDomainIsPathStyle() throws Exception {
    s3.createBucket(b -> b.bucket("photos"));
    s3.putObject(b -> b.bucket("photos").key("k"), RequestBody.fromString("path style still works"));
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/photos/k")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("anonymous, private bucket").isEqualTo(403);
    assertThat(r.body()).contains("<Code>AccessDenied</Code>");
  }
}
