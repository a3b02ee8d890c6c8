package io.canopy.gateway.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.BucketAcl;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartCopyResponse;

/**
 * The multipart surface end to end with the real AWS SDK v2 against a real gateway (SQLite
 * metadata, a FileBlockstore in a temp dir): a 100 MiB upload of 13 parts, one of them copied from
 * a range of another object and one from a whole object, listed with ListMultipartUploads and
 * ListParts, read back whole and part by part, next to an upload that is aborted.
 */
@Timeout(300)
class S3MultipartTest {
  private static final int MIB = 1 << 20;
  private static final int PART = 8 * MIB;

  @TempDir Path tmp;
  private JdbcS3Metadata metadata;
  private Gateway gateway;
  private AccessKey alice;
  private AccessKey bob;
  private S3Client s3;

  @BeforeEach
  void start() throws Exception {
    metadata = JdbcS3Metadata.openSqlite(tmp.resolve("s3.db"));
    metadata.createAccount("alice");
    metadata.createAccount("bob");
    alice = metadata.issueAccessKey("alice");
    bob = metadata.issueAccessKey("bob");
    FileBlockstore blocks = FileBlockstore.open(tmp.resolve("blocks"));
    gateway = Gateway.start(null, blocks, new Gateway.S3Face(new InetSocketAddress("127.0.0.1", 0), metadata));
    s3 = client(alice);
  }

  @AfterEach
  void stop() {
    s3.close();
    gateway.close();
    metadata.close();
  }

