package io.canopy.gateway.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.canopy.gateway.s3.S3Operation.AbortMultipartUpload;
import io.canopy.gateway.s3.S3Operation.ByteRange;
import io.canopy.gateway.s3.S3Operation.CompleteMultipartUpload;
import io.canopy.gateway.s3.S3Operation.CopyObject;
import io.canopy.gateway.s3.S3Operation.CopySource;
import io.canopy.gateway.s3.S3Operation.CreateMultipartUpload;
import io.canopy.gateway.s3.S3Operation.DeleteObjects;
import io.canopy.gateway.s3.S3Operation.GetObject;
import io.canopy.gateway.s3.S3Operation.HeadObject;
import io.canopy.gateway.s3.S3Operation.ListBuckets;
import io.canopy.gateway.s3.S3Operation.ListMultipartUploads;
import io.canopy.gateway.s3.S3Operation.ListObjects;
import io.canopy.gateway.s3.S3Operation.ListObjectsV2;
import io.canopy.gateway.s3.S3Operation.ListParts;
import io.canopy.gateway.s3.S3Operation.PutObject;
import io.canopy.gateway.s3.S3Operation.Unsupported;
import io.canopy.gateway.s3.S3Operation.UploadPart;
import io.canopy.gateway.s3.S3Operation.UploadPartCopy;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;
import software.amazon.awssdk.services.s3.model.BucketLocationConstraint;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeletedObject;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The real AWS SDK for Java v2 against our parsing and XML: a JDK HttpServer on 127.0.0.1 parses
 * each request the SDK sends with {@link S3Request} (path style, as the SDK addresses a custom
 * endpoint with {@code forcePathStyle}), reads its body with {@link S3Xml}, and answers with our
 * rendered XML; the tests check what the SDK made of it. So both directions are covered: the
 * operations and keys the SDK means are the ones we parse, and the values we write are the ones
 * the SDK reads.
 */
@Timeout(120)
class S3SdkInteropTest {
  private static final String REQUEST_ID = "4442587FB7D0A2F9";
  private static final Owner OWNER = new Owner("75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a", "canopy");
  private static final Instant T = Instant.parse("2026-11-26T03:04:05Z");
  /** A key with what S3 keys may hold: spaces, '+', '%', '&', '<', "//", "..", unicode. */
  private static final String ODD_KEY = "dir one//../a+b%20c&d=e?f#g~<\u00fc>\u65e5\ud83d\ude00.txt";
  /** A key with characters XML 1.0 cannot carry: only an encoding-type=url listing can return it. */
  private static final String CONTROL_KEY = ODD_KEY + "\u0001\u001f";

  private static HttpServer server;
  private static S3Client s3;

  /** What the test's server answers to the operation it parsed (and the request body). */
  private record Reply(int status, Map<String, String> headers, String body) {
    static Reply xml(String body) {
      return new Reply(200, Map.of("Content-Type", "application/xml"), body);
    }

    static Reply empty(int status, Map<String, String> headers) {
      return new Reply(status, headers, null);
    }
  }

  private static final AtomicReference<java.util.function.BiFunction<S3Operation, byte[], Reply>> responder =
      new AtomicReference<>();
  private static final AtomicReference<S3Operation> lastOperation = new AtomicReference<>();
  private static final AtomicReference<Object> lastBody = new AtomicReference<>();

