package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import io.canopy.gateway.s3.meta.SharedTestPostgres;
import io.canopy.multiaddr.Multiaddr;
import java.net.URI;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Two gateways sharing one PostgreSQL metadata database (a real server, started by the test):
 * what one does through S3 the other sees at once, and object bytes stored on one are read on the
 * other, fetched over Bitswap.
 */
@Timeout(300)
class SharedPostgresGatewaysTest {
  @TempDir Path tmp;

  CliRun cli(Path home) {
    return new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
  }

  @Test
  void twoGatewaysOnOneDatabaseServeTheSameBucketsAndObjects() throws Exception {
    String database = SharedTestPostgres.newDatabase();
    Path homeA = tmp.resolve("a");
    Path homeB = tmp.resolve("b");
    cli(homeA).run("init").ok();
    cli(homeB).run("init").ok();

    // One key through the command line, one through the same code path the daemon opens.
    JsonNode fromCli = HomeConfig.JSON.readTree(
        cli(homeA).run("gateway", "keys", "create", "--account", "alice", "--database", database).ok().out());
    assertThat(fromCli.path("account").asText()).isEqualTo("alice");
    AccessKey bobKey;
    try (JdbcS3Metadata meta = GatewayDatabase.open(new Home(homeB), GatewayDatabase.jdbcUrl(database))) {
      assertThat(meta.activeAccessKey(fromCli.path("accessKeyId").asText()))
          .hasValueSatisfying(k -> assertThat(k.secretAccessKey()).isEqualTo(fromCli.path("secretAccessKey").asText()));
      meta.createAccount("bob");
      bobKey = meta.issueAccessKey("bob");
    }
    // Without an initialised home: the database alone is enough.
    JsonNode noHome = HomeConfig.JSON.readTree(cli(tmp.resolve("nowhere"))
        .run("gateway", "keys", "create", "--account", "carol", "--database", database).ok().out());
    assertThat(noHome.path("account").asText()).isEqualTo("carol");

    DaemonNode.GatewayOptions free = DaemonNode.GatewayOptions.onFreePorts();
    DaemonNode.GatewayOptions shared = new DaemonNode.GatewayOptions(free.ipfsGateway(), free.s3(), free.rpc(), null, database,
        free.s3Domains(), free.objectDeals());
    try (Daemons.InProcess a = Daemons.inProcessGateway(homeA, io.canopy.storage.StorageConfig.defaults(), shared, List.of());
         Daemons.InProcess b = Daemons.inProcessGateway(homeB, io.canopy.storage.StorageConfig.defaults(), shared,
             List.of(Multiaddr.parse(a.addr())))) {
      cli(homeB).run("swarm", "connect", a.addr()).ok();
      URI s3a = a.node().gateway().orElseThrow().urls().get("s3");
      URI s3b = b.node().gateway().orElseThrow().urls().get("s3");
      assertThat(s3a).isNotEqualTo(s3b);
      String id = fromCli.path("accessKeyId").asText();
      String secret = fromCli.path("secretAccessKey").asText();
      try (S3Client onA = client(s3a, id, secret); S3Client onB = client(s3b, id, secret);
           S3Client bobOnB = client(s3b, bobKey.accessKeyId(), bobKey.secretAccessKey())) {
        // A bucket made on A is listed by B, and owned there by the same account.
        onA.createBucket(r -> r.bucket("shared"));
        assertThat(onB.listBuckets().buckets()).extracting(Bucket::name).containsExactly("shared");
        assertThat(bobOnB.listBuckets().buckets()).isEmpty();
        S3Exception taken = s3Error(() -> bobOnB.createBucket(r -> r.bucket("shared")));
        assertThat(taken.awsErrorDetails().errorCode()).isEqualTo("BucketAlreadyExists");

        // An object PUT on A: listed on B, and B's GET (blocks from A over Bitswap) gives the same bytes.
        byte[] photo = random(1_500_000, 1);
        String etag = onA.putObject(r -> r.bucket("shared").key("photos/cat.jpg").metadata(Map.of("who", "cat")),
            RequestBody.fromBytes(photo)).eTag();
        assertThat(etag).isEqualTo("\"" + md5Hex(photo) + "\"");
        HeadObjectResponse headA = onA.headObject(r -> r.bucket("shared").key("photos/cat.jpg"));
        String cid = headA.metadata().get("cid");
        assertThat(cid).isNotBlank();
        assertThat(onB.listObjectsV2(r -> r.bucket("shared")).contents()).extracting(S3Object::key, S3Object::size)
            .containsExactly(org.assertj.core.groups.Tuple.tuple("photos/cat.jpg", (long) photo.length));
        assertThat(b.node().repo().blocks().has(io.canopy.multiformats.Cid.parse(cid)))
            .as("B does not hold the object before it reads it").isFalse();
        ResponseBytes<GetObjectResponse> fromB = onB.getObjectAsBytes(r -> r.bucket("shared").key("photos/cat.jpg"));
        assertThat(fromB.asByteArray()).isEqualTo(photo);
        assertThat(fromB.response().eTag()).isEqualTo(etag);
        assertThat(fromB.response().metadata()).containsEntry("cid", cid).containsEntry("who", "cat");

        // A delete on B is seen by A.
        onA.putObject(r -> r.bucket("shared").key("doomed.txt"), RequestBody.fromString("short-lived"));
        assertThat(onB.getObjectAsBytes(r -> r.bucket("shared").key("doomed.txt")).asUtf8String())
            .isEqualTo("short-lived");
        onB.deleteObject(r -> r.bucket("shared").key("doomed.txt"));
        S3Exception gone = s3Error(() -> onA.headObject(r -> r.bucket("shared").key("doomed.txt")));
        assertThat(gone.statusCode()).isEqualTo(404);
        S3Exception noKey = s3Error(() -> onA.getObjectAsBytes(r -> r.bucket("shared").key("doomed.txt")));
        assertThat(noKey.awsErrorDetails().errorCode()).isEqualTo("NoSuchKey");
        assertThat(onA.listObjectsV2(r -> r.bucket("shared")).contents()).extracting(S3Object::key)
            .containsExactly("photos/cat.jpg");

        // Keys PostgreSQL's text must carry exactly: astral characters, controls, NUL (stored or refused, never a 500).
        String odd = "d\u00efr/\ud83d\ude00 \u0001\u007f+%&?#=.txt";
        onA.putObject(r -> r.bucket("shared").key(odd), RequestBody.fromString("odd"));
        assertThat(onB.getObjectAsBytes(r -> r.bucket("shared").key(odd)).asUtf8String()).isEqualTo("odd");
        assertThat(onB.listObjectsV2(r -> r.bucket("shared").prefix("d\u00efr/")
            .encodingType(software.amazon.awssdk.services.s3.model.EncodingType.URL)).contents())
            .extracting(S3Object::key).containsExactly(odd);
        onB.deleteObject(r -> r.bucket("shared").key(odd));
        S3Exception nul = catchThrowableOfType(S3Exception.class,
            () -> onA.putObject(r -> r.bucket("shared").key("nul\u0000key"), RequestBody.fromString("nul")));
        if (nul == null) {
          assertThat(onB.getObjectAsBytes(r -> r.bucket("shared").key("nul\u0000key")).asUtf8String()).isEqualTo("nul");
          onB.deleteObject(r -> r.bucket("shared").key("nul\u0000key"));
        } else {
          assertThat(nul.statusCode()).as(nul.getMessage()).isEqualTo(400);
        }

        // Multipart: started on A, part 1 on A, part 2 on B, completed on A; the same bytes on both.
        byte[] part1 = random(5 << 20, 2);
        byte[] part2 = random(700_000, 3);
        String uploadId = onA.createMultipartUpload(r -> r.bucket("shared").key("movie.bin")).uploadId();
        String etag1 = onA.uploadPart(r -> r.bucket("shared").key("movie.bin").uploadId(uploadId).partNumber(1),
            RequestBody.fromBytes(part1)).eTag();
        String etag2 = onB.uploadPart(r -> r.bucket("shared").key("movie.bin").uploadId(uploadId).partNumber(2),
            RequestBody.fromBytes(part2)).eTag();
        assertThat(onA.listParts(r -> r.bucket("shared").key("movie.bin").uploadId(uploadId)).parts())
            .extracting(Part::partNumber).containsExactly(1, 2);
        String multipartEtag = onA.completeMultipartUpload(r -> r.bucket("shared").key("movie.bin").uploadId(uploadId)
            .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(etag1).build(),
                CompletedPart.builder().partNumber(2).eTag(etag2).build()))).eTag();
        assertThat(multipartEtag).endsWith("-2\"");
        byte[] whole = new byte[part1.length + part2.length];
        System.arraycopy(part1, 0, whole, 0, part1.length);
        System.arraycopy(part2, 0, whole, part1.length, part2.length);
        for (S3Client c : List.of(onA, onB)) {
          ResponseBytes<GetObjectResponse> got = c.getObjectAsBytes(r -> r.bucket("shared").key("movie.bin"));
          assertThat(got.asByteArray()).isEqualTo(whole);
          assertThat(got.response().eTag()).isEqualTo(multipartEtag);
        }
        assertThat(onB.listMultipartUploads(r -> r.bucket("shared")).uploads()).isEmpty();
      }
    }
  }

  private static S3Client client(URI endpoint, String keyId, String secret) {
    return S3Client.builder()
        .endpointOverride(endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(keyId, secret)))
        .forcePathStyle(true)
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  private static S3Exception s3Error(Runnable call) {
    S3Exception e = catchThrowableOfType(S3Exception.class, call::run);
    assertThat(e).as("an S3 error").isNotNull();
    return e;
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String md5Hex(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
  }
}