  private S3Client client(AccessKey key) {
    return SdkClients.pathStyle(gateway.urls().get("s3"), key.accessKeyId(), key.secretAccessKey());
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String hex(String algorithm, byte[] bytes, int offset, int length) throws Exception {
    MessageDigest digest = MessageDigest.getInstance(algorithm);
    digest.update(bytes, offset, length);
    return HexFormat.of().formatHex(digest.digest());
  }

  private static String sha256(InputStream in) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    byte[] buf = new byte[1 << 16];
    int n;
    while ((n = in.read(buf)) >= 0) {
      digest.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static S3Exception s3Error(Runnable call) {
    S3Exception e = catchThrowableOfType(S3Exception.class, call::run);
    assertThat(e).as("an S3 error").isNotNull();
    return e;
  }

  @Test
  void aHundredMebibyteUploadWithCopiedPartsListsReadsAndHasTheWholeFilesCid() throws Exception {
    s3.createBucket(b -> b.bucket("big"));
    // 12 parts of 8 MiB and a last one of 4 MiB: 100 MiB. Part 5 is copied from a range of
    // "source.bin", part 6 is all of "eight.bin"; the rest are uploaded.
    byte[] whole = random(100 * MIB, 42);
    byte[] source = new byte[20 * MIB];
    new Random(7).nextBytes(source);
    System.arraycopy(whole, 4 * PART, source, 3 * MIB, PART); // part 5 sits at 3 MiB in the source
    s3.putObject(b -> b.bucket("big").key("source.bin"), RequestBody.fromBytes(source));
    byte[] eight = Arrays.copyOfRange(whole, 5 * PART, 6 * PART);
    String eightEtag = s3.putObject(b -> b.bucket("big").key("eight.bin"), RequestBody.fromBytes(eight)).eTag();

    String uploadId = s3.createMultipartUpload(b -> b.bucket("big").key("films/movie.bin")).uploadId();
    String otherId = s3.createMultipartUpload(b -> b.bucket("big").key("films/other.bin")).uploadId();
    String looseId = s3.createMultipartUpload(b -> b.bucket("big").key("loose.bin")).uploadId();

    List<CompletedPart> completed = new ArrayList<>();
    for (int n = 1; n <= 13; n++) {
      int part = n;
      int offset = (n - 1) * PART;
      int length = Math.min(PART, whole.length - offset);
      String etag;
      if (n == 5) {
        UploadPartCopyResponse copy = s3.uploadPartCopy(b -> b.sourceBucket("big").sourceKey("source.bin")
            .destinationBucket("big").destinationKey("films/movie.bin").uploadId(uploadId).partNumber(part)
            .copySourceRange("bytes=" + 3 * MIB + "-" + (3 * MIB + PART - 1)));
        etag = copy.copyPartResult().eTag();
        assertThat(copy.copyPartResult().lastModified()).isBetween(Instant.now().minusSeconds(60), Instant.now().plusSeconds(1));
      } else if (n == 6) {
        etag = s3.uploadPartCopy(b -> b.sourceBucket("big").sourceKey("eight.bin").destinationBucket("big")
            .destinationKey("films/movie.bin").uploadId(uploadId).partNumber(part).copySourceIfMatch(eightEtag))
            .copyPartResult().eTag();
        assertThat(etag).isEqualTo(eightEtag);
      } else {
        etag = s3.uploadPart(b -> b.bucket("big").key("films/movie.bin").uploadId(uploadId).partNumber(part),
            RequestBody.fromBytes(Arrays.copyOfRange(whole, offset, offset + length))).eTag();
      }
      assertThat(etag).as("part %d's ETag is its MD5", n).isEqualTo("\"" + hex("MD5", whole, offset, length) + "\"");
      completed.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
    }
    s3.uploadPart(b -> b.bucket("big").key("films/other.bin").uploadId(otherId).partNumber(1),
        RequestBody.fromString("soon gone"));

    // ListMultipartUploads: all three, then by prefix and delimiter, then page by page.
    ListMultipartUploadsResponse all = s3.listMultipartUploads(b -> b.bucket("big"));
    assertThat(all.uploads()).extracting(MultipartUpload::key, MultipartUpload::uploadId).containsExactly(
        org.assertj.core.groups.Tuple.tuple("films/movie.bin", uploadId),
        org.assertj.core.groups.Tuple.tuple("films/other.bin", otherId),
        org.assertj.core.groups.Tuple.tuple("loose.bin", looseId));
    assertThat(all.isTruncated()).isFalse();
    assertThat(all.uploads().get(0).initiator().displayName()).isEqualTo("alice");
    ListMultipartUploadsResponse rolled = s3.listMultipartUploads(b -> b.bucket("big").delimiter("/"));
    assertThat(rolled.commonPrefixes()).extracting(p -> p.prefix()).containsExactly("films/");
    assertThat(rolled.uploads()).extracting(MultipartUpload::key).containsExactly("loose.bin");
    assertThat(s3.listMultipartUploads(b -> b.bucket("big").prefix("films/")).uploads()).hasSize(2);
    ListMultipartUploadsResponse page1 = s3.listMultipartUploads(b -> b.bucket("big").maxUploads(2));
    assertThat(page1.isTruncated()).isTrue();
    assertThat(page1.nextKeyMarker()).isEqualTo("films/other.bin");
    assertThat(page1.nextUploadIdMarker()).isEqualTo(otherId);
    ListMultipartUploadsResponse page2 = s3.listMultipartUploads(b -> b.bucket("big").maxUploads(2)
        .keyMarker(page1.nextKeyMarker()).uploadIdMarker(page1.nextUploadIdMarker()));
    assertThat(page2.uploads()).extracting(MultipartUpload::uploadId).containsExactly(looseId);
    assertThat(page2.isTruncated()).isFalse();

    // Abort one: it leaves the listing and takes no more parts.
    s3.abortMultipartUpload(b -> b.bucket("big").key("films/other.bin").uploadId(otherId));
    assertThat(s3.listMultipartUploads(b -> b.bucket("big")).uploads()).extracting(MultipartUpload::uploadId)
        .containsExactly(uploadId, looseId);
    assertThat(s3Error(() -> s3.uploadPart(b -> b.bucket("big").key("films/other.bin").uploadId(otherId)
        .partNumber(2), RequestBody.fromString("late"))).awsErrorDetails().errorCode()).isEqualTo("NoSuchUpload");

    // ListParts, in two pages.
    ListPartsResponse parts = s3.listParts(b -> b.bucket("big").key("films/movie.bin").uploadId(uploadId).maxParts(10));
    assertThat(parts.isTruncated()).isTrue();
    ListPartsResponse rest = s3.listParts(b -> b.bucket("big").key("films/movie.bin").uploadId(uploadId)
        .partNumberMarker(parts.nextPartNumberMarker()));
    List<Part> listed = new ArrayList<>(parts.parts());
    listed.addAll(rest.parts());
    assertThat(listed).extracting(Part::partNumber).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
    assertThat(listed).extracting(Part::size).containsOnly((long) PART, 4L * MIB);
    assertThat(listed).extracting(Part::eTag).containsExactlyElementsOf(completed.stream().map(CompletedPart::eTag).toList());

    String etag = s3.completeMultipartUpload(b -> b.bucket("big").key("films/movie.bin").uploadId(uploadId)
        .multipartUpload(m -> m.parts(completed))).eTag();
    assertThat(etag).endsWith("-13\"");

    // The whole object: the bytes, and the CID importing the whole file gives.
    String expectedCid = new Importer(block -> { }, ImportOptions.defaults())
        .importFile(new ByteArrayInputStream(whole)).cid().toString();
    try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket("big").key("films/movie.bin"))) {
      assertThat(in.response().contentLength()).isEqualTo(whole.length);
      assertThat(in.response().eTag()).isEqualTo(etag);
      assertThat(in.response().metadata()).containsEntry("cid", expectedCid);
      assertThat(sha256(in)).isEqualTo(hex("SHA-256", whole, 0, whole.length));
    }

    // One part at a time: GET part 5 (the copied range), HEAD the last part, and past the end.
    ResponseBytes<GetObjectResponse> five = s3.getObjectAsBytes(b -> b.bucket("big").key("films/movie.bin").partNumber(5));
    assertThat(five.asByteArray()).isEqualTo(Arrays.copyOfRange(whole, 4 * PART, 5 * PART));
    assertThat(five.response().partsCount()).isEqualTo(13);
    assertThat(five.response().contentRange()).isEqualTo("bytes " + 4 * PART + "-" + (5 * PART - 1) + "/" + whole.length);
    assertThat(five.response().eTag()).isEqualTo(etag);
    HeadObjectResponse last = s3.headObject(b -> b.bucket("big").key("films/movie.bin").partNumber(13));
    assertThat(last.contentLength()).isEqualTo(4L * MIB);
    assertThat(last.partsCount()).isEqualTo(13);
    S3Exception beyond = s3Error(() -> s3.getObjectAsBytes(b -> b.bucket("big").key("films/movie.bin").partNumber(14)));
    assertThat(beyond.statusCode()).isEqualTo(416);
    assertThat(beyond.awsErrorDetails().errorCode()).isEqualTo("InvalidPartNumber");
    S3Exception both = s3Error(() -> s3.getObjectAsBytes(b -> b.bucket("big").key("films/movie.bin").partNumber(1)
        .range("bytes=0-1")));
    assertThat(both.awsErrorDetails().errorCode()).isEqualTo("InvalidRequest");
    // A single-piece object is its own part 1, and has no part 2.
    ResponseBytes<GetObjectResponse> onePiece = s3.getObjectAsBytes(b -> b.bucket("big").key("eight.bin").partNumber(1));
    assertThat(onePiece.asByteArray()).isEqualTo(eight);
    assertThat(onePiece.response().partsCount()).isNull();
    assertThat(s3Error(() -> s3.headObject(b -> b.bucket("big").key("eight.bin").partNumber(2))).statusCode())
        .isEqualTo(416);

    // The copy of a multipart object keeps its parts.
    s3.copyObject(b -> b.sourceBucket("big").sourceKey("films/movie.bin").destinationBucket("big").destinationKey("copy.bin"));
    assertThat(s3.headObject(b -> b.bucket("big").key("copy.bin").partNumber(2)).partsCount()).isEqualTo(13);
  }

