package io.canopy.gateway.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.BucketCannedACL;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeletedObject;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;

/**
 * The S3 face end to end: a real Vert.x server ({@link Gateway#start} with an {@link Gateway.S3Face}),
 * metadata in SQLite, objects in a FileBlockstore, and the real AWS SDK for Java v2 with its
 * default (aws-chunked, CRC32 trailer) uploads.
 */
@Timeout(180)
class S3HandlerTest {
  private static final String SPACE_UNICODE_KEY = "dir a/sub b/\u00fcn\u00efc\u00f8d\u00e9 \u65e5\u672c \ud83d\ude00.txt";

  @TempDir Path tmp;
  private JdbcS3Metadata metadata;
  private Gateway gateway;
  private URI endpoint;
  private AccessKey alice;
  private AccessKey bob;
  private S3Client s3;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    metadata = JdbcS3Metadata.openSqlite(tmp.resolve("s3.db"));
    metadata.createAccount("alice");
    metadata.createAccount("bob");
    alice = metadata.issueAccessKey("alice");
    bob = metadata.issueAccessKey("bob");
    FileBlockstore blocks = FileBlockstore.open(tmp.resolve("blocks"));
    gateway = Gateway.start(null, blocks, new Gateway.S3Face(new InetSocketAddress("127.0.0.1", 0), metadata));
    endpoint = gateway.urls().get("s3");
    s3 = client(alice.accessKeyId(), alice.secretAccessKey());
  }

  @AfterEach
  void stop() {
    s3.close();
    gateway.close();
    metadata.close();
  }

  private S3Client client(String keyId, String secret) {
    return SdkClients.pathStyle(endpoint, keyId, secret);
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String cidOf(byte[] bytes) throws Exception {
    return new Importer(b -> { }, ImportOptions.defaults()).importFile(new ByteArrayInputStream(bytes)).cid().toString();
  }

  private static String md5Hex(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes));
  }

  private static S3Exception s3Error(Runnable call) {
    S3Exception e = catchThrowableOfType(S3Exception.class, call::run);
    assertThat(e).as("an S3 error").isNotNull();
    return e;
  }

  @Test
  void objectsRoundTripThroughTheSdk() throws Exception {
    s3.createBucket(b -> b.bucket("photos"));
    assertThat(s3.listBuckets().buckets()).extracting(b -> b.name()).containsExactly("photos");
    s3.headBucket(b -> b.bucket("photos"));

    byte[] big = random(1 << 20, 1);
    PutObjectResponse put = s3.putObject(b -> b.bucket("photos").key(SPACE_UNICODE_KEY).contentType("image/x-test")
        .metadata(Map.of("colour", "green", "Owner-Name", "Alice")), RequestBody.fromBytes(big));
    assertThat(put.eTag()).isEqualTo("\"" + md5Hex(big) + "\"");
    s3.putObject(b -> b.bucket("photos").key("dir a/x.bin"), RequestBody.fromBytes(new byte[0]));
    s3.putObject(b -> b.bucket("photos").key("top.txt"), RequestBody.fromString("top", StandardCharsets.UTF_8));

    HeadObjectResponse head = s3.headObject(b -> b.bucket("photos").key(SPACE_UNICODE_KEY));
    assertThat(head.contentLength()).isEqualTo(big.length);
    assertThat(head.contentType()).isEqualTo("image/x-test");
    assertThat(head.eTag()).isEqualTo("\"" + md5Hex(big) + "\"");
    assertThat(head.metadata()).containsEntry("colour", "green").containsEntry("owner-name", "Alice")
        .containsEntry("cid", cidOf(big));
    HeadObjectResponse emptyHead = s3.headObject(b -> b.bucket("photos").key("dir a/x.bin"));
    assertThat(emptyHead.contentLength()).isZero();
    assertThat(emptyHead.metadata()).containsEntry("cid", cidOf(new byte[0]));
    assertThat(emptyHead.eTag()).isEqualTo("\"" + md5Hex(new byte[0]) + "\"");

    ResponseBytes<GetObjectResponse> whole = s3.getObjectAsBytes(b -> b.bucket("photos").key(SPACE_UNICODE_KEY));
    assertThat(whole.asByteArray()).isEqualTo(big);
    assertThat(whole.response().metadata()).containsEntry("cid", cidOf(big));
    assertThat(s3.getObjectAsBytes(b -> b.bucket("photos").key("dir a/x.bin")).asByteArray()).isEmpty();

    ResponseBytes<GetObjectResponse> ranged =
        s3.getObjectAsBytes(b -> b.bucket("photos").key(SPACE_UNICODE_KEY).range("bytes=100-199"));
    assertThat(ranged.asByteArray()).isEqualTo(Arrays.copyOfRange(big, 100, 200));
    assertThat(ranged.response().contentRange()).isEqualTo("bytes 100-199/" + big.length);
    assertThat(s3.getObjectAsBytes(b -> b.bucket("photos").key(SPACE_UNICODE_KEY).range("bytes=-10")).asByteArray())
        .isEqualTo(Arrays.copyOfRange(big, big.length - 10, big.length));
    assertThat(s3.getObjectAsBytes(b -> b.bucket("photos").key(SPACE_UNICODE_KEY).range("bytes=1048000-"))
        .asByteArray()).isEqualTo(Arrays.copyOfRange(big, 1048000, big.length));
    S3Exception unsatisfiable = s3Error(() -> s3.getObjectAsBytes(b -> b.bucket("photos").key("top.txt").range("bytes=10-")));
    assertThat(unsatisfiable.statusCode()).isEqualTo(416);
    assertThat(unsatisfiable.awsErrorDetails().errorCode()).isEqualTo("InvalidRange");
    S3Exception precondition = s3Error(() -> s3.getObjectAsBytes(b -> b.bucket("photos").key("top.txt").ifMatch("\"0000\"")));
    assertThat(precondition.statusCode()).isEqualTo(412);
    assertThat(precondition.awsErrorDetails().errorCode()).isEqualTo("PreconditionFailed");

    ListObjectsV2Response listing = s3.listObjectsV2(b -> b.bucket("photos").prefix("dir a/").delimiter("/"));
    assertThat(listing.contents()).extracting(S3Object::key).containsExactly("dir a/x.bin");
    assertThat(listing.commonPrefixes()).extracting(CommonPrefix::prefix).containsExactly("dir a/sub b/");
    assertThat(s3.listObjectsV2(b -> b.bucket("photos")).contents()).extracting(S3Object::key)
        .containsExactly("dir a/sub b/\u00fcn\u00efc\u00f8d\u00e9 \u65e5\u672c \ud83d\ude00.txt", "dir a/x.bin", "top.txt");
    assertThat(s3.listObjects(b -> b.bucket("photos").delimiter("/")).commonPrefixes())
        .extracting(CommonPrefix::prefix).containsExactly("dir a/");

    S3Exception notEmpty = s3Error(() -> s3.deleteBucket(b -> b.bucket("photos")));
    assertThat(notEmpty.awsErrorDetails().errorCode()).isEqualTo("BucketNotEmpty");
    assertThat(notEmpty.statusCode()).isEqualTo(409);

    s3.deleteObject(b -> b.bucket("photos").key("top.txt"));
    S3Exception noKey = s3Error(() -> s3.getObjectAsBytes(b -> b.bucket("photos").key("top.txt")));
    assertThat(noKey.awsErrorDetails().errorCode()).isEqualTo("NoSuchKey");
    assertThat(noKey.statusCode()).isEqualTo(404);

    List<DeletedObject> deleted = s3.deleteObjects(b -> b.bucket("photos").delete(Delete.builder().objects(
        ObjectIdentifier.builder().key(SPACE_UNICODE_KEY).build(),
        ObjectIdentifier.builder().key("dir a/x.bin").build()).build())).deleted();
    assertThat(deleted).extracting(DeletedObject::key).containsExactlyInAnyOrder(SPACE_UNICODE_KEY, "dir a/x.bin");
    assertThat(s3.listObjectsV2(b -> b.bucket("photos")).contents()).isEmpty();

    s3.deleteBucket(b -> b.bucket("photos"));
    S3Exception noBucket = s3Error(() -> s3.listObjectsV2(b -> b.bucket("photos")));
    assertThat(noBucket.awsErrorDetails().errorCode()).isEqualTo("NoSuchBucket");
    assertThat(s3.listBuckets().buckets()).isEmpty();
  }

  @Test
  void multipartUploadsAndCopies() throws Exception {
    s3.createBucket(b -> b.bucket("big"));
    byte[] first = random(5 << 20, 3);
    byte[] second = random(1 << 20, 4);
    byte[] whole = new byte[first.length + second.length];
    System.arraycopy(first, 0, whole, 0, first.length);
    System.arraycopy(second, 0, whole, first.length, second.length);

    String uploadId = s3.createMultipartUpload(b -> b.bucket("big").key("movie.bin").contentType("video/x-test")
        .metadata(Map.of("take", "2"))).uploadId();
    String etag1 = s3.uploadPart(b -> b.bucket("big").key("movie.bin").uploadId(uploadId).partNumber(1),
        RequestBody.fromBytes(first)).eTag();
    String etag2 = s3.uploadPart(b -> b.bucket("big").key("movie.bin").uploadId(uploadId).partNumber(2),
        RequestBody.fromBytes(second)).eTag();
    assertThat(etag1).isEqualTo("\"" + md5Hex(first) + "\"");
    assertThat(s3.listParts(b -> b.bucket("big").key("movie.bin").uploadId(uploadId)).parts())
        .extracting(p -> p.partNumber()).containsExactly(1, 2);

    S3Exception wrongEtag = s3Error(() -> s3.completeMultipartUpload(b -> b.bucket("big").key("movie.bin")
        .uploadId(uploadId).multipartUpload(m -> m.parts(
            CompletedPart.builder().partNumber(1).eTag(etag1).build(),
            CompletedPart.builder().partNumber(2).eTag("\"00000000000000000000000000000000\"").build()))));
    assertThat(wrongEtag.awsErrorDetails().errorCode()).isEqualTo("InvalidPart");

    String etag = s3.completeMultipartUpload(b -> b.bucket("big").key("movie.bin").uploadId(uploadId)
        .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag(etag1).build(),
            CompletedPart.builder().partNumber(2).eTag(etag2).build()))).eTag();
    MessageDigest md5OfParts = MessageDigest.getInstance("MD5");
    md5OfParts.update(MessageDigest.getInstance("MD5").digest(first));
    md5OfParts.update(MessageDigest.getInstance("MD5").digest(second));
    assertThat(etag).isEqualTo("\"" + HexFormat.of().formatHex(md5OfParts.digest()) + "-2\"");

    ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket("big").key("movie.bin"));
    assertThat(got.asByteArray()).isEqualTo(whole);
    assertThat(got.response().metadata()).containsEntry("cid", cidOf(whole)).containsEntry("take", "2");
    assertThat(got.response().contentType()).isEqualTo("video/x-test");

    String aborted = s3.createMultipartUpload(b -> b.bucket("big").key("gone.bin")).uploadId();
    s3.abortMultipartUpload(b -> b.bucket("big").key("gone.bin").uploadId(aborted));
    S3Exception noUpload = s3Error(() -> s3.uploadPart(b -> b.bucket("big").key("gone.bin").uploadId(aborted)
        .partNumber(1), RequestBody.fromString("late")));
    assertThat(noUpload.awsErrorDetails().errorCode()).isEqualTo("NoSuchUpload");

    s3.copyObject(b -> b.sourceBucket("big").sourceKey("movie.bin").destinationBucket("big").destinationKey("copy.bin"));
    HeadObjectResponse copy = s3.headObject(b -> b.bucket("big").key("copy.bin"));
    assertThat(copy.metadata()).containsEntry("cid", cidOf(whole)).containsEntry("take", "2");
    assertThat(copy.eTag()).isEqualTo(etag);
    s3.copyObject(b -> b.sourceBucket("big").sourceKey("movie.bin").destinationBucket("big").destinationKey("re.bin")
        .metadataDirective(MetadataDirective.REPLACE).metadata(Map.of("take", "3")).contentType("text/plain"));
    HeadObjectResponse replaced = s3.headObject(b -> b.bucket("big").key("re.bin"));
    assertThat(replaced.metadata()).containsEntry("take", "3");
    assertThat(replaced.contentType()).isEqualTo("text/plain");
  }

  @Test
  void contentMd5IsChecked() throws Exception {
    s3.createBucket(b -> b.bucket("md5"));
    byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
    String wrong = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest("other".getBytes()));
    S3Exception bad = s3Error(() -> s3.putObject(b -> b.bucket("md5").key("k").contentMD5(wrong), RequestBody.fromBytes(body)));
    assertThat(bad.awsErrorDetails().errorCode()).isEqualTo("BadDigest");
    String right = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(body));
    s3.putObject(b -> b.bucket("md5").key("k").contentMD5(right), RequestBody.fromBytes(body));
    assertThat(s3.getObjectAsBytes(b -> b.bucket("md5").key("k")).asUtf8String()).isEqualTo("hello");
  }

  @Test
  void anotherAccountIsDeniedAndAWrongSecretDoesNotSign() {
    s3.createBucket(b -> b.bucket("private"));
    s3.putObject(b -> b.bucket("private").key("secret.txt"), RequestBody.fromString("mine"));
    try (S3Client other = client(bob.accessKeyId(), bob.secretAccessKey())) {
      for (Runnable call : List.<Runnable>of(
          () -> other.getObjectAsBytes(b -> b.bucket("private").key("secret.txt")),
          () -> other.putObject(b -> b.bucket("private").key("x"), RequestBody.fromString("theirs")),
          () -> other.listObjectsV2(b -> b.bucket("private")),
          () -> other.deleteBucket(b -> b.bucket("private")))) {
        S3Exception denied = s3Error(call);
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
      }
      assertThat(other.listBuckets().buckets()).isEmpty();
    }
    try (S3Client wrong = client(alice.accessKeyId(), alice.secretAccessKey().substring(1) + "x")) {
      S3Exception e = s3Error(() -> wrong.listBuckets());
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SignatureDoesNotMatch");
      e = s3Error(() -> wrong.putObject(b -> b.bucket("private").key("y"), RequestBody.fromString("forged")));
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("SignatureDoesNotMatch");
    }
    assertThat(s3.listObjectsV2(b -> b.bucket("private")).contents()).extracting(S3Object::key)
        .containsExactly("secret.txt");
  }

  @Test
  void presignedGetWorksUntilTamperedWith() throws Exception {
    s3.createBucket(b -> b.bucket("shared"));
    byte[] bytes = random(300_000, 7);
    s3.putObject(b -> b.bucket("shared").key("a b.bin"), RequestBody.fromBytes(bytes));
    URI url;
    try (S3Presigner presigner = S3Presigner.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(alice.accessKeyId(), alice.secretAccessKey())))
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build()).build()) {
      url = presigner.presignGetObject(GetObjectPresignRequest.builder().signatureDuration(Duration.ofMinutes(5))
          .getObjectRequest(r -> r.bucket("shared").key("a b.bin")).build()).url().toURI();
    }
    HttpResponse<byte[]> ok = http.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo(bytes);
    assertThat(ok.headers().firstValue("x-amz-meta-cid")).contains(cidOf(bytes));

    String tamperedKey = url.toString().replace("/a%20b.bin", "/a%20c.bin");
    HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(tamperedKey)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(403);
    assertThat(bad.body()).contains("<Code>SignatureDoesNotMatch</Code>");

    String s = url.toString();
    int sig = s.indexOf("X-Amz-Signature=") + "X-Amz-Signature=".length();
    String flipped = s.substring(0, sig) + (s.charAt(sig) == '0' ? '1' : '0') + s.substring(sig + 1);
    bad = http.send(HttpRequest.newBuilder(URI.create(flipped)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(bad.statusCode()).isEqualTo(403);
    assertThat(bad.body()).contains("<Code>SignatureDoesNotMatch</Code>");
  }

  @Test
  void publicReadBucketsServeAnonymousReadsOnly() throws Exception {
    s3.createBucket(b -> b.bucket("public").acl(BucketCannedACL.PUBLIC_READ));
    s3.createBucket(b -> b.bucket("closed"));
    s3.putObject(b -> b.bucket("public").key("hello.txt").contentType("text/plain"), RequestBody.fromString("hi"));
    s3.putObject(b -> b.bucket("closed").key("hello.txt"), RequestBody.fromString("hi"));

    HttpResponse<String> get = http.send(HttpRequest.newBuilder(endpoint.resolve("/public/hello.txt")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.body()).isEqualTo("hi");
    assertThat(get.headers().firstValue("Content-Type")).contains("text/plain");
    String etag = get.headers().firstValue("ETag").orElseThrow();

    HttpResponse<String> notModified = http.send(HttpRequest.newBuilder(endpoint.resolve("/public/hello.txt"))
        .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(notModified.statusCode()).isEqualTo(304);

    HttpResponse<String> closed = http.send(HttpRequest.newBuilder(endpoint.resolve("/closed/hello.txt")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(closed.statusCode()).isEqualTo(403);
    assertThat(closed.body()).contains("<Code>AccessDenied</Code>");

    HttpResponse<String> anonymousPut = http.send(HttpRequest.newBuilder(endpoint.resolve("/public/new.txt"))
        .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(anonymousPut.statusCode()).isEqualTo(403);
    assertThat(anonymousPut.body()).contains("<Code>AccessDenied</Code>");

    HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(endpoint.resolve("/public?tagging")).build(),
        HttpResponse.BodyHandlers.ofString());
    // public-read grants reads of objects and listings, nothing else: an operation the gateway
    // lacks is refused to an anonymous caller as S3 refuses it (GetBucketTagging needs a grant)
    assertThat(unknown.statusCode()).isEqualTo(403);
    assertThat(unknown.body()).contains("<Code>AccessDenied</Code>");
  }
}
