package io.canopy.gateway.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.s3.data.ObjectKeeper;
import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketVersioningStatus;
import software.amazon.awssdk.services.s3.model.EncodingType;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * Bad input against a real gateway: every case gets the S3 XML error of {@link S3Error} (code and
 * status), nothing is half-stored, and the server goes on serving. What the AWS SDK refuses to
 * send goes over raw sockets, signed with the SDK's own SigV4 signer where a signature is needed.
 */
@Timeout(300)
class S3BadInputTest {
  private static final Pattern KEY = Pattern.compile("<Key>(.*?)</Key>", Pattern.DOTALL);

  @TempDir Path tmp;
  private Path blocksDir;
  private JdbcS3Metadata metadata;
  private Gateway gateway;
  private URI endpoint;
  private AccessKey alice;
  private S3Client s3;
  private final WriteTracker writes = new WriteTracker();

  @BeforeEach
  void start() throws Exception {
    metadata = JdbcS3Metadata.openSqlite(tmp.resolve("s3.db"));
    metadata.createAccount("alice");
    alice = metadata.issueAccessKey("alice");
    blocksDir = tmp.resolve("store").resolve("blocks");
    FileBlockstore blocks = FileBlockstore.open(blocksDir);
    gateway = Gateway.start(null, blocks,
        new Gateway.S3Face(new InetSocketAddress("127.0.0.1", 0), metadata, writes, null, null));
    endpoint = gateway.urls().get("s3");
    s3 = client(alice.accessKeyId(), alice.secretAccessKey());
    s3.createBucket(b -> b.bucket("bad"));
    s3.createBucket(b -> b.bucket("live"));
    s3.putObject(b -> b.bucket("live").key("alive"), RequestBody.fromString("still here"));
  }

  @AfterEach
  void stop() {
    s3.close();
    gateway.close();
    metadata.close();
  }

  // ---- signatures, expiry, skew ---------------------------------------------------------------

