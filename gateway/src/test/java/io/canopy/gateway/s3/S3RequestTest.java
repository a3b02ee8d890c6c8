package io.canopy.gateway.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.gateway.s3.S3Operation.AbortMultipartUpload;
import io.canopy.gateway.s3.S3Operation.ByteRange;
import io.canopy.gateway.s3.S3Operation.CompleteMultipartUpload;
import io.canopy.gateway.s3.S3Operation.CopyObject;
import io.canopy.gateway.s3.S3Operation.CopySource;
import io.canopy.gateway.s3.S3Operation.CreateBucket;
import io.canopy.gateway.s3.S3Operation.CreateMultipartUpload;
import io.canopy.gateway.s3.S3Operation.DeleteBucket;
import io.canopy.gateway.s3.S3Operation.DeleteObject;
import io.canopy.gateway.s3.S3Operation.DeleteObjects;
import io.canopy.gateway.s3.S3Operation.GetBucketLocation;
import io.canopy.gateway.s3.S3Operation.GetBucketVersioning;
import io.canopy.gateway.s3.S3Operation.GetObject;
import io.canopy.gateway.s3.S3Operation.GetObjectTagging;
import io.canopy.gateway.s3.S3Operation.HeadBucket;
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
import io.canopy.testing.RandomInputs;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class S3RequestTest {
  private static final S3Addressing ADDRESSING = S3Addressing.of("s3.example.com", "localhost:9000");
  private static final String UPLOAD = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA";

  // ---- helpers ------------------------------------------------------------------------------

  /** Path style: {@code target} is {@code /bucket/key?query}, sent to an IP address. */
  private static S3Operation path(String method, String target, String... headers) {
    return parse(method, "127.0.0.1:9000", target, headers);
  }

  /** Virtual-hosted style: the bucket is in the Host, {@code target} is {@code /key?query}. */
  private static S3Operation vhost(String method, String bucket, String target, String... headers) {
    return parse(method, bucket + ".s3.example.com", target, headers);
  }

  private static S3Operation parse(String method, String host, String target, String... headers) {
    int q = target.indexOf('?');
    String rawPath = q < 0 ? target : target.substring(0, q);
    String rawQuery = q < 0 ? null : target.substring(q + 1);
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 0; i < headers.length; i += 2) {
      h.put(headers[i], headers[i + 1]);
    }
    return new S3Request(method, rawPath, rawQuery, host, h::get).parse(ADDRESSING);
  }

  private static S3Error errorOf(Runnable r) {
    try {
      r.run();
    } catch (S3Exception e) {
      return e.error();
    }
    throw new AssertionError("no S3Exception");
  }

  private static String key(String rawPathAfterBucket) {
    S3Operation op = path("GET", "/b/" + rawPathAfterBucket);
    assertThat(op).isInstanceOf(GetObject.class);
    String pathStyle = ((GetObject) op).key();
    S3Operation v = vhost("GET", "b", "/" + rawPathAfterBucket);
    assertThat(((GetObject) v).key()).isEqualTo(pathStyle);
    return pathStyle;
  }

  // ---- the routing table --------------------------------------------------------------------

  /** One row: method, bucket, the target after the bucket, headers, and the operation expected. */
  private record Route(String method, String bucket, String target, String[] headers, S3Operation expected) {}

  private static Route route(String method, String bucket, String target, S3Operation expected, String... headers) {
    return new Route(method, bucket, target, headers, expected);
  }

  private static final String KEY = "2006/jan/sample.jpg";

  private static List<Route> routes() {
    String k = "/2006/jan/sample.jpg";
    return List.of(
        route("PUT", "photos", "/", new CreateBucket("photos")),
        route("PUT", "photos", "", new CreateBucket("photos")),
        route("DELETE", "photos", "/", new DeleteBucket("photos")),
        route("HEAD", "photos", "/", new HeadBucket("photos")),
        route("GET", "photos", "/?location", new GetBucketLocation("photos")),
        route("GET", "photos", "/", new ListObjects("photos", "", null, null, 1000, false)),
        // AWS ListObjects example: GET /?prefix=N&marker=Ned&max-keys=40
        route("GET", "photos", "/?prefix=N&marker=Ned&max-keys=40", new ListObjects("photos", "N", null, "Ned", 40, false)),
        // AWS ListObjectsV2 example: GET /?list-type=2&max-keys=3&prefix=E&start-after=ExampleGuide.pdf
        route("GET", "photos", "/?list-type=2&max-keys=3&prefix=E&start-after=ExampleGuide.pdf",
            new ListObjectsV2("photos", "E", null, null, "ExampleGuide.pdf", 3, false, false)),
        route("GET", "photos", "/?list-type=2&delimiter=/&prefix=photos/2006/",
            new ListObjectsV2("photos", "photos/2006/", "/", null, null, 1000, false, false)),
        route("GET", "photos", "/?list-type=2&continuation-token=1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
            new ListObjectsV2("photos", "", null, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=", null, 1000, false, false)),
        route("GET", "photos", "/?list-type=2&encoding-type=url&fetch-owner=true&max-keys=5000",
            new ListObjectsV2("photos", "", null, null, null, 1000, true, true)),
        route("GET", "photos", "/?uploads&prefix=my&delimiter=/&key-marker=my-movie.m2ts&upload-id-marker=YW55&max-uploads=3",
            new ListMultipartUploads("photos", "my", "/", "my-movie.m2ts", "YW55", 3, false)),
        route("POST", "photos", "/?delete", new DeleteObjects("photos")),
        route("PUT", "photos", k, new PutObject("photos", KEY)),
        // The Java SDK v2 adds x-id=<operation> to some requests; it names nothing new.
        route("PUT", "photos", k + "?x-id=PutObject", new PutObject("photos", KEY)),
        route("PUT", "photos", k, new CopyObject("photos", KEY, new CopySource("src", "a b/c+d")),
            "x-amz-copy-source", "/src/a%20b/c+d"),
        route("GET", "photos", k, new GetObject("photos", KEY, null, Map.of())),
        route("GET", "photos", k + "?partNumber=3", new GetObject("photos", KEY, 3, Map.of())),
        route("GET", "photos", k + "?response-content-type=text/plain&response-content-disposition=attachment%3B%20filename%3D%22a.txt%22",
            new GetObject("photos", KEY, null,
                Map.of("Content-Type", "text/plain", "Content-Disposition", "attachment; filename=\"a.txt\""))),
        route("GET", "photos", k + "?versionId=null", new GetObject("photos", KEY, null, Map.of())),
        // A presigned URL's query is authentication, not an operation.
        route("GET", "photos", k + "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
            new GetObject("photos", KEY, null, Map.of())),
        route("PUT", "photos", k + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00&partNumber=7&uploadId=" + UPLOAD,
            new UploadPart("photos", KEY, UPLOAD, 7)),
        route("HEAD", "photos", k, new HeadObject("photos", KEY, null)),
        route("HEAD", "photos", k + "?partNumber=10000", new HeadObject("photos", KEY, 10000)),
        route("DELETE", "photos", k, new DeleteObject("photos", KEY)),
        route("POST", "photos", k + "?uploads", new CreateMultipartUpload("photos", KEY)),
        route("PUT", "photos", k + "?partNumber=1&uploadId=" + UPLOAD, new UploadPart("photos", KEY, UPLOAD, 1)),
        route("PUT", "photos", k + "?uploadId=" + UPLOAD + "&partNumber=10000", new UploadPart("photos", KEY, UPLOAD, 10000)),
        route("PUT", "photos", k + "?partNumber=2&uploadId=" + UPLOAD,
            new UploadPartCopy("photos", KEY, UPLOAD, 2, new CopySource("src", "big.bin"), new ByteRange(0, 5242879)),
            "x-amz-copy-source", "src/big.bin", "x-amz-copy-source-range", "bytes=0-5242879"),
        route("PUT", "photos", k + "?partNumber=2&uploadId=" + UPLOAD,
            new UploadPartCopy("photos", KEY, UPLOAD, 2, new CopySource("src", "big.bin"), null),
            "x-amz-copy-source", "src/big.bin"),
        route("GET", "photos", k + "?uploadId=" + UPLOAD, new ListParts("photos", KEY, UPLOAD, 1000, 0)),
        route("GET", "photos", k + "?uploadId=" + UPLOAD + "&max-parts=2&part-number-marker=1",
            new ListParts("photos", KEY, UPLOAD, 2, 1)),
        route("POST", "photos", k + "?uploadId=" + UPLOAD, new CompleteMultipartUpload("photos", KEY, UPLOAD)),
        route("DELETE", "photos", k + "?uploadId=" + UPLOAD, new AbortMultipartUpload("photos", KEY, UPLOAD)),
        // Operations the gateway does not have are named, for NotImplemented.
        route("GET", "photos", "/?acl", new Unsupported("GetBucketAcl")),
        route("PUT", "photos", "/?acl", new Unsupported("PutBucketAcl")),
        route("GET", "photos", "/?policy", new Unsupported("GetBucketPolicy")),
        route("PUT", "photos", "/?policy", new Unsupported("PutBucketPolicy")),
        route("DELETE", "photos", "/?policy", new Unsupported("DeleteBucketPolicy")),
        route("GET", "photos", "/?versioning", new GetBucketVersioning("photos")),
        route("PUT", "photos", "/?versioning", new Unsupported("PutBucketVersioning")),
        route("GET", "photos", "/?tagging", new Unsupported("GetBucketTagging")),
        route("PUT", "photos", "/?cors", new Unsupported("PutBucketCors")),
        route("GET", "photos", "/?cors", new Unsupported("GetBucketCors")),
        route("PUT", "photos", "/?lifecycle", new Unsupported("PutBucketLifecycleConfiguration")),
        route("DELETE", "photos", "/?lifecycle", new Unsupported("DeleteBucketLifecycle")),
        route("GET", "photos", "/?versions", new Unsupported("ListObjectVersions")),
        route("GET", "photos", "/?object-lock", new Unsupported("GetObjectLockConfiguration")),
        route("PUT", "photos", "/?website", new Unsupported("PutBucketWebsite")),
        route("POST", "photos", "/", new Unsupported("PostObject")),
        route("GET", "photos", k + "?acl", new Unsupported("GetObjectAcl")),
        route("GET", "photos", k + "?tagging", new GetObjectTagging("photos", KEY)),
        route("PUT", "photos", k + "?tagging", new Unsupported("PutObjectTagging")),
        route("DELETE", "photos", k + "?tagging", new Unsupported("DeleteObjectTagging")),
        route("POST", "photos", k + "?restore", new Unsupported("RestoreObject")),
        route("POST", "photos", k + "?select&select-type=2", new Unsupported("SelectObjectContent")),
        route("GET", "photos", k + "?attributes", new Unsupported("GetObjectAttributes")),
        route("OPTIONS", "photos", k, new Unsupported("OptionsPreflight")));
  }

  @TestFactory
  Stream<DynamicTest> everyOperationRoutesInBothAddressingStyles() {
    return routes().stream().flatMap(r -> {
      String target = r.target.isEmpty() || r.target.startsWith("/") ? r.target : "/" + r.target;
      String pathTarget = "/" + r.bucket + target;
      String vhostTarget = target.isEmpty() ? "/" : target;
      return Stream.of(
          DynamicTest.dynamicTest("path " + r.method + " " + pathTarget,
              () -> assertThat(path(r.method, pathTarget, r.headers)).isEqualTo(r.expected)),
          DynamicTest.dynamicTest("vhost " + r.method + " " + r.bucket + " " + vhostTarget,
              () -> assertThat(vhost(r.method, r.bucket, vhostTarget, r.headers)).isEqualTo(r.expected)),
          DynamicTest.dynamicTest("vhost localhost:9000 " + r.method + " " + vhostTarget,
              () -> assertThat(parse(r.method, r.bucket + ".localhost:9000", vhostTarget, r.headers))
                  .isEqualTo(r.expected)));
    });
  }

  @Test
  void everyOperationOfTheTableIsRouted() {
    var routed = new java.util.HashSet<Class<?>>();
    routes().forEach(r -> routed.add(r.expected.getClass()));
    routed.add(ListBuckets.class);
    assertThat(routed).containsAll(List.of(S3Operation.class.getPermittedSubclasses()).stream()
        .filter(c -> !c.isInterface()).toList());
  }

  @Test
  void theServiceIsListedWithoutABucket() {
    assertThat(path("GET", "/")).isEqualTo(new ListBuckets());
    assertThat(parse("GET", "s3.example.com", "/")).isEqualTo(new ListBuckets());
    assertThat(parse("GET", "localhost:9000", "/")).isEqualTo(new ListBuckets());
    assertThat(parse("GET", null, "/")).isEqualTo(new ListBuckets());
    assertThat(errorOf(() -> path("PUT", "/"))).isEqualTo(S3Error.MethodNotAllowed);
    assertThat(errorOf(() -> path("DELETE", "/"))).isEqualTo(S3Error.MethodNotAllowed);
  }

  @Test
  void resourcesNameBucketAndKey() {
    assertThat(new ListBuckets().resource()).isEqualTo("/");
    assertThat(path("HEAD", "/photos").resource()).isEqualTo("/photos");
    assertThat(path("GET", "/photos/a%2Fb").resource()).isEqualTo("/photos/a/b");
    assertThat(path("GET", "/photos/a").name()).isEqualTo("GetObject");
    assertThat(new Unsupported("GetBucketAcl").name()).isEqualTo("GetBucketAcl");
  }

  @Test
  void unsupportedOperationsAreNotImplementedNever500() {
    S3Exception e = ((Unsupported) path("GET", "/photos?acl")).toException();
    assertThat(e.error()).isEqualTo(S3Error.NotImplemented);
    assertThat(e.httpStatus()).isEqualTo(501);
    assertThat(e.getMessage()).contains("GetBucketAcl");
  }

  // ---- addressing ---------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource(nullValues = "NULL", value = {
      "photos.s3.example.com, photos",
      "photos.s3.example.com:443, photos",
      "PHOTOS.S3.Example.COM., photos",
      "my.dotted.bucket.s3.example.com, my.dotted.bucket",
      "bucket.localhost:9000, bucket",
      "bucket.localhost, bucket",
      "s3.example.com, NULL",
      "s3.example.com:9000, NULL",
      "evil-s3.example.com, NULL",
      "localhost:9000, NULL",
      "127.0.0.1:9000, NULL",
      "'[::1]:9000', NULL",
      "example.org, NULL",
      "'', NULL",
      "NULL, NULL"})
  void virtualHostedStyleIsASubdomainOfABaseDomain(String host, String bucket) {
    assertThat(ADDRESSING.bucketFromHost(host).orElse(null)).isEqualTo(bucket);
  }

  @Test
  void theLongestBaseDomainWins() {
    S3Addressing a = S3Addressing.of("example.com", "s3.example.com");
    assertThat(a.bucketFromHost("b.s3.example.com")).contains("b");
    assertThat(a.bucketFromHost("b.example.com")).contains("b");
    assertThat(S3Addressing.pathStyleOnly().bucketFromHost("b.s3.example.com")).isEmpty();
  }

  @Test
  void aHostThatIsNotABucketMeansPathStyle() {
    assertThat(parse("GET", "s3.example.com", "/photos/k")).isEqualTo(new GetObject("photos", "k", null, Map.of()));
    assertThat(parse("GET", "unrelated.example.org", "/photos/k")).isEqualTo(new GetObject("photos", "k", null, Map.of()));
  }

  // ---- keys ---------------------------------------------------------------------------------

  @Test
  void keysAreDecodedExactlyOnce() {
    assertThat(key("a%2Fb")).isEqualTo("a/b");
    assertThat(key("a/b")).isEqualTo("a/b");
    assertThat(key("%252F")).isEqualTo("%2F");
    assertThat(key("%25")).isEqualTo("%");
    assertThat(key("100%25%20done")).isEqualTo("100% done");
  }

  @Test
  void plusIsLiteralInPathsAndASpaceInQueries() {
    assertThat(key("a+b")).isEqualTo("a+b");
    assertThat(key("a%2Bb")).isEqualTo("a+b");
    assertThat(key("a%20b")).isEqualTo("a b");
    assertThat(((ListObjectsV2) path("GET", "/b?list-type=2&prefix=a+b")).prefix()).isEqualTo("a b");
    assertThat(((ListObjectsV2) path("GET", "/b?list-type=2&prefix=a%2Bb")).prefix()).isEqualTo("a+b");
    assertThat(((ListObjectsV2) path("GET", "/b?list-type=2&prefix=a%20b")).prefix()).isEqualTo("a b");
  }

  @Test
  void slashesAndDotsAreKeyCharactersNotPathSyntax() {
    assertThat(key("/x")).isEqualTo("/x"); // GET /b//x
    assertThat(key("a//b")).isEqualTo("a//b");
    assertThat(key("../x")).isEqualTo("../x");
    assertThat(key("../../etc/passwd")).isEqualTo("../../etc/passwd");
    assertThat(key("%2E%2E/%2E%2E/etc")).isEqualTo("../../etc");
    assertThat(key("a/./b/")).isEqualTo("a/./b/");
    assertThat(key("..")).isEqualTo("..");
    assertThat(key(".")).isEqualTo(".");
    assertThat(key("dir/")).isEqualTo("dir/");
    // A trailing slash after the bucket is still the bucket.
    assertThat(path("GET", "/b/")).isInstanceOf(ListObjects.class);
  }

  @Test
  void everyUnusualCharacterS3AllowsSurvives() {
    // The characters AWS lists as "might require special handling" and "to avoid", and more.
    String specials = "&$@=;:+ ,?\\{}^%`[]\"'<>~#|!*()\t\n\r\u0000\u0001\u001f\u007f";
    for (int i = 0; i < specials.length(); i++) {
      String k = "a" + specials.charAt(i) + "z";
      assertThat(key(percentEncodeAll(k))).as("key %s", RandomInputs.describe(k)).isEqualTo(k);
    }
    assertThat(key("%E2%82%AC")).isEqualTo("\u20ac");
    assertThat(key("\u20ac")).isEqualTo("\u20ac"); // a raw UTF-8 path the HTTP layer passed as characters
    assertThat(key("%F0%9F%98%80")).isEqualTo("\ud83d\ude00");
    assertThat(key("%E6%97%A5%E6%9C%AC%E8%AA%9E/%D0%BA%D0%BB%D1%8E%D1%87")).isEqualTo("日本語/ключ");
    assertThat(key("%EF%BF%BF")).isEqualTo("\uffff");
  }

  @Test
  void malformedEscapesAndInvalidUtf8AreInvalidUri() {
    // "%٣٣" and "%３３": other scripts' digits, which Character.digit would read as 3 (a key SigV4 does not see).
    for (String bad : List.of("%", "a%2", "%ZZ", "%G0", "%E2%82", "%C0%AF", "%ED%A0%80", "%FF", "%\u0663\u0663", "%\uff13\uff13")) {
      assertThat(errorOf(() -> path("GET", "/b/" + bad))).as(bad).isEqualTo(S3Error.InvalidURI);
    }
    assertThat(errorOf(() -> path("GET", "/b?prefix=%E2"))).isEqualTo(S3Error.InvalidURI);
    assertThat(errorOf(() -> path("GET", "relative/path"))).isEqualTo(S3Error.InvalidURI);
  }

  @Test
  void keysAreLimitedTo1024Utf8Bytes() {
    assertThat(key("k".repeat(1024))).hasSize(1024);
    assertThat(key(percentEncodeAll("\u00e9".repeat(512)))).hasSize(512); // 2 bytes each
    S3Exception tooLong = catchS3(() -> path("PUT", "/b/" + "k".repeat(1025)));
    assertThat(tooLong.error()).isEqualTo(S3Error.KeyTooLongError);
    assertThat(tooLong.details()).containsEntry("Size", "1025").containsEntry("MaxSizeAllowed", "1024");
    assertThat(errorOf(() -> path("PUT", "/b/" + percentEncodeAll("\u00e9".repeat(512) + "x"))))
        .isEqualTo(S3Error.KeyTooLongError);
    // 256 four-byte characters are 1024 bytes; one more byte is too many.
    assertThat(key("%F0%9F%98%80".repeat(256))).hasSize(512);
    assertThat(errorOf(() -> path("PUT", "/b/" + "%F0%9F%98%80".repeat(256) + "x")))
        .isEqualTo(S3Error.KeyTooLongError);
    assertThat(errorOf(() -> path("PUT", "/b/k", "x-amz-copy-source", "src/" + "k".repeat(1025))))
        .isEqualTo(S3Error.KeyTooLongError);
  }

  /** Any key, encoded any way a client may (each character escaped or not), parses to itself. */
  @Test
  void anyKeyEncodedAnyWayRoundTrips() {
    List<String> edges = List.of("a", "/", "//", "..", "+", "%", " ", "\u0000", "\ud83d\ude00", "k".repeat(1024));
    RandomInputs.forAll(0x53_33_4b_45_59L, 500, edges, S3RequestTest::randomKey, RandomInputs::describe, k -> {
      SplittableRandom random = new SplittableRandom(k.hashCode());
      String encoded = encodeSome(k, random);
      assertThat(((PutObject) path("PUT", "/bucket/" + encoded)).key()).isEqualTo(k);
      assertThat(((PutObject) vhost("PUT", "bucket", "/" + encoded)).key()).isEqualTo(k);
      assertThat(((CopyObject) path("PUT", "/b/dst", "x-amz-copy-source", "/bucket/" + encoded)).source())
          .isEqualTo(new CopySource("bucket", k));
      // As a listing prefix, in the query (where '+' is a space, so clients escape it).
      assertThat(((ListObjectsV2) path("GET", "/b?list-type=2&prefix=" + percentEncodeAll(k))).prefix())
          .isEqualTo(k);
    });
  }

  private static String randomKey(SplittableRandom random) {
    StringBuilder sb = new StringBuilder();
    int length = 1 + random.nextInt(40);
    while (sb.length() < length) {
      int pick = random.nextInt(6);
      switch (pick) {
        case 0 -> sb.append(RandomInputs.oneOf(random, "/", "//", "..", ".", "+", "%", " ", "?", "#", "&", "="));
        case 1 -> sb.appendCodePoint(0x1F600 + random.nextInt(80)); // outside the BMP
        case 2 -> sb.append((char) random.nextInt(0x20)); // controls
        default -> sb.append(RandomInputs.bmpString(random, 3));
      }
    }
    return sb.toString();
  }

  private static final String UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

  /** Percent-encodes every byte but the unreserved characters. */
  static String percentEncodeAll(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c < 0x80 && UNRESERVED.indexOf(c) >= 0) {
        out.append((char) c);
      } else {
        out.append(String.format("%%%02X", c));
      }
    }
    return out.toString();
  }

  /** Percent-encodes what must be, and each other character only now and then (lower or upper hex). */
  private static String encodeSome(String s, SplittableRandom random) {
    StringBuilder out = new StringBuilder();
    s.codePoints().forEach(cp -> {
      String ch = new String(Character.toChars(cp));
      boolean mustEncode = cp == '%' || cp == '?' || cp == '#' || cp < 0x21 || cp == 0x7f;
      if (mustEncode || random.nextInt(3) == 0) {
        for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
          out.append(String.format(random.nextBoolean() ? "%%%02X" : "%%%02x", b & 0xff));
        }
      } else {
        out.append(ch); // '/', '+', unicode characters raw
      }
    });
    return out.toString();
  }

  // ---- validation ---------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"max-keys=abc", "max-keys=-1", "max-keys=99999999999", "max-keys=1.5", "max-keys=",
      "encoding-type=xml", "encoding-type=URL2", "fetch-owner=maybe", "list-type=3", "list-type=1&x=",
      "continuation-token="})
  void badListingParametersAreInvalidArgument(String query) {
    String q = query.startsWith("list-type") ? query : "list-type=2&" + query;
    assertThat(errorOf(() -> path("GET", "/b?" + q))).isEqualTo(S3Error.InvalidArgument);
  }

  @Test
  void maxKeysIsCappedAt1000AndMayBeZero() {
    assertThat(((ListObjectsV2) path("GET", "/b?list-type=2&max-keys=0")).maxKeys()).isZero();
    assertThat(((ListObjectsV2) path("GET", "/b?list-type=2&max-keys=1000")).maxKeys()).isEqualTo(1000);
    assertThat(((ListObjectsV2) path("GET", "/b?list-type=2&max-keys=2147483647")).maxKeys()).isEqualTo(1000);
    assertThat(((ListObjects) path("GET", "/b?max-keys=1001")).maxKeys()).isEqualTo(1000);
    assertThat(((ListParts) path("GET", "/b/k?uploadId=u&max-parts=5000")).maxParts()).isEqualTo(1000);
    assertThat(((ListMultipartUploads) path("GET", "/b?uploads&max-uploads=5000")).maxUploads()).isEqualTo(1000);
    assertThat(errorOf(() -> path("GET", "/b?uploads&max-uploads=x"))).isEqualTo(S3Error.InvalidArgument);
    assertThat(errorOf(() -> path("GET", "/b/k?uploadId=u&max-parts=-5"))).isEqualTo(S3Error.InvalidArgument);
    assertThat(errorOf(() -> path("GET", "/b/k?uploadId=u&part-number-marker=x"))).isEqualTo(S3Error.InvalidArgument);
  }

  @Test
  void emptyDelimiterIsNoDelimiter() {
    assertThat(((ListObjectsV2) path("GET", "/b?list-type=2&delimiter=")).delimiter()).isNull();
    assertThat(((ListObjects) path("GET", "/b?delimiter=%2F")).delimiter()).isEqualTo("/");
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "10001", "-1", "x", "", "1e3", "99999999999"})
  void partNumbersOutside1To10000AreInvalidArgument(String partNumber) {
    assertThat(errorOf(() -> path("PUT", "/b/k?partNumber=" + partNumber + "&uploadId=u")))
        .isEqualTo(S3Error.InvalidArgument);
    assertThat(errorOf(() -> path("GET", "/b/k?partNumber=" + partNumber))).isEqualTo(S3Error.InvalidArgument);
  }

  @Test
  void uploadPartNeedsBothPartNumberAndUploadId() {
    assertThat(errorOf(() -> path("PUT", "/b/k?uploadId=u"))).isEqualTo(S3Error.InvalidArgument);
    assertThat(errorOf(() -> path("PUT", "/b/k?partNumber=1"))).isEqualTo(S3Error.InvalidArgument);
    assertThat(errorOf(() -> path("PUT", "/b/k?partNumber=1&uploadId="))).isEqualTo(S3Error.InvalidArgument);
    assertThat(errorOf(() -> path("POST", "/b/k?uploadId="))).isEqualTo(S3Error.InvalidArgument);
    assertThat(errorOf(() -> path("POST", "/b/k"))).isEqualTo(S3Error.MethodNotAllowed);
  }

  @Test
  void versionsOtherThanNullAreRefused() {
    assertThat(errorOf(() -> path("GET", "/b/k?versionId=3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"))).isEqualTo(S3Error.InvalidArgument);
    assertThat(errorOf(() -> path("DELETE", "/b/k?versionId=abc"))).isEqualTo(S3Error.InvalidArgument);
    assertThat(path("DELETE", "/b/k?versionId=null")).isEqualTo(new DeleteObject("b", "k"));
  }

  @Test
  void copySourceIsUrlDecodedAndMayNotNameAVersion() {
    assertThat(S3Request.copySource("/src/a%2Fb+c%3Fd")).isEqualTo(new CopySource("src", "a/b+c?d"));
    assertThat(S3Request.copySource("src/%E2%82%AC/..//x")).isEqualTo(new CopySource("src", "\u20ac/..//x"));
    assertThat(S3Request.copySource("src/k?versionId=null")).isEqualTo(new CopySource("src", "k"));
    assertThat(errorOf(() -> S3Request.copySource("src/k?versionId=QUpfdndhfd8438MNFDN93jdnJFkdmqnh893")))
        .isEqualTo(S3Error.InvalidArgument);
    for (String bad : List.of("src", "/src", "src/", "/src/", "/", "", "/k")) {
      assertThat(errorOf(() -> S3Request.copySource(bad))).as(bad).isEqualTo(S3Error.InvalidArgument);
    }
    assertThat(errorOf(() -> S3Request.copySource("bad%20bucket/k"))).isEqualTo(S3Error.InvalidBucketName);
    assertThat(errorOf(() -> S3Request.copySource("src/%ZZ"))).isEqualTo(S3Error.InvalidURI);
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes=10-5", "bytes=-5", "bytes=5-", "0-5", "bytes=a-b", "bytes=0-1,2-3"})
  void badCopySourceRangesAreInvalidArgument(String range) {
    assertThat(errorOf(() -> path("PUT", "/b/k?partNumber=1&uploadId=u",
        "x-amz-copy-source", "src/k", "x-amz-copy-source-range", range))).isEqualTo(S3Error.InvalidArgument);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ab", "Photos", "my_bucket", "my..bucket", "-bucket", "bucket-", ".bucket", "bucket.",
      "192.168.5.4", "xn--bucket", "sthree-bucket", "bucket-s3alias", "bucket--ol-s3", "bucket--x-s3",
      "b%20ucket", "bucket%2Fx"})
  void newBucketNamesFollowTheNamingRules(String name) {
    assertThat(errorOf(() -> path("PUT", "/" + name))).isEqualTo(S3Error.InvalidBucketName);
  }

  @Test
  void validBucketNames() {
    for (String name : List.of("abc", "my.bucket-1", "a".repeat(63), "1bucket", "docexamplebucket1")) {
      assertThat(path("PUT", "/" + name)).isEqualTo(new CreateBucket(name));
    }
    assertThat(errorOf(() -> path("PUT", "/" + "a".repeat(64)))).isEqualTo(S3Error.InvalidBucketName);
    // Legacy names may still be read; characters no bucket can have are refused everywhere.
    assertThat(path("GET", "/My_Legacy_Bucket/k")).isEqualTo(new GetObject("My_Legacy_Bucket", "k", null, Map.of()));
    assertThat(errorOf(() -> path("GET", "/b%20c/k"))).isEqualTo(S3Error.InvalidBucketName);
    assertThat(errorOf(() -> path("GET", "//k"))).isEqualTo(S3Error.InvalidBucketName);
  }

  @Test
  void unknownMethodsAreMethodNotAllowed() {
    assertThat(errorOf(() -> path("PATCH", "/b/k"))).isEqualTo(S3Error.MethodNotAllowed);
    assertThat(errorOf(() -> path("TRACE", "/b"))).isEqualTo(S3Error.MethodNotAllowed);
    assertThat(errorOf(() -> path(null, "/b"))).isEqualTo(S3Error.MethodNotAllowed);
    assertThat(path("get", "/b/k")).isInstanceOf(GetObject.class);
  }

  @Test
  void repeatedQueryParametersKeepTheFirst() {
    assertThat(((ListObjectsV2) path("GET", "/b?list-type=2&prefix=a&prefix=b")).prefix()).isEqualTo("a");
  }

  @Test
  void headersAreOptional() {
    assertThat(new S3Request("PUT", "/b/k", null, null, null).parse(ADDRESSING)).isEqualTo(new PutObject("b", "k"));
    Function<String, String> none = name -> null;
    assertThat(new S3Request("PUT", "/b/k", "", "", none).parse(ADDRESSING)).isEqualTo(new PutObject("b", "k"));
  }

  private static S3Exception catchS3(Runnable r) {
    try {
      r.run();
    } catch (S3Exception e) {
      return e;
    }
    throw new AssertionError("no S3Exception");
  }

  @Test
  void errorsCarryTheirTableEntry() {
    assertThatThrownBy(() -> path("GET", "/b?list-type=2&max-keys=x"))
        .isInstanceOf(S3Exception.class)
        .hasMessageContaining("max-keys");
  }
}