  @BeforeAll
  static void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", S3SdkInteropTest::handle);
    server.start();
    s3 = SdkClients.pathStyle(URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "AKIDEXAMPLE", "secret");
  }

  @AfterAll
  static void stop() {
    s3.close();
    server.stop(0);
  }

  @BeforeEach
  void reset() {
    responder.set(null);
    lastOperation.set(null);
    lastBody.set(null);
  }

  /** The gateway's first step, as the HTTP layer will do it: parse, then answer or send the error. */
  private static void handle(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    URI uri = exchange.getRequestURI();
    S3Request request = new S3Request(exchange.getRequestMethod(), uri.getRawPath(), uri.getRawQuery(),
        exchange.getRequestHeaders().getFirst("Host"), exchange.getRequestHeaders()::getFirst);
    Reply reply;
    String resource = uri.getRawPath();
    try {
      S3Operation op = request.parse(S3Addressing.of("s3.example.com"));
      lastOperation.set(op);
      resource = op.resource();
      if (op instanceof Unsupported u) {
        throw u.toException();
      }
      reply = responder.get().apply(op, body);
    } catch (S3Exception e) {
      reply = new Reply(e.httpStatus(), Map.of("Content-Type", "application/xml"),
          e.error().hasBody() ? e.toXml(resource, REQUEST_ID) : null);
    }
    exchange.getResponseHeaders().add("x-amz-request-id", REQUEST_ID);
    reply.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
    boolean noBody = reply.body() == null || exchange.getRequestMethod().equals("HEAD");
    byte[] bytes = noBody ? new byte[0] : reply.body().getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(reply.status(), noBody ? -1 : bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void answer(Function<S3Operation, Reply> f) {
    responder.set((op, body) -> f.apply(op));
  }

  // ---- listings -----------------------------------------------------------------------------

  @Test
  void listObjectsV2WithDelimiterAndContinuation() {
    answer(op -> Reply.xml(S3Xml.listObjectsV2((ListObjectsV2) op, new ObjectListing(
        List.of(new ObjectSummary("photos/2006/index.html", T, "fba9dede5f27731c9771645a39863328", 434234),
            new ObjectSummary("photos/2006/x y+z.jpg", T.plusMillis(123), "\"599bab3ed2c697f1d26842727561fd94-3\"", 0)),
        List.of("photos/2006/feb/", "photos/2006/jan/"), true, "next/token+=="), OWNER)));

    ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket("photos").prefix("photos/2006/").delimiter("/")
        .maxKeys(4).continuationToken("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=").fetchOwner(true)
        .startAfter("photos/2006/a"));

    assertThat(lastOperation.get()).isEqualTo(new ListObjectsV2("photos", "photos/2006/", "/",
        "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=", "photos/2006/a", 4, true, false));
    assertThat(r.name()).isEqualTo("photos");
    assertThat(r.prefix()).isEqualTo("photos/2006/");
    assertThat(r.delimiter()).isEqualTo("/");
    assertThat(r.maxKeys()).isEqualTo(4);
    assertThat(r.keyCount()).isEqualTo(4);
    assertThat(r.isTruncated()).isTrue();
    assertThat(r.continuationToken()).isEqualTo("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    assertThat(r.nextContinuationToken()).isEqualTo("next/token+==");
    assertThat(r.startAfter()).isEqualTo("photos/2006/a");
    assertThat(r.contents()).extracting(S3Object::key).containsExactly("photos/2006/index.html", "photos/2006/x y+z.jpg");
    assertThat(r.contents()).extracting(S3Object::eTag)
        .containsExactly("\"fba9dede5f27731c9771645a39863328\"", "\"599bab3ed2c697f1d26842727561fd94-3\"");
    assertThat(r.contents()).extracting(S3Object::size).containsExactly(434234L, 0L);
    assertThat(r.contents()).extracting(S3Object::lastModified).containsExactly(T, T.plusMillis(123));
    assertThat(r.contents().get(0).owner().id()).isEqualTo(OWNER.id());
    assertThat(r.contents().get(0).storageClassAsString()).isEqualTo("STANDARD");
    assertThat(r.commonPrefixes()).extracting(CommonPrefix::prefix).containsExactly("photos/2006/feb/", "photos/2006/jan/");
  }

  @Test
  void urlEncodedListingsDecodeToTheExactKeys() {
    answer(op -> Reply.xml(S3Xml.listObjectsV2((ListObjectsV2) op, new ObjectListing(
        List.of(new ObjectSummary(CONTROL_KEY, T, "e", 1)), List.of("dir one//x y/"), false, null), null)));

    ListObjectsV2Response r = s3.listObjectsV2(b -> b.bucket("b").prefix("dir one/").delimiter(" ")
        .encodingType(EncodingType.URL).startAfter("dir one/+"));

    assertThat(lastOperation.get()).isEqualTo(new ListObjectsV2("b", "dir one/", " ", null, "dir one/+", 1000, false, true));
    // The SDK decodes what encoding-type=url encoded: a key XML 1.0 could not even carry comes back whole.
    assertThat(r.contents()).extracting(S3Object::key).containsExactly(CONTROL_KEY);
    assertThat(r.commonPrefixes()).extracting(CommonPrefix::prefix).containsExactly("dir one//x y/");
    assertThat(r.prefix()).isEqualTo("dir one/");
    assertThat(r.delimiter()).isEqualTo(" ");
    assertThat(r.startAfter()).isEqualTo("dir one/+");
  }

  @Test
  void listObjectsV1Markers() {
    answer(op -> Reply.xml(S3Xml.listObjects((ListObjects) op, new ObjectListing(
        List.of(new ObjectSummary("b/c", T, "e", 7)), List.of("d/"), true, "d/"), OWNER)));

    var r = s3.listObjects(b -> b.bucket("bkt").marker("a b").maxKeys(2).delimiter("/"));

    assertThat(lastOperation.get()).isEqualTo(new ListObjects("bkt", "", "/", "a b", 2, false));
    assertThat(r.marker()).isEqualTo("a b");
    assertThat(r.nextMarker()).isEqualTo("d/");
    assertThat(r.isTruncated()).isTrue();
    assertThat(r.contents()).extracting(S3Object::key).containsExactly("b/c");
    assertThat(r.contents().get(0).owner().displayName()).isEqualTo("canopy");
    assertThat(r.commonPrefixes()).extracting(CommonPrefix::prefix).containsExactly("d/");
  }

  @Test
  void listBuckets() {
    answer(op -> Reply.xml(S3Xml.listAllMyBuckets(OWNER, List.of(
        new BucketSummary("quotes", T), new BucketSummary("samples", T.plusSeconds(1))))));

    var r = s3.listBuckets();

    assertThat(lastOperation.get()).isEqualTo(new ListBuckets());
    assertThat(r.buckets()).extracting(software.amazon.awssdk.services.s3.model.Bucket::name).containsExactly("quotes", "samples");
    assertThat(r.buckets()).extracting(software.amazon.awssdk.services.s3.model.Bucket::creationDate)
        .containsExactly(T, T.plusSeconds(1));
    assertThat(r.owner().id()).isEqualTo(OWNER.id());
  }

  @Test
  void bucketLocation() {
    answer(op -> Reply.xml(S3Xml.locationConstraint("eu-west-1")));
    assertThat(s3.getBucketLocation(b -> b.bucket("photos")).locationConstraint())
        .isEqualTo(BucketLocationConstraint.EU_WEST_1);
    answer(op -> Reply.xml(S3Xml.locationConstraint("us-east-1")));
    assertThat(s3.getBucketLocation(b -> b.bucket("photos")).locationConstraintAsString()).isNullOrEmpty();
  }

  // ---- objects ------------------------------------------------------------------------------

  @Test
  void putObjectWithAnOddKeyIsParsedToThatKey() {
    answer(op -> Reply.empty(200, Map.of("ETag", "\"5d41402abc4b2a76b9719d911017c592\"")));
    var r = s3.putObject(b -> b.bucket("b").key(ODD_KEY), RequestBody.fromString("hello"));
    assertThat(lastOperation.get()).isEqualTo(new PutObject("b", ODD_KEY));
    assertThat(r.eTag()).isEqualTo("\"5d41402abc4b2a76b9719d911017c592\"");

    for (String key : List.of("/leading", "a//b", "../x", "..", "sp ace", "pl+us", "per%cent", "\u00fc\u65e5")) {
      s3.putObject(b -> b.bucket("b").key(key), RequestBody.empty());
      assertThat(lastOperation.get()).as(key).isEqualTo(new PutObject("b", key));
    }
  }

  @Test
  void copyObjectSourceIsDecoded() {
    answer(op -> Reply.xml(S3Xml.copyObjectResult("9b2cf535f27731c974343645a3985328", T)));

    var r = s3.copyObject(b -> b.sourceBucket("src").sourceKey(ODD_KEY).destinationBucket("dst").destinationKey("copy"));

    assertThat(lastOperation.get()).isEqualTo(new CopyObject("dst", "copy", new CopySource("src", ODD_KEY)));
    assertThat(r.copyObjectResult().eTag()).isEqualTo("\"9b2cf535f27731c974343645a3985328\"");
    assertThat(r.copyObjectResult().lastModified()).isEqualTo(T);
  }

  // ---- multipart ----------------------------------------------------------------------------

  @Test
  void multipartUploadFromStartToEnd() {
    String uploadId = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRz+/=";
    responder.set((op, body) -> {
      if (op instanceof CreateMultipartUpload c) {
        return Reply.xml(S3Xml.initiateMultipartUpload(c.bucket(), c.key(), uploadId));
      }
      if (op instanceof UploadPart p) {
        return Reply.empty(200, Map.of("ETag", "\"etag" + p.partNumber() + "\""));
      }
      if (op instanceof UploadPartCopy) {
        return Reply.xml(S3Xml.copyPartResult("etag3", T));
      }
      if (op instanceof ListParts l) {
        return Reply.xml(S3Xml.listParts(l, new PartListing(List.of(
            new PartSummary(1, T, "etag1", 5 << 20), new PartSummary(2, T, "etag2", 1)), true, 2), OWNER));
      }
      if (op instanceof ListMultipartUploads l) {
        return Reply.xml(S3Xml.listMultipartUploads(l, new UploadListing(
            List.of(new UploadSummary(CONTROL_KEY, uploadId, T)), List.of(), true, CONTROL_KEY, uploadId), OWNER));
      }
      if (op instanceof CompleteMultipartUpload c) {
        lastBody.set(S3Xml.parseCompleteMultipartUpload(body));
        return Reply.xml(S3Xml.completeMultipartUpload("http://127.0.0.1/" + c.bucket() + "/" + S3Xml.urlEncode(c.key()),
            c.bucket(), c.key(), "3858f62230ac3c915f300c664312c11f-3"));
      }
      if (op instanceof AbortMultipartUpload) {
        return Reply.empty(204, Map.of());
      }
      throw new AssertionError(op.toString());
    });

    var created = s3.createMultipartUpload(b -> b.bucket("b").key(ODD_KEY));
    assertThat(lastOperation.get()).isEqualTo(new CreateMultipartUpload("b", ODD_KEY));
    assertThat(created.uploadId()).isEqualTo(uploadId);
    assertThat(created.key()).isEqualTo(ODD_KEY);
    assertThat(created.bucket()).isEqualTo("b");

    var part1 = s3.uploadPart(b -> b.bucket("b").key(ODD_KEY).uploadId(uploadId).partNumber(1), RequestBody.fromString("x"));
    assertThat(lastOperation.get()).isEqualTo(new UploadPart("b", ODD_KEY, uploadId, 1));
    assertThat(part1.eTag()).isEqualTo("\"etag1\"");

    var part3 = s3.uploadPartCopy(b -> b.sourceBucket("src").sourceKey("big file+.bin").destinationBucket("b")
        .destinationKey(ODD_KEY).uploadId(uploadId).partNumber(3).copySourceRange("bytes=0-5242879"));
    assertThat(lastOperation.get()).isEqualTo(new UploadPartCopy("b", ODD_KEY, uploadId, 3,
        new CopySource("src", "big file+.bin"), new ByteRange(0, 5242879)));
    assertThat(part3.copyPartResult().eTag()).isEqualTo("\"etag3\"");
    assertThat(part3.copyPartResult().lastModified()).isEqualTo(T);

    var parts = s3.listParts(b -> b.bucket("b").key(ODD_KEY).uploadId(uploadId).maxParts(2).partNumberMarker(0));
    assertThat(lastOperation.get()).isEqualTo(new ListParts("b", ODD_KEY, uploadId, 2, 0));
    assertThat(parts.parts()).extracting(Part::partNumber).containsExactly(1, 2);
    assertThat(parts.parts()).extracting(Part::eTag).containsExactly("\"etag1\"", "\"etag2\"");
    assertThat(parts.parts()).extracting(Part::size).containsExactly(5L << 20, 1L);
    assertThat(parts.isTruncated()).isTrue();
    assertThat(parts.nextPartNumberMarker()).isEqualTo(2);
    assertThat(parts.maxParts()).isEqualTo(2);
    assertThat(parts.uploadId()).isEqualTo(uploadId);
    assertThat(parts.key()).isEqualTo(ODD_KEY);

    var uploads = s3.listMultipartUploads(b -> b.bucket("b").maxUploads(1).encodingType(EncodingType.URL));
    assertThat(lastOperation.get()).isEqualTo(new ListMultipartUploads("b", "", null, null, null, 1, true));
    assertThat(uploads.uploads()).extracting(MultipartUpload::key).containsExactly(CONTROL_KEY);
    assertThat(uploads.uploads()).extracting(MultipartUpload::uploadId).containsExactly(uploadId);
    assertThat(uploads.uploads()).extracting(MultipartUpload::initiated).containsExactly(T);
    assertThat(uploads.isTruncated()).isTrue();
    assertThat(uploads.nextKeyMarker()).isEqualTo(CONTROL_KEY);
    assertThat(uploads.nextUploadIdMarker()).isEqualTo(uploadId);

    var done = s3.completeMultipartUpload(b -> b.bucket("b").key(ODD_KEY).uploadId(uploadId)
        .multipartUpload(CompletedMultipartUpload.builder().parts(
            software.amazon.awssdk.services.s3.model.CompletedPart.builder().partNumber(1).eTag("\"etag1\"").build(),
            software.amazon.awssdk.services.s3.model.CompletedPart.builder().partNumber(2).eTag("etag2").build(),
            software.amazon.awssdk.services.s3.model.CompletedPart.builder().partNumber(3).eTag("\"etag3\"").build())
            .build()));
    assertThat(lastOperation.get()).isEqualTo(new CompleteMultipartUpload("b", ODD_KEY, uploadId));
    assertThat(lastBody.get()).isEqualTo(List.of(
        new CompletedPart(1, "etag1"), new CompletedPart(2, "etag2"), new CompletedPart(3, "etag3")));
    assertThat(done.eTag()).isEqualTo("\"3858f62230ac3c915f300c664312c11f-3\"");
    assertThat(done.bucket()).isEqualTo("b");
    assertThat(done.key()).isEqualTo(ODD_KEY);
    assertThat(done.location()).startsWith("http://127.0.0.1/b/dir%20one//../a%2Bb%2520c%26");

    s3.abortMultipartUpload(b -> b.bucket("b").key(ODD_KEY).uploadId(uploadId));
    assertThat(lastOperation.get()).isEqualTo(new AbortMultipartUpload("b", ODD_KEY, uploadId));
  }

  @Test
  void deleteObjectsBodyAndResult() {
    responder.set((op, body) -> {
      assertThat(op).isEqualTo(new DeleteObjects("photos"));
      DeleteRequest request = S3Xml.parseDelete(body);
      lastBody.set(request);
      List<DeleteOutcome> outcomes = request.objects().stream()
          .map(o -> o.key().startsWith("locked")
              ? (DeleteOutcome) new DeleteOutcome.Failed(o.key(), S3Error.AccessDenied, null)
              : new DeleteOutcome.Deleted(o.key()))
          .toList();
      return Reply.xml(S3Xml.deleteResult(outcomes, request.quiet()));
    });
    List<String> keys = List.of("sample1.txt", "a <b> & \"c\" 'd'", "dir one//../x+y%20", "\u00fc\u65e5\ud83d\ude00", "locked/one");

    var r = s3.deleteObjects(b -> b.bucket("photos").delete(Delete.builder()
        .objects(keys.stream().map(k -> ObjectIdentifier.builder().key(k).build()).toList()).quiet(false).build()));

    DeleteRequest parsed = (DeleteRequest) lastBody.get();
    assertThat(parsed.quiet()).isFalse();
    assertThat(parsed.objects()).extracting(DeleteRequest.ObjectIdentifier::key).isEqualTo(keys);
    assertThat(r.deleted()).extracting(DeletedObject::key).isEqualTo(keys.subList(0, 4));
    assertThat(r.errors()).singleElement().satisfies(e -> {
      assertThat(e.key()).isEqualTo("locked/one");
      assertThat(e.code()).isEqualTo("AccessDenied");
      assertThat(e.message()).isEqualTo("Access Denied");
    });

    var quiet = s3.deleteObjects(b -> b.bucket("photos").delete(Delete.builder()
        .objects(ObjectIdentifier.builder().key("a").build(), ObjectIdentifier.builder().key("locked").build())
        .quiet(true).build()));
    assertThat(((DeleteRequest) lastBody.get()).quiet()).isTrue();
    assertThat(quiet.deleted()).isEmpty();
    assertThat(quiet.errors()).extracting(software.amazon.awssdk.services.s3.model.S3Error::key).containsExactly("locked");
  }

  // ---- errors -------------------------------------------------------------------------------

  @Test
  void errorBodiesBecomeTheSdksTypedExceptions() {
    answer(op -> {
      throw new S3Exception(S3Error.NoSuchKey, null, Map.of("Key", ((GetObject) op).key()));
    });
    NoSuchKeyException noSuchKey = catchThrowableOfType(NoSuchKeyException.class,
        () -> s3.getObjectAsBytes(b -> b.bucket("photos").key(ODD_KEY)));
    assertThat(lastOperation.get()).isEqualTo(new GetObject("photos", ODD_KEY, null, Map.of()));
    assertThat(noSuchKey.statusCode()).isEqualTo(404);
    assertThat(noSuchKey.awsErrorDetails().errorCode()).isEqualTo("NoSuchKey");
    assertThat(noSuchKey.awsErrorDetails().errorMessage()).isEqualTo("The specified key does not exist.");
    assertThat(noSuchKey.requestId()).isEqualTo(REQUEST_ID);

    // HEAD has no body: the SDK goes by the status alone.
    answer(op -> {
      throw new S3Exception(S3Error.NoSuchKey);
    });
    NoSuchKeyException head = catchThrowableOfType(NoSuchKeyException.class,
        () -> s3.headObject(b -> b.bucket("photos").key("missing")));
    assertThat(lastOperation.get()).isEqualTo(new HeadObject("photos", "missing", null));
    assertThat(head.statusCode()).isEqualTo(404);

    answer(op -> {
      throw new S3Exception(S3Error.BucketAlreadyOwnedByYou);
    });
    assertThat(catchThrowableOfType(BucketAlreadyOwnedByYouException.class,
        () -> s3.createBucket(b -> b.bucket("photos"))).statusCode()).isEqualTo(409);

    answer(op -> {
      throw new S3Exception(S3Error.NoSuchUpload);
    });
    assertThat(catchThrowableOfType(NoSuchUploadException.class,
        () -> s3.abortMultipartUpload(b -> b.bucket("b").key("k").uploadId("gone"))).statusCode()).isEqualTo(404);
  }

  @Test
  void everyErrorOfTheTableReachesTheSdkWithItsCodeAndStatus() {
    for (S3Error error : S3Error.values()) {
      if (!error.hasBody() || error.httpStatus() < 400) {
        continue;
      }
      answer(op -> {
        throw new S3Exception(error, "because <" + error.code() + "> & so on");
      });
      var e = catchThrowableOfType(software.amazon.awssdk.services.s3.model.S3Exception.class,
          () -> s3.deleteBucket(b -> b.bucket("photos")));
      assertThat(e).as(error.code()).isNotNull();
      assertThat(e.statusCode()).as(error.code()).isEqualTo(error.httpStatus());
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo(error.code());
      assertThat(e.awsErrorDetails().errorMessage()).isEqualTo("because <" + error.code() + "> & so on");
    }
  }

  @Test
  void parseErrorsAndUnsupportedOperationsReachTheSdk() {
    answer(op -> {
      throw new AssertionError("not reached: " + op);
    });
    var tooLong = catchThrowableOfType(software.amazon.awssdk.services.s3.model.S3Exception.class,
        () -> s3.putObject(b -> b.bucket("b").key("k".repeat(1025)), RequestBody.fromString("x")));
    assertThat(tooLong.awsErrorDetails().errorCode()).isEqualTo("KeyTooLongError");
    assertThat(tooLong.statusCode()).isEqualTo(400);

    var acl = catchThrowableOfType(software.amazon.awssdk.services.s3.model.S3Exception.class,
        () -> s3.getBucketAcl(b -> b.bucket("photos")));
    assertThat(lastOperation.get()).isEqualTo(new Unsupported("GetBucketAcl"));
    assertThat(acl.statusCode()).isEqualTo(501);
    assertThat(acl.awsErrorDetails().errorCode()).isEqualTo("NotImplemented");
    assertThat(acl.awsErrorDetails().errorMessage()).contains("GetBucketAcl");

    var tagging = catchThrowableOfType(software.amazon.awssdk.services.s3.model.S3Exception.class,
        () -> s3.putObjectTagging(b -> b.bucket("photos").key("k")
            .tagging(t -> t.tagSet(s -> s.key("a").value("b")))));
    assertThat(lastOperation.get()).isEqualTo(new Unsupported("PutObjectTagging"));
    assertThat(tagging.statusCode()).isEqualTo(501);

    var versioned = catchThrowableOfType(software.amazon.awssdk.services.s3.model.S3Exception.class,
        () -> s3.getObjectAsBytes(b -> b.bucket("photos").key("k").versionId("3HL4kqtJlcpXroDTDmJ")));
    assertThat(versioned.awsErrorDetails().errorCode()).isEqualTo("InvalidArgument");
  }
}
