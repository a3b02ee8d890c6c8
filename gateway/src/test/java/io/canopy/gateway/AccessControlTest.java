package io.canopy.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.UnauthorizedException;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.gateway.openai.AccessKeyApiKeys;
import io.canopy.gateway.openai.Embeddings;
import io.canopy.gateway.openai.Generated;
import io.canopy.gateway.openai.InferenceBackend;
import io.canopy.gateway.openai.InferenceException;
import io.canopy.gateway.openai.ModelInfo;
import io.canopy.gateway.openai.Prompt;
import io.canopy.gateway.openai.TextSink;
import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import io.canopy.protocol.compute.Params;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
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
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.Tag;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Access control of the gateway's faces, end to end: a real gateway (IPFS path gateway, S3 and
 * OpenAI on 127.0.0.1), metadata in SQLite, objects in a FileBlockstore under a node home, two
 * accounts (alice and bob) with their own access keys, and the real AWS SDK v2 and OpenAI Java SDK
 * as clients. What the SDKs will not send (a tampered signature, another scope, {@code ..} in a
 * path) goes over raw HTTP, signed with the SDK's own SigV4 signer. Each test ends by checking
 * that alice's data is intact, byte for byte.
 */
@Timeout(180)
class AccessControlTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PRIVATE = "alice-private";
  private static final String SECRET_KEY = "reports/q3.csv";

  @TempDir Path root;
  private Path home;
  private JdbcS3Metadata metadata;
  private Gateway gateway;
  private URI s3Endpoint;
  private URI ipfsEndpoint;
  private URI openAiEndpoint;
  private AccessKey alice;
  private AccessKey bob;
  private S3Client asAlice;
  private S3Client asBob;
  private byte[] secret;
  private String secretCid;
  private String uploadId;
  private final List<String> billedAccounts = new CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** Embeddings of the model "tiny" for anyone; records the account each call is billed to. */
  private final InferenceBackend recordingBackend = new InferenceBackend() {
    @Override
    public List<ModelInfo> models() {
      return List.of(ModelInfo.embedding("tiny", 1, "canopy", 2));
    }

    @Override
    public Embeddings embed(String account, String model, List<String> inputs) {
      billedAccounts.add(account);
      return new Embeddings(inputs.stream().map(s -> new float[] {1, 0}).toArray(float[][]::new), inputs.size());
    }

    @Override
    public Generated generate(String account, String model, Prompt prompt, Params params, TextSink sink) {
      throw new InferenceException.UnknownModel(model);
    }
  };

  @BeforeEach
  void start() throws Exception {
    home = Files.createDirectories(root.resolve("home"));
    metadata = JdbcS3Metadata.openSqlite(home.resolve("s3.db"));
    metadata.createAccount("alice");
    metadata.createAccount("bob");
    alice = metadata.issueAccessKey("alice");
    bob = metadata.issueAccessKey("bob");
    FileBlockstore blocks = FileBlockstore.open(home.resolve("blocks"));
    InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
    gateway = Gateway.start(any, blocks, new Gateway.S3Face(any, metadata),
        new Gateway.OpenAiFace(any, recordingBackend, new AccessKeyApiKeys(metadata)));
    s3Endpoint = gateway.urls().get("s3");
    ipfsEndpoint = gateway.urls().get("ipfsGateway");
    openAiEndpoint = gateway.urls().get("openai");
    asAlice = client(alice.accessKeyId(), alice.secretAccessKey());
    asBob = client(bob.accessKeyId(), bob.secretAccessKey());

    secret = new byte[300_000];
    new Random(7).nextBytes(secret);
    asAlice.createBucket(b -> b.bucket(PRIVATE));
    secretCid = asAlice.putObject(b -> b.bucket(PRIVATE).key(SECRET_KEY), RequestBody.fromBytes(secret))
        .sdkHttpResponse().firstMatchingHeader("x-amz-meta-cid").orElseThrow();
    uploadId = asAlice.createMultipartUpload(b -> b.bucket(PRIVATE).key("big.bin")).uploadId();
    asAlice.uploadPart(b -> b.bucket(PRIVATE).key("big.bin").uploadId(uploadId).partNumber(1),
        RequestBody.fromString("alice's part"));
    asBob.createBucket(b -> b.bucket("bob-bucket"));
  }

  @AfterEach
  void stop() {
    asAlice.close();
    asBob.close();
    gateway.close();
    metadata.close();
  }

  private S3Client client(String keyId, String secretKey) {
    return S3Client.builder()
        .endpointOverride(s3Endpoint)
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(keyId, secretKey)))
        .forcePathStyle(true)
        .overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  // ---- 1. one account cannot read or change another's private objects -------------------------------

  @Test
  void anotherAccountGetsAccessDeniedForEveryOperationOnAPrivateBucket() throws Exception {
    String upload = uploadId;
    List<Map.Entry<String, Runnable>> calls = List.of(
        Map.entry("GetObject", () -> asBob.getObjectAsBytes(b -> b.bucket(PRIVATE).key(SECRET_KEY))),
        Map.entry("HeadObject", () -> asBob.headObject(b -> b.bucket(PRIVATE).key(SECRET_KEY))),
        Map.entry("ranged GetObject", () -> asBob.getObjectAsBytes(b -> b.bucket(PRIVATE).key(SECRET_KEY)
            .range("bytes=0-9"))),
        Map.entry("GetObject partNumber", () -> asBob.getObjectAsBytes(b -> b.bucket(PRIVATE).key(SECRET_KEY)
            .partNumber(1))),
        Map.entry("ListObjectsV2", () -> asBob.listObjectsV2(b -> b.bucket(PRIVATE))),
        Map.entry("ListObjects", () -> asBob.listObjects(b -> b.bucket(PRIVATE))),
        Map.entry("HeadBucket", () -> asBob.headBucket(b -> b.bucket(PRIVATE))),
        Map.entry("GetBucketLocation", () -> asBob.getBucketLocation(b -> b.bucket(PRIVATE))),
        Map.entry("PutObject (overwrite)", () -> asBob.putObject(b -> b.bucket(PRIVATE).key(SECRET_KEY),
            RequestBody.fromString("bob was here"))),
        Map.entry("PutObject (new key)", () -> asBob.putObject(b -> b.bucket(PRIVATE).key("bobs-file"),
            RequestBody.fromString("bob was here"))),
        Map.entry("DeleteObject", () -> asBob.deleteObject(b -> b.bucket(PRIVATE).key(SECRET_KEY))),
        Map.entry("DeleteObjects", () -> asBob.deleteObjects(b -> b.bucket(PRIVATE).delete(Delete.builder()
            .objects(ObjectIdentifier.builder().key(SECRET_KEY).build()).build()))),
        Map.entry("CopyObject out of alice's bucket", () -> asBob.copyObject(b -> b.sourceBucket(PRIVATE)
            .sourceKey(SECRET_KEY).destinationBucket("bob-bucket").destinationKey("stolen"))),
        Map.entry("CopyObject into alice's bucket", () -> asBob.copyObject(b -> b.sourceBucket(PRIVATE)
            .sourceKey(SECRET_KEY).destinationBucket(PRIVATE).destinationKey("copied"))),
        Map.entry("GetObjectTagging", () -> asBob.getObjectTagging(b -> b.bucket(PRIVATE).key(SECRET_KEY))),
        Map.entry("CreateMultipartUpload", () -> asBob.createMultipartUpload(b -> b.bucket(PRIVATE).key("bobs"))),
        Map.entry("UploadPart into alice's upload", () -> asBob.uploadPart(b -> b.bucket(PRIVATE).key("big.bin")
            .uploadId(upload).partNumber(2), RequestBody.fromString("bob's part"))),
        Map.entry("UploadPart replacing alice's part", () -> asBob.uploadPart(b -> b.bucket(PRIVATE)
            .key("big.bin").uploadId(upload).partNumber(1), RequestBody.fromString("bob's part"))),
        Map.entry("UploadPartCopy into alice's upload", () -> asBob.uploadPartCopy(b -> b.sourceBucket("bob-bucket")
            .sourceKey("x").destinationBucket(PRIVATE).destinationKey("big.bin").uploadId(upload).partNumber(3))),
        Map.entry("ListParts", () -> asBob.listParts(b -> b.bucket(PRIVATE).key("big.bin").uploadId(upload))),
        Map.entry("ListMultipartUploads", () -> asBob.listMultipartUploads(b -> b.bucket(PRIVATE))),
        Map.entry("CompleteMultipartUpload", () -> asBob.completeMultipartUpload(b -> b.bucket(PRIVATE)
            .key("big.bin").uploadId(upload).multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1)
                .eTag("\"x\"").build())))),
        Map.entry("AbortMultipartUpload", () -> asBob.abortMultipartUpload(b -> b.bucket(PRIVATE).key("big.bin")
            .uploadId(upload))),
        Map.entry("DeleteBucket", () -> asBob.deleteBucket(b -> b.bucket(PRIVATE))));
    for (Map.Entry<String, Runnable> call : calls) {
      S3Exception e = catchThrowableOfType(S3Exception.class, call.getValue()::run);
      assertThat(e).as(call.getKey() + " by bob").isNotNull();
      assertThat(e.statusCode()).as(call.getKey() + " by bob").isEqualTo(403);
      if (!call.getKey().startsWith("Head")) { // a HEAD answer has no body to carry the code
        assertThat(e.awsErrorDetails().errorCode()).as(call.getKey() + " by bob").isEqualTo("AccessDenied");
      }
    }
    // The copy source alone decides a copy into bob's own upload: alice's object stays out of it.
    String bobsUpload = asBob.createMultipartUpload(b -> b.bucket("bob-bucket").key("loot")).uploadId();
    S3Exception partCopy = catchThrowableOfType(S3Exception.class, () -> asBob.uploadPartCopy(b -> b
        .sourceBucket(PRIVATE).sourceKey(SECRET_KEY).destinationBucket("bob-bucket").destinationKey("loot")
        .uploadId(bobsUpload).partNumber(1)));
    assertThat(partCopy.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
    assertThat(asBob.listParts(b -> b.bucket("bob-bucket").key("loot").uploadId(bobsUpload)).parts()).isEmpty();
    // Alice's upload id is no capability: under bob's own bucket (same key) it names no upload.
    asBob.putObject(b -> b.bucket("bob-bucket").key("x"), RequestBody.fromString("bob's x"));
    for (Runnable withAlicesId : List.<Runnable>of(
        () -> asBob.uploadPart(b -> b.bucket("bob-bucket").key("big.bin").uploadId(upload).partNumber(1),
            RequestBody.fromString("bob's part")),
        () -> asBob.listParts(b -> b.bucket("bob-bucket").key("big.bin").uploadId(upload)),
        () -> asBob.completeMultipartUpload(b -> b.bucket("bob-bucket").key("big.bin").uploadId(upload)
            .multipartUpload(m -> m.parts(CompletedPart.builder().partNumber(1).eTag("\"x\"").build()))),
        () -> asBob.abortMultipartUpload(b -> b.bucket("bob-bucket").key("big.bin").uploadId(upload)))) {
      S3Exception e = catchThrowableOfType(S3Exception.class, withAlicesId::run);
      assertThat(e).isNotNull();
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NoSuchUpload");
    }
    // Tag writes are not implemented for anybody: nothing to take, and the object is unchanged.
    S3Exception tagging = catchThrowableOfType(S3Exception.class, () -> asBob.putObjectTagging(b -> b.bucket(PRIVATE)
        .key(SECRET_KEY).tagging(t -> t.tagSet(Tag.builder().key("owner").value("bob").build()))));
    assertThat(tagging.statusCode()).isIn(403, 501);
    // Bob's own listings show nothing of alice's.
    assertThat(asBob.listBuckets().buckets()).extracting(b -> b.name()).containsExactly("bob-bucket");
    assertThat(asBob.listObjectsV2(b -> b.bucket("bob-bucket")).contents()).extracting(o -> o.key())
        .containsExactly("x");

    assertAliceIntact();
  }

  @Test
  void anonymousRequestsGetAccessDeniedAsS3ErrorXml() throws Exception {
    String object = "/" + PRIVATE + "/" + SECRET_KEY;
    List<HttpRequest> requests = List.of(
        anonymous("GET", object, null),
        anonymous("GET", "/" + PRIVATE, null),
        anonymous("GET", "/" + PRIVATE + "?list-type=2", null),
        anonymous("GET", "/" + PRIVATE + "?uploads", null),
        anonymous("GET", "/" + PRIVATE + "/big.bin?uploadId=" + uploadId, null),
        anonymous("GET", object + "?tagging", null),
        anonymous("GET", "/", null),
        anonymous("PUT", object, "anonymous overwrite"),
        anonymous("PUT", "/" + PRIVATE + "/big.bin?partNumber=1&uploadId=" + uploadId, "anonymous part"),
        anonymous("POST", "/" + PRIVATE + "/new?uploads", null),
        anonymous("DELETE", object, null),
        anonymous("DELETE", "/" + PRIVATE + "/big.bin?uploadId=" + uploadId, null),
        anonymous("DELETE", "/" + PRIVATE, null),
        anonymous("PUT", "/anonymous-bucket", null),
        // operations the gateway does not have: refused as anonymous first, as S3 does, not 501
        anonymous("PUT", object + "?tagging", "<Tagging><TagSet/></Tagging>"),
        anonymous("GET", "/" + PRIVATE + "?acl", null));
    for (HttpRequest request : requests) {
      HttpResponse<String> r = http.send(request, BodyHandlers.ofString());
      String what = request.method() + " " + request.uri().getRawPath() + "?" + request.uri().getRawQuery();
      assertThat(r.statusCode()).as(what + ": " + r.body()).isEqualTo(403);
      assertThat(r.headers().firstValue("Content-Type")).as(what).hasValue("application/xml");
      // The error names the resource the caller asked for (as S3 does), nothing more of the bucket.
      assertThat(r.body()).as(what).contains("<Error>").contains("<Code>AccessDenied</Code>")
          .doesNotContain(secretCid).doesNotContain("<Contents>").doesNotContain("<Upload>").doesNotContain("<Part>");
    }
    HttpResponse<String> head = http.send(HttpRequest.newBuilder(s3Endpoint.resolve(object))
        .method("HEAD", BodyPublishers.noBody()).build(), BodyHandlers.ofString());
    assertThat(head.statusCode()).isEqualTo(403);
    assertThat(head.headers().firstValue("x-amz-meta-cid")).isEmpty();
    assertThat(metadata.bucket("anonymous-bucket")).isEmpty();
    assertAliceIntact();
  }

  /**
   * Content on IPFS is public by CID, by design: whoever has an object's CID reads its bytes from the
   * IPFS gateway. What S3 keeps private (bucket names, keys, listings, user metadata) must not show
   * there: an object's DAG is a plain file, so neither the key nor the bucket is in it.
   */
  @Test
  void theIpfsGatewayServesContentByCidButNoBucketsKeysOrMetadata() throws Exception {
    asAlice.putObject(b -> b.bucket(PRIVATE).key("notes/diary.txt").metadata(Map.of("mood", "secretive")),
        RequestBody.fromString("dear diary"));
    HttpResponse<byte[]> byCid = http.send(HttpRequest.newBuilder(ipfsEndpoint.resolve("/ipfs/" + secretCid)).build(),
        BodyHandlers.ofByteArray());
    assertThat(byCid.statusCode()).isEqualTo(200);
    assertThat(byCid.body()).isEqualTo(secret); // public by CID, as documented
    String headers = byCid.headers().map().toString();
    assertThat(headers).doesNotContain(PRIVATE).doesNotContain("q3.csv").doesNotContain("reports");
    // The object's CID is a file, not a folder: there is no path below it and no listing of it.
    HttpResponse<String> below = http.send(HttpRequest.newBuilder(ipfsEndpoint.resolve("/ipfs/" + secretCid
        + "/reports/q3.csv")).build(), BodyHandlers.ofString());
    assertThat(below.statusCode()).isIn(400, 404);
    assertThat(below.body()).doesNotContain(PRIVATE);
    // Nothing but /ipfs/CID is served: no bucket names, keys, Kubo RPC or S3 paths on this face.
    for (String path : List.of("/", "/ipfs/", "/" + PRIVATE, "/" + PRIVATE + "/" + SECRET_KEY, "/ipns/" + PRIVATE,
        "/api/v0/refs/local", "/api/v0/pin/ls", "/api/v0/ls?arg=" + secretCid, "/ipfs/" + PRIVATE)) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(ipfsEndpoint.resolve(path))
          .method(path.startsWith("/api") ? "POST" : "GET", BodyPublishers.noBody()).build(), BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path + ": " + r.body()).isBetween(400, 405);
      // An error may repeat the path asked for; it shows nothing else of the S3 face.
      assertThat(r.body()).as(path).doesNotContain("diary").doesNotContain("secretive").doesNotContain("big.bin");
    }
  }

  // ---- 2. one account cannot use another's keys -----------------------------------------------------

  @Test
  void requestsWithSomeoneElsesKeyOrAnAlteredSignatureAreRefused() throws Exception {
    String object = "/" + PRIVATE + "/" + SECRET_KEY;
    // Alice's access key id with bob's secret.
    try (S3Client mixed = client(alice.accessKeyId(), bob.secretAccessKey())) {
      assertSdkError(() -> mixed.getObjectAsBytes(b -> b.bucket(PRIVATE).key(SECRET_KEY)), 403,
          "SignatureDoesNotMatch");
      assertSdkError(() -> mixed.putObject(b -> b.bucket(PRIVATE).key(SECRET_KEY), RequestBody.fromString("x")), 403,
          "SignatureDoesNotMatch");
    }
    // An id nobody issued.
    try (S3Client unknown = client("CNPYNOSUCHKEY0000000", bob.secretAccessKey())) {
      assertSdkError(() -> unknown.getObjectAsBytes(b -> b.bucket(PRIVATE).key(SECRET_KEY)), 403,
          "InvalidAccessKeyId");
    }
    Clock now = Clock.systemUTC();
    // Correctly signed by alice: the baseline every alteration below breaks.
    assertThat(send(sign(alice, "GET", object, "us-east-1", "s3", now, null)).statusCode()).isEqualTo(200);

    // Tampered signature: one hex digit changed.
    HttpRequest good = sign(alice, "GET", object, "us-east-1", "s3", now, null);
    String authorization = good.headers().firstValue("Authorization").orElseThrow();
    char last = authorization.charAt(authorization.length() - 1);
    String tampered = authorization.substring(0, authorization.length() - 1) + (last == '0' ? '1' : '0');
    assertS3Error(send(copyWith(good, "Authorization", tampered)), 403, "SignatureDoesNotMatch");
    // The scope edited to another region, service or date after signing.
    assertS3Error(send(copyWith(good, "Authorization", authorization.replace("/us-east-1/", "/eu-west-1/"))), 403,
        "SignatureDoesNotMatch");
    assertS3Error(send(copyWith(good, "Authorization", authorization.replace("/s3/", "/sqs/"))), 400,
        "AuthorizationHeaderMalformed");
    assertS3Error(send(copyWith(good, "Authorization", authorization.replaceFirst("/\\d{8}/", "/20200101/"))), 400,
        "AuthorizationHeaderMalformed");
    // Signed for another service with alice's own secret.
    assertS3Error(send(sign(alice, "GET", object, "us-east-1", "sqs", now, null)), 400,
        "AuthorizationHeaderMalformed");
    // Bob's correct signature on alice's object: authenticated, but not authorized.
    assertS3Error(send(sign(bob, "GET", object, "us-east-1", "s3", now, null)), 403, "AccessDenied");

    // A replay: X-Amz-Date 16 minutes old (S3 allows 15 minutes of skew), and one from the future.
    Clock sixteenMinutesAgo = Clock.offset(now, Duration.ofMinutes(-16));
    HttpResponse<String> replayed = send(sign(alice, "GET", object, "us-east-1", "s3", sixteenMinutesAgo, null));
    assertS3Error(replayed, 403, "RequestTimeTooSkewed");
    assertThat(replayed.body()).doesNotContain(SECRET_KEY.substring(SECRET_KEY.indexOf('/') + 1) + "</Key>");
    assertS3Error(send(sign(alice, "GET", object, "us-east-1", "s3", Clock.offset(now, Duration.ofMinutes(16)), null)),
        403, "RequestTimeTooSkewed");
    assertS3Error(send(sign(alice, "PUT", object, "us-east-1", "s3", sixteenMinutesAgo, "replayed write")), 403,
        "RequestTimeTooSkewed");
    // Within the skew it is still alice's request (what S3 does too).
    assertThat(send(sign(alice, "GET", object, "us-east-1", "s3", Clock.offset(now, Duration.ofMinutes(-14)), null))
        .statusCode()).isEqualTo(200);

    // A revoked key stops working at once, on S3 and on the OpenAI face alike.
    AccessKey second = metadata.issueAccessKey("alice");
    try (S3Client withSecond = client(second.accessKeyId(), second.secretAccessKey())) {
      assertThat(withSecond.headObject(b -> b.bucket(PRIVATE).key(SECRET_KEY)).contentLength())
          .isEqualTo(secret.length);
      assertThat(metadata.revokeAccessKey(second.accessKeyId())).isTrue();
      assertSdkError(() -> withSecond.getObjectAsBytes(b -> b.bucket(PRIVATE).key(SECRET_KEY)), 403,
          "InvalidAccessKeyId");
      assertSdkError(() -> withSecond.putObject(b -> b.bucket(PRIVATE).key(SECRET_KEY), RequestBody.fromString("x")),
          403, "InvalidAccessKeyId");
      assertSdkError(() -> withSecond.listBuckets(), 403, "InvalidAccessKeyId");
    }
    assertS3Error(send(sign(second, "GET", object, "us-east-1", "s3", now, null)), 403, "InvalidAccessKeyId");
    assertAliceIntact();
  }

  /** With the accepted regions configured, a signature for another region is refused before its check. */
  @Test
  void aGatewayWithConfiguredRegionsRefusesSignaturesForOthers() throws Exception {
    InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
    Gateway strict = Gateway.start(null, new io.canopy.content.blockstore.MemoryBlockstore(), new Gateway.S3Face(any, metadata,
        io.canopy.gateway.s3.data.ObjectKeeper.KEEP_EVERYTHING, null, io.canopy.gateway.s3.auth.S3AuthConfig.builder().regions(Set.of("us-east-1")).build()));
    try {
      URI saved = s3Endpoint;
      s3Endpoint = strict.urls().get("s3");
      // ListBuckets: metadata only, as this gateway has no blocks of its own.
      HttpResponse<String> listed = send(sign(alice, "GET", "/", "us-east-1", "s3", Clock.systemUTC(), null));
      assertThat(listed.statusCode()).isEqualTo(200);
      assertThat(listed.body()).contains("<Name>" + PRIVATE + "</Name>");
      assertS3Error(send(sign(alice, "GET", "/", "eu-west-1", "s3", Clock.systemUTC(), null)), 400,
          "AuthorizationHeaderMalformed");
      s3Endpoint = saved;
    } finally {
      strict.close();
    }
  }

  // ---- 3. one account cannot spend another's balance ------------------------------------------------

  @Test
  void openAiJobsAreBilledToTheKeysOwnAccountAndBadKeysAreRefusedUncharged() throws Exception {
    String aliceKey = AccessKeyApiKeys.apiKey(alice);
    String bobKey = AccessKeyApiKeys.apiKey(bob);
    embedWithSdk(aliceKey);
    embedWithSdk(bobKey);
    embedWithSdk(aliceKey);
    assertThat(billedAccounts).containsExactly("alice", "bob", "alice");
    billedAccounts.clear();

    // A revoked key: the OpenAI SDK sees 401.
    AccessKey revoked = metadata.issueAccessKey("bob");
    embedWithSdk(AccessKeyApiKeys.apiKey(revoked));
    assertThat(metadata.revokeAccessKey(revoked.accessKeyId())).isTrue();
    billedAccounts.clear();
    UnauthorizedException refused = catchThrowableOfType(UnauthorizedException.class,
        () -> embedWithSdk(AccessKeyApiKeys.apiKey(revoked)));
    assertThat(refused).as("a revoked key").isNotNull();
    assertThat(refused.statusCode()).isEqualTo(401);

    // A key of another network: a gateway with its own key database issued it.
    AccessKey foreign;
    try (JdbcS3Metadata otherNetwork = JdbcS3Metadata.openSqlite(root.resolve("other-network.db"))) {
      otherNetwork.createAccount("alice"); // same account name, other network
      foreign = otherNetwork.issueAccessKey("alice");
    }
    String aliceId = alice.accessKeyId();
    List<String> badKeys = List.of(
        AccessKeyApiKeys.apiKey(foreign),
        "sk-canopy-" + aliceId + "-" + bob.secretAccessKey(), // alice's id, bob's secret
        "sk-canopy-" + bob.accessKeyId() + "-" + alice.secretAccessKey(),
        "sk-canopy-" + aliceId + "-" + alice.secretAccessKey().substring(1), // cut by one character
        "sk-canopy-" + aliceId + "-" + alice.secretAccessKey() + "x",
        "sk-canopy-" + aliceId, // no secret
        "sk-canopy-" + aliceId + "-",
        "sk-canopy--" + alice.secretAccessKey(),
        "sk-canopy-",
        "sk-" + aliceId + "-" + alice.secretAccessKey(),
        aliceId + ":" + alice.secretAccessKey(),
        "sk-canopy-" + aliceId.toLowerCase() + "-" + alice.secretAccessKey(),
        "sk-canopy-' OR '1'='1-x");
    for (String key : badKeys) {
      assertInvalidApiKey(rawEmbed("Bearer " + key), key);
    }
    // Malformed Authorization headers.
    for (String header : List.of("Bearer", "Bearer ", "Basic " + java.util.Base64.getEncoder().encodeToString(
        (aliceId + ":" + alice.secretAccessKey()).getBytes(StandardCharsets.UTF_8)), aliceKey, "Token " + aliceKey,
        "AWS4-HMAC-SHA256 Credential=" + aliceId + "/20260101/us-east-1/s3/aws4_request")) {
      assertInvalidApiKey(rawEmbed(header), header);
    }
    assertInvalidApiKey(rawEmbed(null), "no header");
    assertThat(billedAccounts).as("nothing billed for refused keys").isEmpty();
    // The refusals did not disturb the good keys.
    embedWithSdk(bobKey);
    assertThat(billedAccounts).containsExactly("bob");
  }

  private void embedWithSdk(String apiKey) {
    OpenAIClient client = OpenAIOkHttpClient.builder().apiKey(apiKey).baseUrl(openAiEndpoint + "/v1").maxRetries(0)
        .build();
    try {
      assertThat(client.embeddings().create(EmbeddingCreateParams.builder().model("tiny").input("hello").build())
          .data()).hasSize(1);
    } finally {
      client.close();
    }
  }

  private HttpResponse<String> rawEmbed(String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(openAiEndpoint.resolve("/v1/embeddings"))
        .header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString("{\"model\":\"tiny\",\"input\":\"hello\"}"));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), BodyHandlers.ofString());
  }

  private void assertInvalidApiKey(HttpResponse<String> r, String what) throws Exception {
    assertThat(r.statusCode()).as(what + ": " + r.body()).isEqualTo(401);
    JsonNode error = JSON.readTree(r.body()).path("error");
    assertThat(error.path("code").asText()).as(what).isEqualTo("invalid_api_key");
    assertThat(error.path("type").asText()).as(what).isEqualTo("invalid_request_error");
    assertThat(r.body()).as("the secret is not echoed").doesNotContain(alice.secretAccessKey())
        .doesNotContain(bob.secretAccessKey());
  }

  // ---- 4. presigned URLs cannot be widened ----------------------------------------------------------

  @Test
  void aPresignedGetCannotBeWidenedOverTheWire() throws Exception {
    URI url;
    try (S3Presigner presigner = presigner(alice)) {
      url = presigner.presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(10))
          .getObjectRequest(g -> g.bucket(PRIVATE).key(SECRET_KEY))).url().toURI();
    }
    asAlice.putObject(b -> b.bucket(PRIVATE).key("other.csv"), RequestBody.fromString("other"));
    HttpResponse<byte[]> ok = http.send(HttpRequest.newBuilder(url).build(), BodyHandlers.ofByteArray());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo(secret);

    String path = url.getRawPath();
    String query = url.getRawQuery();
    String sdm = "SignatureDoesNotMatch";
    assertS3Error(send(rawRequest("PUT", path, query, "overwritten")), 403, sdm);
    assertS3Error(send(rawRequest("DELETE", path, query, null)), 403, sdm);
    assertS3Error(send(rawRequest("POST", path, query + "&uploads=", null)), 403, sdm);
    assertS3Error(send(rawRequest("GET", "/" + PRIVATE + "/other.csv", query, null)), 403, sdm);
    assertS3Error(send(rawRequest("GET", "/bob-bucket/" + SECRET_KEY, query, null)), 403, sdm);
    assertS3Error(send(rawRequest("GET", "/" + PRIVATE, query, null)), 403, sdm); // a listing
    assertS3Error(send(rawRequest("GET", path, query + "&response-content-type=text%2Fhtml", null)), 403, sdm);
    assertS3Error(send(rawRequest("GET", path, query + "&versionId=null", null)), 403, sdm);
    assertS3Error(send(rawRequest("GET", path, query + "&tagging=", null)), 403, sdm);
    assertS3Error(send(rawRequest("GET", path, query.replace("X-Amz-Expires=600", "X-Amz-Expires=6000"), null)),
        403, sdm);
    assertS3Error(send(rawRequest("GET", path, query.replace("X-Amz-Expires=600", "X-Amz-Expires=604801"), null)),
        400, "AuthorizationQueryParametersError");
    assertS3Error(send(rawRequest("GET", path, query.replace(alice.accessKeyId(), bob.accessKeyId()), null)), 403, sdm);
    // An x-amz-* header the URL did not sign (here one that would turn a GET into a copy source read).
    assertS3Error(send(HttpRequest.newBuilder(url).header("x-amz-copy-source", "/bob-bucket/x").build()), 403,
        "AccessDenied");

    // Expired: signed two hours ago for one hour.
    HttpRequest expired = presign(alice, "GET", "/" + PRIVATE + "/" + SECRET_KEY,
        Clock.offset(Clock.systemUTC(), Duration.ofHours(-2)), Duration.ofHours(1), Map.of());
    HttpResponse<String> expiredReply = send(expired);
    assertS3Error(expiredReply, 403, "AccessDenied");
    assertThat(expiredReply.body()).contains("Request has expired");

    // Bob presigning alice's object: a valid signature, but bob may not read it.
    URI bobs;
    try (S3Presigner presigner = presigner(bob)) {
      bobs = presigner.presignGetObject(r -> r.signatureDuration(Duration.ofMinutes(10))
          .getObjectRequest(g -> g.bucket(PRIVATE).key(SECRET_KEY))).url().toURI();
    }
    assertS3Error(send(HttpRequest.newBuilder(bobs).build()), 403, "AccessDenied");
    assertAliceIntact();
  }

  @Test
  void aPresignedPutNeedsItsSignedHeadersAndWritesOnlyItsKey() throws Exception {
    URI url;
    Map<String, List<String>> signedHeaders;
    try (S3Presigner presigner = presigner(alice)) {
      var presigned = presigner.presignPutObject(r -> r.signatureDuration(Duration.ofMinutes(10))
          .putObjectRequest(p -> p.bucket(PRIVATE).key("inbox/upload.csv").contentType("text/csv")
              .metadata(Map.of("origin", "form"))));
      url = presigned.url().toURI();
      signedHeaders = presigned.signedHeaders();
    }
    assertThat(signedHeaders).containsKeys("content-type", "x-amz-meta-origin");
    String path = url.getRawPath();
    String query = url.getRawQuery();
    // Signed headers omitted, or changed.
    assertS3Error(send(HttpRequest.newBuilder(url).PUT(BodyPublishers.ofString("a,b")).build()), 403,
        "SignatureDoesNotMatch");
    assertS3Error(send(HttpRequest.newBuilder(url).header("Content-Type", "text/csv")
        .PUT(BodyPublishers.ofString("a,b")).build()), 403, "SignatureDoesNotMatch");
    assertS3Error(send(HttpRequest.newBuilder(url).header("Content-Type", "text/html").header("x-amz-meta-origin", "form")
        .PUT(BodyPublishers.ofString("a,b")).build()), 403, "SignatureDoesNotMatch");
    // Another key, or the secret object, with the same URL.
    assertS3Error(send(withSignedHeaders(rawRequestBuilder("PUT", "/" + PRIVATE + "/" + SECRET_KEY, query, "x"))),
        403, "SignatureDoesNotMatch");
    assertS3Error(send(withSignedHeaders(rawRequestBuilder("GET", path, query, null))), 403, "SignatureDoesNotMatch");
    assertS3Error(send(withSignedHeaders(rawRequestBuilder("DELETE", path, query, null))), 403,
        "SignatureDoesNotMatch");
    assertThat(asAlice.listObjectsV2(b -> b.bucket(PRIVATE).prefix("inbox/")).contents()).isEmpty();
    // As signed: stored, under that key only.
    HttpResponse<String> put = send(withSignedHeaders(rawRequestBuilder("PUT", path, query, "a,b\n1,2\n")));
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
    assertThat(asAlice.getObjectAsBytes(b -> b.bucket(PRIVATE).key("inbox/upload.csv")).asUtf8String())
        .isEqualTo("a,b\n1,2\n");
    assertAliceIntact();
  }

  private static HttpRequest withSignedHeaders(HttpRequest.Builder b) {
    return b.header("Content-Type", "text/csv").header("x-amz-meta-origin", "form").build();
  }

  private S3Presigner presigner(AccessKey key) {
    return S3Presigner.builder()
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(key.accessKeyId(), key.secretAccessKey())))
        .endpointOverride(s3Endpoint)
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
        .build();
  }

  // ---- 5. path traversal never leaves the node's home -----------------------------------------------

  @Test
  void traversalKeysAndBucketNamesStayInsideTheHome() throws Exception {
    Set<String> outsideBefore = filesOutsideHome();
    Path passwd = Path.of("/etc/passwd");
    FileTime passwdModified = Files.exists(passwd) ? Files.getLastModifiedTime(passwd) : null;

    // Keys are names in the metadata, never file paths: each is stored and read back as itself.
    List<String> keys = List.of("../../etc/passwd", "a/../../x", "%2e%2e/%2e%2e/escape", "..\\..\\windows",
        "/etc/shadow", "./.././../home", "../" + "a".repeat(1000));
    for (String key : keys) {
      byte[] body = ("content of " + key).getBytes(StandardCharsets.UTF_8);
      asAlice.putObject(b -> b.bucket(PRIVATE).key(key), RequestBody.fromBytes(body));
      assertThat(asAlice.getObjectAsBytes(b -> b.bucket(PRIVATE).key(key)).asByteArray()).as(key).isEqualTo(body);
    }
    assertThat(asAlice.listObjectsV2(b -> b.bucket(PRIVATE)).contents()).extracting(o -> o.key())
        .containsAll(keys);
    // A key over 1024 bytes of UTF-8.
    String tooLong = "../".repeat(342);
    assertSdkError(() -> asAlice.putObject(b -> b.bucket(PRIVATE).key(tooLong), RequestBody.fromString("x")), 400,
        "KeyTooLongError");

    // Raw paths the SDK would not send: dot segments and encoded ones resolve to no other bucket.
    String n = "/" + PRIVATE;
    for (String rawPath : List.of(n + "/../bob-bucket/x", n + "/..%2F..%2Fetc%2Fpasswd", n + "/%2e%2e/%2e%2e/etc/passwd",
        n + "/a%00b", n + "/..%5C..%5Cx")) {
      HttpResponse<String> put = send(sign(alice, "PUT", rawPath, "us-east-1", "s3", Clock.systemUTC(), "raw"));
      // 200: stored under a key that is just a name; 400: refused; 403: the encoded slashes are signed
      // decoded (as S3 canonicalises them), so the SDK signer's literal %2F does not match.
      assertThat(put.statusCode()).as(rawPath + ": " + put.body()).isIn(200, 400, 403);
    }
    assertThat(asBob.listObjectsV2(b -> b.bucket("bob-bucket")).contents()).as("nothing landed in bob's bucket")
        .isEmpty();
    // Bucket names with dots or slashes are not names.
    for (String bucket : List.of("..", "%2e%2e", "a..b", "..%2Fetc", "%2Fetc", "a%2Fb", ".hidden", "a%00b")) {
      HttpResponse<String> r = send(sign(alice, "PUT", "/" + bucket, "us-east-1", "s3", Clock.systemUTC(), null));
      assertThat(r.statusCode()).as(bucket + ": " + r.body()).isIn(400, 404, 405);
    }
    assertThat(asAlice.listBuckets().buckets()).extracting(b -> b.name()).containsExactly(PRIVATE);

    // The IPFS gateway's paths cannot climb out of the CID.
    for (String path : List.of("/ipfs/" + secretCid + "/../..", "/ipfs/" + secretCid + "/%2e%2e/%2e%2e/etc/passwd",
        "/ipfs/" + secretCid + "/..%2F..%2Fetc%2Fpasswd", "/ipfs/../../etc/passwd", "/ipfs/%2e%2e/etc/passwd",
        "/ipfs/" + secretCid + "/a%00b")) {
      RawReply r = rawGet(ipfsEndpoint, path);
      assertThat(r.status()).as(path + ": " + r.body()).isBetween(400, 404);
      assertThat(r.body()).as(path).doesNotContain("root:");
    }

    Set<String> outsideAfter = filesOutsideHome();
    assertThat(outsideAfter).as("files outside the node's home").isEqualTo(outsideBefore);
    if (passwdModified != null) {
      assertThat(Files.getLastModifiedTime(passwd)).isEqualTo(passwdModified);
    }
    System.out.printf("traversal: %d keys stored as names, %d files under the home, %d outside it%n", keys.size(),
        countFiles(home), outsideAfter.size());
    assertAliceIntact();
  }

  /** Every file under the test's temporary root but outside the home (the temp root, before/after). */
  private Set<String> filesOutsideHome() throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      return all.filter(p -> !p.startsWith(home)).map(p -> root.relativize(p).toString())
          .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }
  }

  private static long countFiles(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(Files::isRegularFile).count();
    }
  }

  // ---- shared checks ----------------------------------------------------------------------------------

  /** Alice still reads her object byte for byte, her upload keeps its one part, her bucket lists it. */
  private void assertAliceIntact() {
    assertThat(asAlice.getObjectAsBytes(b -> b.bucket(PRIVATE).key(SECRET_KEY)).asByteArray()).isEqualTo(secret);
    assertThat(asAlice.listParts(b -> b.bucket(PRIVATE).key("big.bin").uploadId(uploadId)).parts())
        .extracting(p -> p.partNumber()).containsExactly(1);
    // encoding-type=url: a key with a control character (the traversal test stores "a\0b") cannot be
    // XML 1.0 text, as on S3.
    assertThat(asAlice.listObjectsV2(b -> b.bucket(PRIVATE).encodingType(EncodingType.URL)).contents())
        .extracting(o -> o.key()).contains(SECRET_KEY).doesNotContain("bobs-file", "copied", "stolen");
    assertThat(asAlice.getObjectTagging(b -> b.bucket(PRIVATE).key(SECRET_KEY)).tagSet()).isEmpty();
  }

  private static void assertSdkError(Runnable call, int status, String code) {
    S3Exception e = catchThrowableOfType(S3Exception.class, call::run);
    assertThat(e).as("an S3 error " + code).isNotNull();
    assertThat(e.statusCode()).isEqualTo(status);
    assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
  }

  private static void assertS3Error(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/xml");
    assertThat(r.body()).contains("<Code>" + code + "</Code>");
  }

  // ---- requests signed with the SDK's SigV4 signer ------------------------------------------------------

  private HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, BodyHandlers.ofString());
  }

  private HttpRequest anonymous(String method, String pathAndQuery, String body) {
    return HttpRequest.newBuilder(s3Endpoint.resolve(pathAndQuery))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body)).build();
  }

  private HttpRequest.Builder rawRequestBuilder(String method, String rawPath, String rawQuery, String body) {
    return HttpRequest.newBuilder(URI.create(s3Endpoint + rawPath + (rawQuery == null ? "" : "?" + rawQuery)))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
  }

  private HttpRequest rawRequest(String method, String rawPath, String rawQuery, String body) {
    return rawRequestBuilder(method, rawPath, rawQuery, body).build();
  }

  private static HttpRequest copyWith(HttpRequest request, String header, String value) {
    HttpRequest.Builder b = HttpRequest.newBuilder(request.uri())
        .method(request.method(), request.bodyPublisher().orElse(BodyPublishers.noBody()));
    request.headers().map().forEach((name, values) -> {
      if (!name.equalsIgnoreCase(header)) {
        values.forEach(v -> b.header(name, v));
      }
    });
    return b.header(header, value).build();
  }

  /** A request signed in the Authorization header by {@code key} for the given scope, at {@code clock}'s time. */
  private HttpRequest sign(AccessKey key, String method, String encodedPath, String region, String service,
      Clock clock, String body) {
    return signWith(key, method, encodedPath, region, service, clock, body, null, Map.of());
  }

  private HttpRequest presign(AccessKey key, String method, String encodedPath, Clock clock, Duration validFor,
      Map<String, String> headers) {
    return signWith(key, method, encodedPath, "us-east-1", "s3", clock, null, validFor, headers);
  }

  private HttpRequest signWith(AccessKey key, String method, String encodedPath, String region, String service,
      Clock clock, String body, Duration presignFor, Map<String, String> headers) {
    SdkHttpRequest.Builder b = SdkHttpRequest.builder()
        .method(SdkHttpMethod.fromValue(method))
        .protocol("http")
        .host(s3Endpoint.getHost())
        .port(s3Endpoint.getPort())
        .encodedPath(encodedPath)
        .putHeader("Host", s3Endpoint.getHost() + ":" + s3Endpoint.getPort());
    headers.forEach(b::putHeader);
    byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
    var signed = AwsV4HttpSigner.create().sign(r -> {
      r.identity(AwsCredentialsIdentity.create(key.accessKeyId(), key.secretAccessKey()))
          .request(b.build())
          .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
          .putProperty(AwsV4HttpSigner.REGION_NAME, region)
          .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
          .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
          .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, presignFor == null)
          .putProperty(HttpSigner.SIGNING_CLOCK, clock);
      if (bytes != null) {
        r.payload(software.amazon.awssdk.http.ContentStreamProvider.fromByteArray(bytes));
      }
      if (presignFor != null) {
        r.putProperty(AwsV4HttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
            .putProperty(AwsV4HttpSigner.EXPIRATION_DURATION, presignFor);
      }
    }).request();
    String query = signed.encodedQueryParameters().map(q -> "?" + q).orElse("");
    HttpRequest.Builder out = HttpRequest.newBuilder(URI.create(s3Endpoint + signed.encodedPath() + query))
        .method(method, bytes == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(bytes));
    signed.forEachHeader((name, values) -> {
      if (!name.equalsIgnoreCase("Host") && !name.equalsIgnoreCase("Content-Length")) {
        values.forEach(v -> out.header(name, v));
      }
    });
    return out.build();
  }

  // ---- raw HTTP/1.1, for paths no client library sends as they are ----------------------------------

  private record RawReply(int status, String body) {}

  private static RawReply rawGet(URI base, String rawPath) throws IOException {
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + rawPath + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String text = all.toString(StandardCharsets.ISO_8859_1);
      int status = Integer.parseInt(text.substring(9, 12));
      int bodyAt = text.indexOf("\r\n\r\n");
      return new RawReply(status, bodyAt < 0 ? "" : text.substring(bodyAt + 4));
    }
  }
}