  @Test
  void badSignaturesAreRefusedAndStoreNothing() throws Exception {
    try (S3Client wrong = client(alice.accessKeyId(),
        (alice.secretAccessKey().charAt(0) == 'x' ? "y" : "x") + alice.secretAccessKey().substring(1))) {
      assertError(sdkError(() -> wrong.putObject(b -> b.bucket("bad").key("forged"), RequestBody.fromString("no"))),
          S3Error.SignatureDoesNotMatch);
    }
    try (S3Client unknown = client("CNPYUNKNOWNKEY000000", alice.secretAccessKey())) {
      assertError(sdkError(() -> unknown.listBuckets()), S3Error.InvalidAccessKeyId);
      assertError(sdkError(() -> unknown.putObject(b -> b.bucket("bad").key("forged"), RequestBody.fromString("no"))),
          S3Error.InvalidAccessKeyId);
    }

    // A header changed after signing.
    Signed put = sign("PUT", "/bad/forged", Map.of(), Map.of("x-amz-meta-colour", "green"), bytes("body"),
        Clock.systemUTC(), false);
    Reply tampered = send(put.withHeader("x-amz-meta-colour", "red"));
    assertXmlError(tampered, S3Error.SignatureDoesNotMatch);
    Reply ok = send(put);
    assertThat(ok.status()).as(ok.text()).isEqualTo(200);
    assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key("forged")).asUtf8String()).isEqualTo("body");
    assertThat(s3.headObject(b -> b.bucket("bad").key("forged")).metadata()).containsEntry("colour", "green");

    // A query parameter changed after signing.
    Signed list = sign("GET", "/bad", Map.of("list-type", "2", "prefix", "forged"), Map.of(), null, Clock.systemUTC(),
        false);
    assertThat(send(list).status()).isEqualTo(200);
    Signed otherPrefix = list.withQuery(list.query().replace("prefix=forged", "prefix=other"));
    assertThat(otherPrefix.query()).isNotEqualTo(list.query());
    assertXmlError(send(otherPrefix), S3Error.SignatureDoesNotMatch);
    Signed extraParam = list.withQuery(list.query() + "&max-keys=1");
    assertXmlError(send(extraParam), S3Error.SignatureDoesNotMatch);

    // Authorization headers that are not SigV4 at all, or broken SigV4: a 4xx S3 error, never a 500.
    for (String auth : List.of("AWS4-HMAC-SHA256 garbage", "Bearer abc", "AWS4-HMAC-SHA256 Credential=, SignedHeaders=,"
        + " Signature=", "AWS4-HMAC-SHA256 Credential=" + alice.accessKeyId() + "/20200101/us-east-1/s3/aws4_request,"
        + " SignedHeaders=host, Signature=" + "0".repeat(64), "")) {
      Reply r = send(list.withHeader("Authorization", auth));
      assertThat(r.status()).as("Authorization: %s → %s", auth, r.text()).isBetween(400, 403);
      assertXmlError(r, S3Error.valueOf(errorCode(r)));
    }
    Signed unknownKey = presign("GET", "/bad/forged", Clock.systemUTC(), Duration.ofMinutes(5));
    unknownKey = unknownKey.withQuery(unknownKey.query().replace(alice.accessKeyId(), "CNPYUNKNOWNKEY000000"));
    assertXmlError(send(unknownKey), S3Error.InvalidAccessKeyId);

    // A tampered body under a signed payload hash.
    Signed signedBody = sign("PUT", "/bad/signed-body", Map.of(), Map.of(), bytes("original"), Clock.systemUTC(), true);
    Reply badBody = send(signedBody.withBody(bytes("modified")));
    assertXmlError(badBody, S3Error.XAmzContentSHA256Mismatch);
    assertNoSuchKey("bad", "signed-body");
  }

  @Test
  void expiredPresignedUrlsAndSkewedClocksAreRefused() throws Exception {
    s3.putObject(b -> b.bucket("bad").key("file.txt"), RequestBody.fromString("content"));
    Clock now = Clock.systemUTC();
    Reply fresh = send(presign("GET", "/bad/file.txt", now, Duration.ofMinutes(5)));
    assertThat(fresh.status()).as(fresh.text()).isEqualTo(200);
    assertThat(fresh.text()).isEqualTo("content");

    Clock hourAgo = Clock.offset(now, Duration.ofHours(-1));
    Reply expired = send(presign("GET", "/bad/file.txt", hourAgo, Duration.ofSeconds(60)));
    assertXmlError(expired, S3Error.AccessDenied);
    assertThat(expired.text()).contains("Request has expired");

    Reply expiredPut = send(presign("PUT", "/bad/late.txt", hourAgo, Duration.ofSeconds(60)).withBody(bytes("late")));
    assertXmlError(expiredPut, S3Error.AccessDenied);
    assertNoSuchKey("bad", "late.txt");

    for (Duration skew : List.of(Duration.ofHours(-1), Duration.ofHours(1), Duration.ofMinutes(-16))) {
      Signed skewed = sign("PUT", "/bad/skewed.txt", Map.of(), Map.of(), bytes("skewed"), Clock.offset(now, skew), false);
      assertXmlError(send(skewed), S3Error.RequestTimeTooSkewed);
    }
    assertNoSuchKey("bad", "skewed.txt");
    Signed slightlyOff = sign("PUT", "/bad/skewed.txt", Map.of(), Map.of(), bytes("fine"),
        Clock.offset(now, Duration.ofMinutes(-5)), false);
    assertThat(send(slightlyOff).status()).isEqualTo(200);
  }

  // ---- XML bodies ------------------------------------------------------------------------------

  @Test
  void malformedXmlBodiesAreMalformedXmlAndDeleteNothing() throws Exception {
    s3.putObject(b -> b.bucket("bad").key("keep"), RequestBody.fromString("kept"));
    String uploadId = s3.createMultipartUpload(b -> b.bucket("bad").key("mp")).uploadId();
    String etag = s3.uploadPart(b -> b.bucket("bad").key("mp").uploadId(uploadId).partNumber(1),
        RequestBody.fromString("part one")).eTag();

    List<String> malformed = List.of(
        "<Delete><Object><Key>keep</Key></Object>",
        "<Delete><Object><Key>keep</Key></Objekt></Delete>",
        "not xml at all",
        "<Delete><Object><Key>keep</Key></Object></Delete><Delete/>",
        "<?xml version=\"1.0\"?><Delete><Object><Key>keep</Key></Object><Delete>",
        "");
    for (String body : malformed) {
      Reply r = send(sign("POST", "/bad", Map.of("delete", ""), Map.of("Content-Type", "application/xml"), bytes(body),
          Clock.systemUTC(), true));
      assertThat(r.status()).as("DeleteObjects with %s: %s", body, r.text()).isEqualTo(400);
      assertThat(errorCode(r)).as(body).isEqualTo("MalformedXML");
    }
    StringBuilder huge = new StringBuilder("<Delete>");
    while (huge.length() < 4 << 20) {
      huge.append("<Object><Key>keep</Key></Object>");
    }
    Reply tooBig = send(sign("POST", "/bad", Map.of("delete", ""), Map.of(), bytes(huge.append("</Delete>").toString()),
        Clock.systemUTC(), true));
    assertXmlError(tooBig, S3Error.MalformedXML);
    assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key("keep")).asUtf8String()).isEqualTo("kept");

    List<String> badCompletions = List.of(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + etag + "</ETag></Part>",
        "<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>" + etag + "</ETag></Part>"
            + "</CompleteMultipartUpload>",
        "garbage",
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" + etag
            + "</ETag></Part></CompleteMultipartUpload><trailing/>");
    for (String body : badCompletions) {
      Reply r = send(sign("POST", "/bad/mp", Map.of("uploadId", uploadId), Map.of(), bytes(body), Clock.systemUTC(),
          true));
      assertThat(r.status()).as("Complete with %s: %s", body, r.text()).isEqualTo(400);
      assertThat(errorCode(r)).as(body).isEqualTo("MalformedXML");
    }
    assertThat(s3.listParts(b -> b.bucket("bad").key("mp").uploadId(uploadId)).parts()).extracting(Part::partNumber)
        .containsExactly(1);
    assertNoSuchKey("bad", "mp");
  }

  @Test
  void xmlWithDoctypeOrEntitiesIsRefused() throws Exception {
    Path secret = tmp.resolve("secret.txt");
    Files.writeString(secret, "TOPSECRET");
    s3.putObject(b -> b.bucket("bad").key("TOPSECRET"), RequestBody.fromString("victim"));
    s3.putObject(b -> b.bucket("bad").key("lol"), RequestBody.fromString("victim too"));
    String uploadId = s3.createMultipartUpload(b -> b.bucket("bad").key("mp")).uploadId();
    String etag = s3.uploadPart(b -> b.bucket("bad").key("mp").uploadId(uploadId).partNumber(1),
        RequestBody.fromString("part one")).eTag();

    String external = "<?xml version=\"1.0\"?><!DOCTYPE Delete [<!ENTITY xxe SYSTEM \"" + secret.toUri() + "\">]>";
    String internal = "<?xml version=\"1.0\"?><!DOCTYPE Delete [<!ENTITY lol \"lol\">"
        + "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        + "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>";
    String doctypeOnly = "<?xml version=\"1.0\"?><!DOCTYPE Delete SYSTEM \"" + secret.toUri() + "\">";
    for (String body : List.of(
        external + "<Delete><Object><Key>&xxe;</Key></Object></Delete>",
        internal + "<Delete><Object><Key>&lol;</Key></Object><Object><Key>&lol3;</Key></Object></Delete>",
        doctypeOnly + "<Delete><Object><Key>TOPSECRET</Key></Object></Delete>",
        "<Delete><Object><Key>&undeclared;</Key></Object></Delete>")) {
      Reply r = send(sign("POST", "/bad", Map.of("delete", ""), Map.of(), bytes(body), Clock.systemUTC(), true));
      assertThat(r.status()).as("%s: %s", body, r.text()).isEqualTo(400);
      assertThat(errorCode(r)).as(body).isEqualTo("MalformedXML");
      assertThat(r.text()).doesNotContain("TOPSECRET");
    }
    assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key("TOPSECRET")).asUtf8String()).isEqualTo("victim");
    assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key("lol")).asUtf8String()).isEqualTo("victim too");

    String part = "<Part><PartNumber>1</PartNumber><ETag>" + etag + "</ETag></Part>";
    for (String body : List.of(
        external.replace("Delete", "CompleteMultipartUpload") + "<CompleteMultipartUpload>" + part
            + "<Part><PartNumber>&xxe;</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>",
        internal.replace("Delete", "CompleteMultipartUpload") + "<CompleteMultipartUpload>" + part
            + "</CompleteMultipartUpload>")) {
      Reply r = send(sign("POST", "/bad/mp", Map.of("uploadId", uploadId), Map.of(), bytes(body), Clock.systemUTC(),
          true));
      assertThat(r.status()).as("%s: %s", body, r.text()).isEqualTo(400);
      assertThat(errorCode(r)).as(body).isEqualTo("MalformedXML");
      assertThat(r.text()).doesNotContain("TOPSECRET");
    }
    assertNoSuchKey("bad", "mp");
    assertThat(s3.listParts(b -> b.bucket("bad").key("mp").uploadId(uploadId)).parts()).hasSize(1);
  }

  // ---- keys ------------------------------------------------------------------------------------

  @Test
  void pathTraversalKeysAreOpaqueKeys() throws Exception {
    String token = "canopy-escape-" + UUID.randomUUID();
    Path passwd = Path.of("/etc/passwd");
    BasicFileAttributes passwdBefore = Files.exists(passwd) ? Files.readAttributes(passwd, BasicFileAttributes.class)
        : null;
    // wire path (after /bad/) -> the key the server must store
    Map<String, String> wireToKey = new LinkedHashMap<>();
    wireToKey.put("../" + token + "-1", "../" + token + "-1");
    wireToKey.put("..%2F" + token + "-2", "../" + token + "-2");
    wireToKey.put("..%252F" + token + "-3", "..%2F" + token + "-3");
    wireToKey.put("/../../etc/passwd", "/../../etc/passwd");
    wireToKey.put("/../../../../../../../../" + token + "-4", "/../../../../../../../../" + token + "-4");
    wireToKey.put("a/./b", "a/./b");
    wireToKey.put("./" + token + "-5", "./" + token + "-5");
    wireToKey.put("..", "..");
    wireToKey.put("a/../../..", "a/../../..");
    wireToKey.put("..%5C..%5C" + token + "-6", "..\\..\\" + token + "-6");
    wireToKey.put("a%5Cb", "a\\b");
    wireToKey.put("%2E%2E/%2E%2E/" + token + "-7", "../../" + token + "-7");
    wireToKey.put("a//b///c", "a//b///c");

    Map<String, byte[]> contents = new LinkedHashMap<>();
    int i = 0;
    for (Map.Entry<String, String> e : wireToKey.entrySet()) {
      byte[] body = random(1000 + i, i++);
      contents.put(e.getValue(), body);
      Signed put = sign("PUT", "/bad/" + canonicalKey(e.getValue()), Map.of(), Map.of(), body, Clock.systemUTC(), true)
          .withPath("/bad/" + e.getKey());
      Reply r = send(put);
      assertThat(r.status()).as("PUT %s: %s", e.getKey(), r.text()).isEqualTo(200);
    }
    for (Map.Entry<String, String> e : wireToKey.entrySet()) {
      Signed get = sign("GET", "/bad/" + canonicalKey(e.getValue()), Map.of(), Map.of(), null, Clock.systemUTC(), true)
          .withPath("/bad/" + e.getKey());
      Reply r = send(get);
      assertThat(r.status()).as("GET %s: %s", e.getKey(), r.text()).isEqualTo(200);
      assertThat(r.body()).as("GET %s", e.getKey()).isEqualTo(contents.get(e.getValue()));
    }
    // Through the SDK too, by the decoded keys.
    for (Map.Entry<String, byte[]> e : contents.entrySet()) {
      assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key(e.getKey())).asByteArray()).as(e.getKey())
          .isEqualTo(e.getValue());
    }
    assertThat(listKeys("bad", "")).containsExactlyInAnyOrderElementsOf(contents.keySet());
    assertThat(s3.listObjectsV2(b -> b.bucket("bad")).contents()).extracting(S3Object::key)
        .containsExactlyInAnyOrderElementsOf(contents.keySet());
    assertThat(listKeys("bad", "../")).containsExactlyInAnyOrder("../" + token + "-1", "../" + token + "-2",
        "../../" + token + "-7");

    // A bucket name is never a path: ".." is a bucket that does not exist (or cannot), not a parent.
    for (String wire : List.of("/../bad/x", "/./bad/x", "/%2E%2E/bad/x", "/..%2Fbad/x")) {
      Reply r = send(sign("PUT", canonicalKey(percentDecode(wire)), Map.of(), Map.of(), bytes("x"), Clock.systemUTC(),
          true).withPath(wire));
      assertThat(r.status()).as("PUT %s: %s", wire, r.text()).isIn(400, 404);
      assertThat(errorCode(r)).as(wire).isIn("NoSuchBucket", "InvalidBucketName");
      assertXmlError(r, S3Error.valueOf(errorCode(r)));
    }
    assertNoSuchKey("bad", "x");
    assertNoSuchKey("bad", "bad/x");
    // Nor is a copy source: "bad/../other/secret" is key "../other/secret" of bucket "bad".
    metadata.createAccount("bob");
    AccessKey bob = metadata.issueAccessKey("bob");
    try (S3Client asBob = client(bob.accessKeyId(), bob.secretAccessKey())) {
      asBob.createBucket(b -> b.bucket("bobs"));
      asBob.putObject(b -> b.bucket("bobs").key("secret"), RequestBody.fromString("bob's secret"));
    }
    for (String source : List.of("bad/../bobs/secret", "/bad/../bobs/secret", "bad/..%2Fbobs%2Fsecret")) {
      Reply r = send(sign("PUT", "/bad/stolen", Map.of(), Map.of("x-amz-copy-source", source), null,
          Clock.systemUTC(), true));
      assertXmlError(r, S3Error.NoSuchKey);
    }
    // With even the first slash encoded there is no bucket/key split at all.
    assertXmlError(send(sign("PUT", "/bad/stolen", Map.of(), Map.of("x-amz-copy-source", "bad%2F..%2Fbobs%2Fsecret"),
        null, Clock.systemUTC(), true)), S3Error.InvalidArgument);
    for (String source : List.of("bobs/secret", "bobs/./secret", "bobs/x/../secret")) {
      Reply r = send(sign("PUT", "/bad/stolen", Map.of(), Map.of("x-amz-copy-source", source), null,
          Clock.systemUTC(), true));
      assertThat(r.status()).as("copy from %s: %s", source, r.text()).isIn(403, 404);
      assertThat(errorCode(r)).isIn("AccessDenied", "NoSuchKey");
    }
    assertNoSuchKey("bad", "stolen");

    // Nothing reached the file system under any of those names.
    if (passwdBefore != null) {
      BasicFileAttributes after = Files.readAttributes(passwd, BasicFileAttributes.class);
      assertThat(after.lastModifiedTime()).isEqualTo(passwdBefore.lastModifiedTime());
      assertThat(after.size()).isEqualTo(passwdBefore.size());
    }
    List<Path> roots = new ArrayList<>(List.of(tmp, Path.of("").toAbsolutePath(), Path.of("/")));
    for (Path p = tmp.getParent(); p != null; p = p.getParent()) {
      roots.add(p);
    }
    for (Path root : roots) {
      try (Stream<Path> entries = Files.list(root)) {
        assertThat(entries.map(p -> p.getFileName().toString())).as("entries of %s", root)
            .noneMatch(n -> n.contains(token));
      }
    }
    try (Stream<Path> walk = Files.walk(tmp)) {
      List<Path> all = walk.toList();
      assertThat(all).noneMatch(p -> p.toString().contains(token));
      assertThat(all).noneMatch(p -> p.getFileName() != null && p.getFileName().toString().equals("passwd"));
      assertThat(all).as("every file under the store or the database")
          .allMatch(p -> p.equals(tmp) || p.startsWith(tmp.resolve("store")) || p.getFileName().toString().startsWith("s3.db"));
    }
  }

  @Test
  void keysWithEveryCharacterS3AllowsRoundTrip() throws Exception {
    String thousand = "k".repeat(1024);
    String multibyte = "\u65e5".repeat(341) + "a"; // 1023 + 1 = 1024 bytes of UTF-8
    String astral = "\ud83d\ude00".repeat(256); // 4 bytes each: 1024
    List<String> keys = List.of(
        "with space", "  leading and trailing  ", "plus+sign", "percent%literal%", "pct%2Fencoded%20",
        "amp&ersand", "question?mark", "hash#tag", "equals=sign", "semi;colon", "comma,", "at@dollar$",
        "brackets[]{}()<>", "quotes'\"`", "star*tilde~caret^pipe|", "colon:", "excl!",
        "\u00fcn\u00efc\u00f8d\u00e9 \u65e5\u672c\u8a9e", "astral \ud83d\ude00 \ud834\udd1e \ud842\udfb7",
        "control\u0001\u0002\u001f\u007f", "tab\tnew\nline\rcr", "xml&lt;not-an-entity&gt;]]>", "ends/with/",
        "\u200b\ufeffzero-width", thousand, multibyte, astral);
    for (String key : keys) {
      assertThat(key.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(1024);
    }
    Map<String, byte[]> contents = new LinkedHashMap<>();
    int seed = 0;
    for (String key : keys) {
      byte[] body = random(100 + seed, seed++);
      contents.put(key, body);
      s3.putObject(b -> b.bucket("bad").key(key), RequestBody.fromBytes(body));
    }
    for (String key : keys) {
      assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key(key)).asByteArray()).as(key)
          .isEqualTo(contents.get(key));
      Reply raw = send(sign("GET", "/bad/" + canonicalKey(key), Map.of(), Map.of(), null, Clock.systemUTC(), true));
      assertThat(raw.body()).as("raw GET of %s", key).isEqualTo(contents.get(key));
    }
    assertThat(listKeys("bad", "")).containsExactlyInAnyOrderElementsOf(keys);
    assertThat(s3.listObjectsV2Paginator(b -> b.bucket("bad").maxKeys(5).encodingType(EncodingType.URL))
        .contents()).extracting(S3Object::key)
        .containsExactlyInAnyOrderElementsOf(keys);
    assertThat(listKeys("bad", "control\u0001")).containsExactly("control\u0001\u0002\u001f\u007f");

    // NUL: stored like any other character, or refused as a bad argument; never a server error.
    S3Exception nul = catchThrowableOfType(S3Exception.class,
        () -> s3.putObject(b -> b.bucket("bad").key("nul\u0000char"), RequestBody.fromString("nul")));
    if (nul == null) {
      assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key("nul\u0000char")).asUtf8String()).isEqualTo("nul");
      s3.deleteObject(b -> b.bucket("bad").key("nul\u0000char"));
    } else {
      assertThat(nul.statusCode()).as(nul.getMessage()).isEqualTo(400);
    }

    String tooLong = "k".repeat(1025);
    assertError(sdkError(() -> s3.putObject(b -> b.bucket("bad").key(tooLong), RequestBody.fromString("x"))),
        S3Error.KeyTooLongError);
    String tooLongMultibyte = "\u65e5".repeat(342); // 1026 bytes
    assertError(sdkError(() -> s3.putObject(b -> b.bucket("bad").key(tooLongMultibyte), RequestBody.fromString("x"))),
        S3Error.KeyTooLongError);
    assertThat(listKeys("bad", "")).hasSize(keys.size());
  }

  // ---- oversized requests ----------------------------------------------------------------------

  @Test
  void oversizedRequestLinesAndHeadersAreRefusedAndTheServerGoesOn() throws Exception {
    String longPath = "/bad/" + "a".repeat(Gateway.MAX_INITIAL_LINE + 100);
    try (RawConnection c = connect()) {
      c.write(bytes("GET " + longPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
      Reply r = c.read(false);
      assertThat(r.status()).as(r.text()).isEqualTo(414);
    }
    assertAlive();

    try (RawConnection c = connect()) {
      c.write(bytes("GET /live/alive HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "v".repeat(Gateway.MAX_HEADER_SIZE + 100)
          + "\r\n\r\n"));
      Reply r = c.read(false);
      assertThat(r.status()).as(r.text()).isEqualTo(431);
    }
    assertAlive();

    StringBuilder many = new StringBuilder("GET /live/alive HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (int i = 0; i < 5000; i++) {
      many.append("X-H").append(i).append(": v\r\n");
    }
    try (RawConnection c = connect()) {
      c.write(bytes(many.append("\r\n").toString()));
      Reply r = c.read(false);
      assertThat(r.status()).as(r.text()).isEqualTo(431);
    }
    assertAlive();

    // A keep-alive connection: a refused request, then a good one on the same connection.
    try (RawConnection c = connect()) {
      Signed bad = sign("GET", "/live/alive", Map.of("acl", ""), Map.of(), null, Clock.systemUTC(), true);
      Signed good = sign("GET", "/live/alive", Map.of(), Map.of(), null, Clock.systemUTC(), true);
      c.write(bad.wire(false));
      assertXmlError(c.read(false), S3Error.NotImplemented);
      c.write(good.wire(false));
      Reply r = c.read(false);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.text()).isEqualTo("still here");
    }
  }

  @Test
  void userMetadataOverTwoKilobytesIsMetadataTooLarge() throws Exception {
    Map<String, String> big = Map.of("big", "x".repeat(2100));
    assertError(sdkError(() -> s3.putObject(b -> b.bucket("bad").key("meta").metadata(big), RequestBody.fromString("x"))),
        S3Error.MetadataTooLarge);
    Map<String, String> many = new TreeMap<>();
    for (int i = 0; i < 200; i++) {
      many.put("m" + i, "value-" + i); // ~ 2.5 KB in total, each small
    }
    assertError(sdkError(() -> s3.putObject(b -> b.bucket("bad").key("meta").metadata(many), RequestBody.fromString("x"))),
        S3Error.MetadataTooLarge);
    assertError(sdkError(() -> s3.createMultipartUpload(b -> b.bucket("bad").key("meta").metadata(many))),
        S3Error.MetadataTooLarge);
    assertNoSuchKey("bad", "meta");
    assertThat(s3.listMultipartUploads(b -> b.bucket("bad")).uploads()).isEmpty();

    Map<String, String> justFits = Map.of("fits", "y".repeat(2048 - 4));
    s3.putObject(b -> b.bucket("bad").key("meta").metadata(justFits), RequestBody.fromString("x"));
    assertThat(s3.headObject(b -> b.bucket("bad").key("meta")).metadata()).containsEntry("fits", "y".repeat(2044));
  }

  // ---- clients that go away ---------------------------------------------------------------------

  @Test
  void aClientThatDisconnectsMidUploadLeavesNothingBehind() throws Exception {
    byte[] v1 = random(200_000, 1);
    s3.putObject(b -> b.bucket("bad").key("existing"), RequestBody.fromBytes(v1));
    int total = 10 << 20;
    byte[] full = random(total, 2);
    byte[] first = java.util.Arrays.copyOf(full, 1 << 20);
    for (String key : List.of("fresh", "existing")) {
      for (boolean signedPayload : List.of(false, true)) {
        Signed put;
        if (signedPayload) { // the hash of all 10 MiB, which the server can only check at the end
          put = sign("PUT", "/bad/" + key, Map.of(), Map.of(), full, Clock.systemUTC(), true);
          assertThat(put.headers()).anyMatch(h -> h.getKey().equalsIgnoreCase("x-amz-content-sha256")
              && h.getValue().matches("[0-9a-f]{64}"));
        } else {
          put = sign("PUT", "/bad/" + key, Map.of(), Map.of("Content-Length", Integer.toString(total)), null,
              Clock.systemUTC(), false);
          assertThat(put.headers()).contains(Map.entry("x-amz-content-sha256", "UNSIGNED-PAYLOAD"));
        }
        assertThat(put.headers()).contains(Map.entry("Content-Length", Integer.toString(total)));
        cutShort(put, first);
        assertAlive();
      }
    }
    // Chunked transfer coding, no Content-Length: only the missing last chunk tells the cut.
    for (String key : List.of("fresh", "existing")) {
      Signed chunked = sign("PUT", "/bad/" + key, Map.of(), Map.of("Transfer-Encoding", "chunked"), null,
          Clock.systemUTC(), false);
      assertThat(chunked.headers()).noneMatch(h -> h.getKey().equalsIgnoreCase("Content-Length"));
      ByteArrayOutputStream chunk = new ByteArrayOutputStream();
      chunk.writeBytes(bytes(Integer.toHexString(first.length) + "\r\n"));
      chunk.writeBytes(first);
      chunk.writeBytes(bytes("\r\n"));
      cutShort(chunked, chunk.toByteArray());
      assertAlive();
    }
    Reply head = send(sign("HEAD", "/bad/fresh", Map.of(), Map.of(), null, Clock.systemUTC(), true), true);
    assertThat(head.status()).isEqualTo(404);
    assertNoSuchKey("bad", "fresh");
    assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key("existing")).asByteArray()).isEqualTo(v1);
    assertThat(s3.listObjectsV2(b -> b.bucket("bad")).contents()).extracting(S3Object::key)
        .containsExactly("existing");

    // The same for a part of a multipart upload.
    String uploadId = s3.createMultipartUpload(b -> b.bucket("bad").key("mp")).uploadId();
    byte[] part1 = random(5 << 20, 3);
    String etag1 = s3.uploadPart(b -> b.bucket("bad").key("mp").uploadId(uploadId).partNumber(1),
        RequestBody.fromBytes(part1)).eTag();
    for (int partNumber : List.of(2, 1)) {
      Signed part = sign("PUT", "/bad/mp", Map.of("uploadId", uploadId, "partNumber", Integer.toString(partNumber)),
          Map.of("Content-Length", Integer.toString(total)), null, Clock.systemUTC(), false);
      cutShort(part, first);
      assertAlive();
    }
    List<Part> parts = s3.listParts(b -> b.bucket("bad").key("mp").uploadId(uploadId)).parts();
    assertThat(parts).extracting(Part::partNumber).containsExactly(1);
    assertThat(parts.get(0).eTag()).isEqualTo(etag1);
    assertThat(parts.get(0).size()).isEqualTo((long) part1.length);
    s3.completeMultipartUpload(b -> b.bucket("bad").key("mp").uploadId(uploadId)
        .multipartUpload(m -> m.parts(p -> p.partNumber(1).eTag(etag1))));
    assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key("mp")).asByteArray()).isEqualTo(part1);
  }

  /**
   * Sends the head and {@code partial} of a body whose Content-Length (or missing last chunk) says
   * more, then hangs up; returns once the server has finished with that write, whatever it made of it.
   */
  private void cutShort(Signed request, byte[] partial) throws Exception {
    long before = writes.finished();
    try (RawConnection c = connect()) {
      c.write(request.withoutBody().wire(false));
      c.write(partial);
      c.socket.shutdownOutput();
      // Whatever the server answers (or nothing), it must close the connection.
      c.drain();
    }
    writes.awaitFinished(before + 1);
  }

  /**
   * Keeps everything, as {@link ObjectKeeper#KEEP_EVERYTHING}, and counts the writes (PUT, UploadPart)
   * that are over: each holds one lease from before it reads its body until after its metadata is
   * written or abandoned, so a finished lease is a write the test may look at without racing it.
   */
  private static final class WriteTracker implements ObjectKeeper {
    private long finished;

    @Override
    public Lease lease() {
      return new Lease() {
        private boolean closed;

        @Override
        public void keepHere(io.canopy.multiformats.Cid root) {}

        @Override
        public void keepDurably(io.canopy.multiformats.Cid root, long dagBytes) {}

        @Override
        public void close() {
          synchronized (WriteTracker.this) {
            if (!closed) {
              closed = true;
              finished++;
              WriteTracker.this.notifyAll();
            }
          }
        }
      };
    }

    @Override
    public void released(java.util.Collection<String> cids) {}

    synchronized long finished() {
      return finished;
    }

    /**
     * Waits until {@code count} writes are over. The bound only turns a write that never started
     * (refused before its body was read) into a clear failure instead of the test's timeout.
     */
    synchronized void awaitFinished(long count) throws InterruptedException {
      long giveUp = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (finished < count) {
        long left = giveUp - System.nanoTime();
        assertThat(left).as("write %s never reached the store: refused before its body was read?", count)
            .isPositive();
        wait(java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(left) + 1);
      }
    }
  }

  // ---- operations and methods the gateway lacks --------------------------------------------------

  @Test
  void unknownOperationsAreNotImplementedNeverInternalErrors() throws Exception {
    s3.putObject(b -> b.bucket("bad").key("obj"), RequestBody.fromString("x"));
    byte[] xml = bytes("<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>");
    List<Object[]> cases = List.of(
        new Object[] {"GET", "/bad", "tagging"}, new Object[] {"PUT", "/bad", "tagging"},
        new Object[] {"DELETE", "/bad", "tagging"}, new Object[] {"PUT", "/bad", "versioning"},
        new Object[] {"GET", "/bad", "lifecycle"},
        new Object[] {"PUT", "/bad", "lifecycle"}, new Object[] {"DELETE", "/bad", "lifecycle"},
        new Object[] {"GET", "/bad", "cors"}, new Object[] {"PUT", "/bad", "cors"},
        new Object[] {"GET", "/bad", "object-lock"}, new Object[] {"PUT", "/bad", "object-lock"},
        new Object[] {"GET", "/bad", "policy"}, new Object[] {"PUT", "/bad", "policy"},
        new Object[] {"GET", "/bad", "website"}, new Object[] {"GET", "/bad", "acl"},
        new Object[] {"PUT", "/bad", "acl"}, new Object[] {"GET", "/bad", "replication"},
        new Object[] {"GET", "/bad", "encryption"}, new Object[] {"GET", "/bad", "notification"},
        new Object[] {"GET", "/bad", "logging"}, new Object[] {"GET", "/bad", "versions"},
        new Object[] {"GET", "/bad/obj", "torrent"}, new Object[] {"PUT", "/bad/obj", "tagging"},
        new Object[] {"DELETE", "/bad/obj", "tagging"},
        new Object[] {"GET", "/bad/obj", "acl"}, new Object[] {"PUT", "/bad/obj", "acl"},
        new Object[] {"GET", "/bad/obj", "retention"}, new Object[] {"PUT", "/bad/obj", "legal-hold"},
        new Object[] {"POST", "/bad/obj", "restore"}, new Object[] {"POST", "/bad/obj", "select"},
        new Object[] {"GET", "/bad/obj", "attributes"});
    for (Object[] c : cases) {
      String method = (String) c[0];
      byte[] body = method.equals("PUT") || method.equals("POST") ? xml : null;
      Reply r = send(sign(method, (String) c[1], Map.of((String) c[2], ""), Map.of(), body, Clock.systemUTC(), true));
      assertThat(r.status()).as("%s %s?%s: %s", c[0], c[1], c[2], r.text()).isEqualTo(501);
      assertXmlError(r, S3Error.NotImplemented);
    }
    assertError(sdkError(() -> s3.putBucketVersioning(b -> b.bucket("bad")
        .versioningConfiguration(v -> v.status(BucketVersioningStatus.ENABLED)))), S3Error.NotImplemented);
    // GetObjectTagging and GetBucketVersioning are answered (no tags, never versioned): ObjectTaggingTest.
    assertError(sdkError(() -> s3.putObjectTagging(b -> b.bucket("bad").key("obj")
        .tagging(t -> t.tagSet(software.amazon.awssdk.services.s3.model.Tag.builder().key("a").value("b").build())))),
        S3Error.NotImplemented);
    assertError(sdkError(() -> s3.getBucketCors(b -> b.bucket("bad"))), S3Error.NotImplemented);
    assertError(sdkError(() -> s3.getObjectLockConfiguration(b -> b.bucket("bad"))), S3Error.NotImplemented);
    assertError(sdkError(() -> s3.getBucketLifecycleConfiguration(b -> b.bucket("bad"))), S3Error.NotImplemented);
    assertThat(s3.getObjectAsBytes(b -> b.bucket("bad").key("obj")).asUtf8String()).isEqualTo("x");

    for (String method : List.of("PATCH", "PROPFIND", "BREW", "MKCOL", "TRACE")) {
      for (String path : List.of("/", "/bad", "/bad/obj")) {
        Reply r = send(sign(method, path, Map.of(), Map.of(), null, Clock.systemUTC(), true));
        assertThat(r.status()).as("%s %s: %s", method, path, r.text()).isIn(405, 501);
        assertThat(errorCode(r)).as("%s %s", method, path).isIn("MethodNotAllowed", "NotImplemented");
        assertThat(S3Error.valueOf(errorCode(r)).httpStatus()).isEqualTo(r.status());
      }
    }
    assertAlive();
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private S3Client client(String keyId, String secret) {
    return SdkClients.pathStyle(endpoint, keyId, secret);
  }

  private void assertAlive() {
    assertThat(s3.getObjectAsBytes(b -> b.bucket("live").key("alive")).asUtf8String()).isEqualTo("still here");
  }

  private void assertNoSuchKey(String bucket, String key) {
    assertError(sdkError(() -> s3.getObjectAsBytes(b -> b.bucket(bucket).key(key))), S3Error.NoSuchKey);
  }

  private static S3Exception sdkError(Runnable call) {
    S3Exception e = catchThrowableOfType(S3Exception.class, call::run);
    assertThat(e).as("an S3 error").isNotNull();
    return e;
  }

  private static void assertError(S3Exception e, S3Error expected) {
    assertThat(e.awsErrorDetails().errorCode()).as(e.getMessage()).isEqualTo(expected.code());
    assertThat(e.statusCode()).isEqualTo(expected.httpStatus());
  }

  private static void assertXmlError(Reply r, S3Error expected) {
    assertThat(r.status()).as(r.text()).isEqualTo(expected.httpStatus());
    assertThat(r.header("content-type")).as(r.text()).contains("application/xml");
    assertThat(r.text()).startsWith("<?xml").contains("<Error>").contains("<Code>" + expected.code() + "</Code>");
  }

  private static String errorCode(Reply r) {
    Matcher m = Pattern.compile("<Code>(.*?)</Code>").matcher(r.text());
    assertThat(m.find()).as("an S3 error body: %s", r.text()).isTrue();
    return m.group(1);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  /** A key as the gateway's canonical URI has it: every byte but the unreserved ones and '/' as %XX. */
  private static String canonicalKey(String key) {
    return SdkHttpUtils.urlEncodeIgnoreSlashes(key);
  }

  /** Every key of a bucket by ListObjectsV2 with {@code encoding-type=url}, decoded. */
  private List<String> listKeys(String bucket, String prefix) throws IOException {
    List<String> keys = new ArrayList<>();
    String token = null;
    do {
      Map<String, String> query = new TreeMap<>(Map.of("list-type", "2", "encoding-type", "url", "max-keys", "7",
          "prefix", prefix));
      if (token != null) {
        query.put("continuation-token", token);
      }
      Reply r = send(sign("GET", "/" + bucket, query, Map.of(), null, Clock.systemUTC(), true));
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      assertThat(r.text()).contains("<EncodingType>url</EncodingType>");
      assertWellFormedXml(r.body());
      Matcher m = KEY.matcher(r.text());
      while (m.find()) {
        String encoded = m.group(1);
        assertThat(encoded).as("an encoded key is plain ASCII with no XML escapes")
            .matches("[A-Za-z0-9%._~/-]*");
        keys.add(percentDecode(encoded));
      }
      Matcher next = Pattern.compile("<NextContinuationToken>(.*?)</NextContinuationToken>").matcher(r.text());
      token = r.text().contains("<IsTruncated>true</IsTruncated>") && next.find() ? xmlUnescape(next.group(1)) : null;
    } while (token != null);
    return keys;
  }

  /** XML 1.0 as every client parses it: no raw control characters, no undeclared entities. */
  private static void assertWellFormedXml(byte[] xml) {
    try {
      javax.xml.parsers.DocumentBuilderFactory f = javax.xml.parsers.DocumentBuilderFactory.newInstance();
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      javax.xml.parsers.DocumentBuilder builder = f.newDocumentBuilder();
      builder.setErrorHandler(null);
      builder.parse(new java.io.ByteArrayInputStream(xml));
    } catch (Exception e) {
      throw new AssertionError("not well-formed XML (" + e.getMessage() + "): " + new String(xml, StandardCharsets.UTF_8),
          e);
    }
  }

  private static String xmlUnescape(String s) {
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'")
        .replace("&amp;", "&");
  }

  /** Percent-decoding to UTF-8 ('+' is a plus, as S3's url encoding-type has it). */
  private static String percentDecode(String s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  // ---- raw signed requests ------------------------------------------------------------------------

  /** A signed request as it goes on the wire; {@code path} and {@code query} are sent exactly as given. */
  private record Signed(String method, String path, String query, List<Map.Entry<String, String>> headers,
                        byte[] body) {
    Signed withHeader(String name, String value) {
      List<Map.Entry<String, String>> out = new ArrayList<>();
      for (Map.Entry<String, String> h : headers) {
        out.add(h.getKey().equalsIgnoreCase(name) ? Map.entry(h.getKey(), value) : h);
      }
      return new Signed(method, path, query, out, body);
    }

    Signed withQuery(String q) {
      return new Signed(method, path, q, headers, body);
    }

    Signed withPath(String p) {
      return new Signed(method, p, query, headers, body);
    }

    Signed withoutBody() {
      return new Signed(method, path, query, headers, null);
    }

    Signed withBody(byte[] b) {
      return new Signed(method, path, query, headers, b).withHeader("Content-Length", Integer.toString(b.length));
    }

    byte[] wire(boolean close) {
      StringBuilder sb = new StringBuilder(method).append(' ').append(path);
      if (!query.isEmpty()) {
        sb.append('?').append(query);
      }
      sb.append(" HTTP/1.1\r\n");
      for (Map.Entry<String, String> h : headers) {
        sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      }
      if (close) {
        sb.append("Connection: close\r\n");
      }
      sb.append("\r\n");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
      if (body != null) {
        out.writeBytes(body);
      }
      return out.toByteArray();
    }
  }

  private Signed sign(String method, String encodedPath, Map<String, String> query, Map<String, String> headers,
      byte[] body, Clock clock, boolean signPayload) {
    return signWith(method, encodedPath, query, headers, body, clock, signPayload, null);
  }

  private Signed presign(String method, String encodedPath, Clock clock, Duration expires) {
    return signWith(method, encodedPath, Map.of(), Map.of(), null, clock, false, expires);
  }

  private Signed signWith(String method, String encodedPath, Map<String, String> query, Map<String, String> headers,
      byte[] body, Clock clock, boolean signPayload, Duration presignFor) {
    SdkHttpRequest.Builder b = SdkHttpRequest.builder()
        .method(Stream.of(SdkHttpMethod.values()).anyMatch(m -> m.name().equals(method))
            ? SdkHttpMethod.fromValue(method) : SdkHttpMethod.GET) // others are signed as GET, sent as they are
        .protocol("http")
        .host(endpoint.getHost())
        .port(endpoint.getPort())
        .encodedPath(encodedPath)
        .putHeader("Host", endpoint.getHost() + ":" + endpoint.getPort());
    query.forEach((k, v) -> b.putRawQueryParameter(k, v.isEmpty() ? null : v));
    headers.forEach(b::putHeader);
    if (body != null && !headers.containsKey("Content-Length")) {
      b.putHeader("Content-Length", Integer.toString(body.length));
    }
    if (body == null && !headers.containsKey("Content-Length") && !headers.containsKey("Transfer-Encoding")
        && (method.equals("PUT") || method.equals("POST"))) {
      b.putHeader("Content-Length", "0");
    }
    boolean presigned = presignFor != null;
    boolean explicitHash = headers.containsKey("x-amz-content-sha256");
    SignedRequest signed = AwsV4HttpSigner.create().sign(r -> {
      r.identity(AwsCredentialsIdentity.create(alice.accessKeyId(), alice.secretAccessKey()))
          .request(b.build())
          .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "s3")
          .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
          .putProperty(AwsV4HttpSigner.DOUBLE_URL_ENCODE, false)
          .putProperty(AwsV4HttpSigner.NORMALIZE_PATH, false)
          .putProperty(AwsV4HttpSigner.PAYLOAD_SIGNING_ENABLED, signPayload && !presigned && !explicitHash)
          .putProperty(HttpSigner.SIGNING_CLOCK, clock);
      if (body != null) {
        r.payload(ContentStreamProvider.fromByteArray(body));
      }
      if (presigned) {
        r.putProperty(AwsV4HttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
            .putProperty(AwsV4HttpSigner.EXPIRATION_DURATION, presignFor);
      }
    });
    SdkHttpRequest s = signed.request();
    List<Map.Entry<String, String>> wireHeaders = new ArrayList<>();
    s.forEachHeader((name, values) -> values.forEach(v -> wireHeaders.add(Map.entry(name, v))));
    String wireMethod = method;
    return new Signed(wireMethod, s.encodedPath(), s.encodedQueryParameters().orElse(""), wireHeaders, body);
  }

  // ---- raw HTTP/1.1 ---------------------------------------------------------------------------------

  private record Reply(int status, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    String header(String name) {
      return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
    }
  }

  private Reply send(Signed request) throws IOException {
    return send(request, request.method().equals("HEAD"));
  }

  private Reply send(Signed request, boolean head) throws IOException {
    try (RawConnection c = connect()) {
      c.write(request.wire(true));
      return c.read(head);
    }
  }

  private RawConnection connect() throws IOException {
    return new RawConnection(new Socket(endpoint.getHost(), endpoint.getPort()));
  }

  private static final class RawConnection implements AutoCloseable {
    final Socket socket;
    final InputStream in;
    final OutputStream out;

    RawConnection(Socket socket) throws IOException {
      this.socket = socket;
      socket.setSoTimeout(120_000); // a hung server fails the test instead of hanging it
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    void write(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
    }

    /** Reads until the server closes the connection (a reset counts as closed). */
    void drain() throws IOException {
      byte[] buf = new byte[8192];
      try {
        while (in.read(buf) >= 0) {
          // discard
        }
      } catch (java.net.SocketException e) {
        // reset by the server: closed too
      }
    }

    Reply read(boolean head) throws IOException {
      String statusLine = line();
      assertThat(statusLine).as("a status line").startsWith("HTTP/1.");
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      Map<String, String> headers = new TreeMap<>();
      for (String l = line(); !l.isEmpty(); l = line()) {
        int colon = l.indexOf(':');
        headers.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      if (head || status == 304 || status == 204) {
        return new Reply(status, headers, body.toByteArray());
      }
      if (headers.containsKey("content-length")) {
        body.writeBytes(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        for (int size = Integer.parseInt(line().split(";")[0].trim(), 16); size > 0;
            size = Integer.parseInt(line().split(";")[0].trim(), 16)) {
          body.writeBytes(in.readNBytes(size));
          line();
        }
        while (!line().isEmpty()) {
          // trailers
        }
      } else {
        body.writeBytes(in.readAllBytes());
      }
      return new Reply(status, headers, body.toByteArray());
    }

    private String line() throws IOException {
      ByteArrayOutputStream l = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) >= 0 && c != '\n') {
        if (c != '\r') {
          l.write(c);
        }
      }
      return l.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