  @Test
  void uploadPartCopyChecksItsSourceRangeAndConditions() throws Exception {
    s3.createBucket(b -> b.bucket("dst"));
    byte[] bytes = random(3 * MIB + 5, 9);
    String sourceEtag = s3.putObject(b -> b.bucket("dst").key("src"), RequestBody.fromBytes(bytes)).eTag();
    String id = s3.createMultipartUpload(b -> b.bucket("dst").key("k")).uploadId();

    String tail = s3.uploadPartCopy(b -> b.sourceBucket("dst").sourceKey("src").destinationBucket("dst")
        .destinationKey("k").uploadId(id).partNumber(2).copySourceRange("bytes=" + (bytes.length - 10) + "-" + (bytes.length - 1)))
        .copyPartResult().eTag();
    assertThat(tail).isEqualTo("\"" + hex("MD5", bytes, bytes.length - 10, 10) + "\"");

    S3Exception outside = s3Error(() -> s3.uploadPartCopy(b -> b.sourceBucket("dst").sourceKey("src")
        .destinationBucket("dst").destinationKey("k").uploadId(id).partNumber(3)
        .copySourceRange("bytes=0-" + bytes.length)));
    assertThat(outside.statusCode()).isEqualTo(400);
    assertThat(outside.awsErrorDetails().errorCode()).isEqualTo("InvalidArgument");

    S3Exception ifMatch = s3Error(() -> s3.uploadPartCopy(b -> b.sourceBucket("dst").sourceKey("src")
        .destinationBucket("dst").destinationKey("k").uploadId(id).partNumber(3)
        .copySourceIfMatch("\"0123456789abcdef0123456789abcdef\"")));
    assertThat(ifMatch.statusCode()).isEqualTo(412);
    S3Exception ifNoneMatch = s3Error(() -> s3.uploadPartCopy(b -> b.sourceBucket("dst").sourceKey("src")
        .destinationBucket("dst").destinationKey("k").uploadId(id).partNumber(3).copySourceIfNoneMatch(sourceEtag)));
    assertThat(ifNoneMatch.statusCode()).isEqualTo(412);
    S3Exception unmodified = s3Error(() -> s3.uploadPartCopy(b -> b.sourceBucket("dst").sourceKey("src")
        .destinationBucket("dst").destinationKey("k").uploadId(id).partNumber(3)
        .copySourceIfUnmodifiedSince(Instant.now().minusSeconds(3600))));
    assertThat(unmodified.statusCode()).isEqualTo(412);
    S3Exception modified = s3Error(() -> s3.uploadPartCopy(b -> b.sourceBucket("dst").sourceKey("src")
        .destinationBucket("dst").destinationKey("k").uploadId(id).partNumber(3)
        .copySourceIfModifiedSince(Instant.now().plusSeconds(3600))));
    assertThat(modified.statusCode()).isEqualTo(412);
    // if-match holding wins over a failing if-unmodified-since, as S3 documents
    s3.uploadPartCopy(b -> b.sourceBucket("dst").sourceKey("src").destinationBucket("dst").destinationKey("k")
        .uploadId(id).partNumber(3).copySourceIfMatch(sourceEtag).copySourceIfUnmodifiedSince(Instant.now().minusSeconds(3600)));

    assertThat(s3Error(() -> s3.uploadPartCopy(b -> b.sourceBucket("dst").sourceKey("missing").destinationBucket("dst")
        .destinationKey("k").uploadId(id).partNumber(4))).awsErrorDetails().errorCode()).isEqualTo("NoSuchKey");
    assertThat(s3Error(() -> s3.uploadPartCopy(b -> b.sourceBucket("dst").sourceKey("src").destinationBucket("dst")
        .destinationKey("k").uploadId("nope").partNumber(4))).awsErrorDetails().errorCode()).isEqualTo("NoSuchUpload");

    // The caller must be able to read the source: bob's private bucket is closed to alice, his
    // public-read one is open.
    try (S3Client asBob = client(bob)) {
      asBob.createBucket(b -> b.bucket("bobs"));
      asBob.putObject(b -> b.bucket("bobs").key("secret"), RequestBody.fromString("bob's"));
      asBob.createBucket(b -> b.bucket("bobs-public"));
      asBob.putObject(b -> b.bucket("bobs-public").key("open"), RequestBody.fromString("anyone's"));
    }
    metadata.setBucketAcl("bobs-public", BucketAcl.PUBLIC_READ);
    S3Exception denied = s3Error(() -> s3.uploadPartCopy(b -> b.sourceBucket("bobs").sourceKey("secret")
        .destinationBucket("dst").destinationKey("k").uploadId(id).partNumber(5)));
    assertThat(denied.awsErrorDetails().errorCode()).isEqualTo("AccessDenied");
    String open = s3.uploadPartCopy(b -> b.sourceBucket("bobs-public").sourceKey("open").destinationBucket("dst")
        .destinationKey("k").uploadId(id).partNumber(5)).copyPartResult().eTag();
    assertThat(open).isEqualTo("\"" + hex("MD5", "anyone's".getBytes(), 0, 8) + "\"");
    assertThat(s3.listParts(b -> b.bucket("dst").key("k").uploadId(id)).parts()).extracting(Part::partNumber)
        .containsExactly(2, 3, 5);
  }

  @Test
  void partNumberReadsWorkAfterARestart() throws Exception {
    s3.createBucket(b -> b.bucket("kept"));
    byte[] whole = random(5 * MIB + 1024, 11);
    String id = s3.createMultipartUpload(b -> b.bucket("kept").key("k")).uploadId();
    List<CompletedPart> parts = new ArrayList<>();
    for (int n = 1; n <= 2; n++) {
      int part = n;
      int from = n == 1 ? 0 : 5 * MIB;
      int to = n == 1 ? 5 * MIB : whole.length;
      String etag = s3.uploadPart(b -> b.bucket("kept").key("k").uploadId(id).partNumber(part),
          RequestBody.fromBytes(Arrays.copyOfRange(whole, from, to))).eTag();
      parts.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
    }
    s3.completeMultipartUpload(b -> b.bucket("kept").key("k").uploadId(id).multipartUpload(m -> m.parts(parts)));

    stop();
    metadata = JdbcS3Metadata.openSqlite(tmp.resolve("s3.db"));
    gateway = Gateway.start(null, FileBlockstore.open(tmp.resolve("blocks")),
        new Gateway.S3Face(new InetSocketAddress("127.0.0.1", 0), metadata));
    s3 = client(alice);

    ResponseBytes<GetObjectResponse> second = s3.getObjectAsBytes(b -> b.bucket("kept").key("k").partNumber(2));
    assertThat(second.asByteArray()).isEqualTo(Arrays.copyOfRange(whole, 5 * MIB, whole.length));
    assertThat(second.response().partsCount()).isEqualTo(2);
    assertThat(second.response().contentRange()).isEqualTo("bytes " + 5 * MIB + "-" + (whole.length - 1) + "/" + whole.length);
  }

  @Test
  void writesAskingForKmsEncryptionObjectLockOrTagsAreNotImplemented() {
    s3.createBucket(b -> b.bucket("plain"));
    List<S3Exception> refused = List.of(
        s3Error(() -> s3.putObject(b -> b.bucket("plain").key("kms").serverSideEncryption(ServerSideEncryption.AWS_KMS),
            RequestBody.fromString("x"))),
        s3Error(() -> s3.putObject(b -> b.bucket("plain").key("locked").objectLockMode(ObjectLockMode.COMPLIANCE)
            .objectLockRetainUntilDate(Instant.now().plusSeconds(3600)), RequestBody.fromString("x"))),
        s3Error(() -> s3.createMultipartUpload(b -> b.bucket("plain").key("tagged").tagging("a=b"))));
    assertThat(refused).allSatisfy(e -> {
      assertThat(e.statusCode()).isEqualTo(501);
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("NotImplemented");
    });
    assertThat(s3.listObjectsV2(b -> b.bucket("plain")).contents()).isEmpty();
    s3.putObject(b -> b.bucket("plain").key("sse-s3").serverSideEncryption(ServerSideEncryption.AES256),
        RequestBody.fromString("x"));
    assertThat(s3.listObjectsV2(b -> b.bucket("plain")).contents()).hasSize(1);
  }
}
