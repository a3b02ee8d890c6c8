package io.canopy.gateway.s3.meta;

import io.canopy.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.testing.RandomInputs;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link S3Metadata}, run once per database (SQLite, PostgreSQL) by the
 * subclasses, as Garage runs one suite against every DB adapter.
 */
abstract class S3MetadataContractTest {
  static final Comparator<String> UTF8_ORDER =
      (a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  static final long MIB = 1024 * 1024;

  protected final MutableClock clock = new MutableClock(Instant.parse("2026-03-04T05:06:07.089Z"));
  private final List<S3Metadata> opened = new ArrayList<>();
  protected S3Metadata meta;

  /**
   * A new store on this test's database; every call in one test opens another store on the same
   * database, as a second gateway would.
   */
  protected abstract S3Metadata openStore(Clock clock, SecureRandom random) throws Exception;

  /** A plain JDBC connection to this test's database, to set up what an older gateway left. */
  protected abstract java.sql.Connection connectRaw() throws Exception;

  protected S3Metadata open() throws Exception {
    S3Metadata store = openStore(clock, new SecureRandom());
    opened.add(store);
    return store;
  }

  @BeforeEach
  void openStoreWithAccounts() throws Exception {
    meta = open();
    meta.createAccount("alice");
    meta.createAccount("bob");
  }

  @AfterEach
  void closeStores() {
    opened.forEach(S3Metadata::close);
  }

  // ---- helpers ----------------------------------------------------------------------------

  static void assertCode(String code, ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOf(S3MetadataException.class)
        .satisfies(e -> assertThat(((S3MetadataException) e).code()).as("S3 code of %s", e).isEqualTo(code));
  }

  static String md5(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static String cidOf(String text) {
    return "bafkrei" + md5(text); // shaped like a CID; this layer never parses CIDs
  }

  PutObjectResult put(String bucket, String key) throws S3MetadataException {
    return put(meta, bucket, key, cidOf(key));
  }

  static PutObjectResult put(S3Metadata store, String bucket, String key, String cid) throws S3MetadataException {
    return store.putObject(bucket, key, new ObjectWrite(cid, key.length(), md5(cid), ObjectAttributes.NONE));
  }

  Bucket bucket(String name) throws S3MetadataException {
    return meta.createBucket("alice", name, BucketAcl.PRIVATE);
  }

  /** The entries of one page in listing order: "K:" keys and "P:" common prefixes. */
  static List<String> entries(ObjectListing page) {
    List<String> out = new ArrayList<>();
    page.contents().forEach(o -> out.add(o.key()));
    out.addAll(page.commonPrefixes());
    out.sort(UTF8_ORDER);
    Set<String> prefixes = new HashSet<>(page.commonPrefixes());
    return out.stream().map(e -> (prefixes.contains(e) ? "P:" : "K:") + e).toList();
  }

  /** What S3 lists for these keys, prefix and delimiter, all pages together. */
  static List<String> reference(Set<String> keys, String prefix, String delimiter) {
    List<String> sorted = new ArrayList<>(keys);
    sorted.sort(UTF8_ORDER);
    List<String> out = new ArrayList<>();
    String p = prefix == null ? "" : prefix;
    for (String key : sorted) {
      if (!key.startsWith(p)) {
        continue;
      }
      int at = delimiter == null ? -1 : key.indexOf(delimiter, p.length());
      String entry = at < 0 ? "K:" + key : "P:" + key.substring(0, at + delimiter.length());
      if (out.isEmpty() || !out.get(out.size() - 1).equals(entry)) {
        out.add(entry);
      }
    }
    return out;
  }

  /** Every page of ListObjectsV2 following continuation tokens, checking each page's shape. */
  List<String> pageV2(String bucket, String prefix, String delimiter, int maxKeys) throws S3MetadataException {
    List<String> all = new ArrayList<>();
    String token = null;
    for (int pages = 0; ; pages++) {
      assertThat(pages).as("pages").isLessThan(10_000);
      ObjectListing page = meta.listObjectsV2(bucket, prefix, delimiter, null, token, maxKeys);
      List<String> entries = entries(page);
      assertThat(page.keyCount()).isEqualTo(entries.size());
      assertThat(page.nextMarker()).isNull();
      if (page.truncated()) {
        assertThat(entries).as("a truncated page is full").hasSize(Math.min(maxKeys, S3Metadata.MAX_LIST));
        assertThat(page.nextContinuationToken()).isNotNull();
        String last = entries.get(entries.size() - 1).substring(2);
        assertThat(Base64.getDecoder().decode(page.nextContinuationToken()))
            .as("token is the last entry").isEqualTo(last.getBytes(StandardCharsets.UTF_8));
      } else {
        assertThat(page.nextContinuationToken()).isNull();
      }
      all.addAll(entries);
      if (!page.truncated()) {
        return all;
      }
      token = page.nextContinuationToken();
    }
  }

  /** Every page of ListObjects (V1) following NextMarker (with a delimiter) or the last key. */
  List<String> pageV1(String bucket, String prefix, String delimiter, int maxKeys) throws S3MetadataException {
    List<String> all = new ArrayList<>();
    String marker = null;
    for (int pages = 0; ; pages++) {
      assertThat(pages).as("pages").isLessThan(10_000);
      ObjectListing page = meta.listObjectsV1(bucket, prefix, delimiter, marker, maxKeys);
      List<String> entries = entries(page);
      assertThat(page.nextContinuationToken()).isNull();
      all.addAll(entries);
      if (!page.truncated()) {
        assertThat(page.nextMarker()).isNull();
        return all;
      }
      String last = entries.get(entries.size() - 1).substring(2);
      if (delimiter == null) {
        assertThat(page.nextMarker()).as("S3 gives NextMarker only with a delimiter").isNull();
        marker = last;
      } else {
        assertThat(page.nextMarker()).isEqualTo(last);
        marker = page.nextMarker();
      }
    }
  }

  // ---- accounts and access keys -----------------------------------------------------------

  @Test
  void issuedKeysHaveTheAwsShapeAndTheirSecretIsFoundById() throws Exception {
    AccessKey one = meta.issueAccessKey("alice");
    AccessKey two = meta.issueAccessKey("alice");
    for (AccessKey key : List.of(one, two)) {
      assertThat(key.accessKeyId()).hasSize(20).matches("CNPY[A-Z0-9]{16}");
      assertThat(key.secretAccessKey()).hasSize(40).matches("[A-Za-z0-9+/]{40}");
      assertThat(key.account()).isEqualTo("alice");
      assertThat(key.created()).isEqualTo(clock.instant());
      assertThat(key.active()).isTrue();
      assertThat(key.toString()).doesNotContain(key.secretAccessKey());
      assertThat(meta.activeAccessKey(key.accessKeyId())).contains(key);
    }
    assertThat(one.accessKeyId()).isNotEqualTo(two.accessKeyId());
    assertThat(one.secretAccessKey()).isNotEqualTo(two.secretAccessKey());
    assertThat(meta.accessKeys("alice")).extracting(AccessKey::accessKeyId)
        .containsExactlyInAnyOrder(one.accessKeyId(), two.accessKeyId());
    assertThat(meta.accessKeys("bob")).isEmpty();
    assertThat(meta.activeAccessKey("CNPYNOSUCHKEY0000000")).isEmpty();
  }

  @Test
  void aRevokedKeyNoLongerAuthenticates() throws Exception {
    AccessKey kept = meta.issueAccessKey("bob");
    AccessKey revoked = meta.issueAccessKey("bob");
    clock.advance(Duration.ofMinutes(5));
    assertThat(meta.revokeAccessKey(revoked.accessKeyId())).isTrue();
    assertThat(meta.revokeAccessKey(revoked.accessKeyId())).as("already revoked").isFalse();
    assertThat(meta.revokeAccessKey("CNPYNOSUCHKEY0000000")).isFalse();
    assertThat(meta.activeAccessKey(revoked.accessKeyId())).isEmpty();
    assertThat(meta.activeAccessKey(kept.accessKeyId())).isPresent();
    AccessKey listed = meta.accessKeys("bob").stream()
        .filter(k -> k.accessKeyId().equals(revoked.accessKeyId())).findFirst().orElseThrow();
    assertThat(listed.revoked()).isEqualTo(clock.instant());
    assertThat(listed.active()).isFalse();
  }

  @Test
  void accountsAreUniqueAndNamedSensibly() throws Exception {
    assertThat(meta.account("alice")).hasValueSatisfying(a -> assertThat(a.created()).isEqualTo(clock.instant()));
    assertThat(meta.account("carol")).isEmpty();
    assertCode(S3MetadataException.ACCOUNT_ALREADY_EXISTS, () -> meta.createAccount("alice"));
    for (String bad : List.of("", "-x", "has space", "a/b", "x".repeat(65), "é")) {
      assertCode(S3MetadataException.INVALID_ACCOUNT_NAME, () -> meta.createAccount(bad));
    }
    assertThat(meta.createAccount("team.ops_1@example+x").name()).isEqualTo("team.ops_1@example+x");
    assertCode(S3MetadataException.NO_SUCH_ACCOUNT, () -> meta.issueAccessKey("carol"));
    assertCode(S3MetadataException.NO_SUCH_ACCOUNT, () -> meta.createBucket("carol", "carols-bucket", BucketAcl.PRIVATE));
  }

  // ---- buckets ----------------------------------------------------------------------------

  @Test
  void bucketNamesFollowS3Rules() throws Exception {
    for (String good : List.of("abc", "my-bucket.v2", "a".repeat(63), "1bucket", "bucket1", "a-b-c", "a.b.c",
        "192.168.5.4a", "xn-a", "s3alias-x", "abc-s3aliasx")) {
      assertThat(meta.createBucket("alice", good, BucketAcl.PRIVATE).name()).isEqualTo(good);
    }
    for (String bad : List.of("ab", "a".repeat(64), "ABC", "Abc", "my_bucket", "-abc", "abc-", ".abc", "abc.", "a..b",
        "192.168.5.4", "10.0.0.1", "xn--abc", "sthree-abc", "amzn-s3-demo-x", "abc-s3alias", "abc--ol-s3", "abc.mrap",
        "abc--x-s3", "abc--table-s3", "ab c", "ébc", "abc/", "a\u0000c")) {
      assertCode(S3MetadataException.INVALID_BUCKET_NAME, () -> meta.createBucket("alice", bad, BucketAcl.PRIVATE));
    }
    // every name accepted satisfies each rule, stated here on its own terms
    RandomInputs.forAll(20260304L, 2000, List.of("a.-", "0-0", "..."),
        r -> RandomInputs.stringOf(r, 8, "ab0.-_A"),
        RandomInputs::describe,
        name -> {
          boolean valid = BucketNames.isValid(name);
          boolean rules = name.length() >= 3 && name.length() <= 63
              && name.chars().allMatch(ch -> (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-')
              && Character.isLetterOrDigit(name.charAt(0)) && Character.isLetterOrDigit(name.charAt(name.length() - 1))
              && !name.contains("..") && !name.matches("[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+");
          assertThat(valid).as("valid(%s)", name).isEqualTo(rules);
        });
  }

  @Test
  void aBucketNameBelongsToOneAccount() throws Exception {
    Bucket made = meta.createBucket("alice", "photos", BucketAcl.PRIVATE);
    assertThat(made).isEqualTo(new Bucket("photos", "alice", BucketAcl.PRIVATE, clock.instant()));
    assertCode(S3MetadataException.BUCKET_ALREADY_OWNED_BY_YOU, () -> meta.createBucket("alice", "photos", BucketAcl.PRIVATE));
    assertCode(S3MetadataException.BUCKET_ALREADY_EXISTS, () -> meta.createBucket("bob", "photos", BucketAcl.PUBLIC_READ));
    assertThat(meta.headBucket("photos").owner()).isEqualTo("alice");
  }

  @Test
  void bucketsAreListedPerAccountWithOwnerAndAcl() throws Exception {
    meta.createBucket("alice", "zeta", null);
    meta.createBucket("alice", "alpha", BucketAcl.PUBLIC_READ);
    meta.createBucket("bob", "bobs", BucketAcl.PRIVATE);
    assertThat(meta.listBuckets("alice")).extracting(Bucket::name).containsExactly("alpha", "zeta");
    assertThat(meta.listBuckets("bob")).extracting(Bucket::name).containsExactly("bobs");
    assertThat(meta.listBuckets("nobody")).isEmpty();
    assertThat(meta.headBucket("zeta").acl()).as("private by default").isEqualTo(BucketAcl.PRIVATE);
    assertThat(meta.bucket("alpha")).map(Bucket::acl).contains(BucketAcl.PUBLIC_READ);
    meta.setBucketAcl("zeta", BucketAcl.PUBLIC_READ);
    meta.setBucketAcl("alpha", BucketAcl.PRIVATE);
    assertThat(meta.headBucket("zeta").acl()).isEqualTo(BucketAcl.PUBLIC_READ);
    assertThat(meta.headBucket("alpha").acl()).isEqualTo(BucketAcl.PRIVATE);
    assertThat(meta.bucket("missing")).isEmpty();
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> meta.headBucket("missing"));
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> meta.setBucketAcl("missing", BucketAcl.PRIVATE));
    assertThat(BucketAcl.fromCannedName("public-read")).isEqualTo(BucketAcl.PUBLIC_READ);
    assertCode(S3MetadataException.INVALID_ARGUMENT, () -> BucketAcl.fromCannedName("authenticated-read"));
  }

  @Test
  void onlyAnEmptyBucketIsDeleted() throws Exception {
    bucket("box");
    put("box", "k");
    assertCode(S3MetadataException.BUCKET_NOT_EMPTY, () -> meta.deleteBucket("box"));
    meta.deleteObject("box", "k");
    MultipartUpload upload = meta.createMultipartUpload("box", "big", "alice", ObjectAttributes.NONE);
    assertCode(S3MetadataException.BUCKET_NOT_EMPTY, () -> meta.deleteBucket("box"));
    meta.abortMultipartUpload("box", "big", upload.uploadId());
    meta.deleteBucket("box");
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> meta.headBucket("box"));
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> meta.deleteBucket("box"));
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> put("box", "k"));
    assertThat(meta.createBucket("bob", "box", BucketAcl.PRIVATE).owner()).as("the name is free again").isEqualTo("bob");
  }

  // ---- objects ----------------------------------------------------------------------------

  @Test
  void anObjectIsStoredWithEverythingS3ReturnsAboutIt() throws Exception {
    bucket("docs");
    Map<String, String> userMeta = new LinkedHashMap<>();
    userMeta.put("Author", "Zoë");
    userMeta.put("cid", "bafy-whatever");
    ObjectAttributes attrs = new ObjectAttributes("text/plain; charset=utf-8", "gzip", "attachment; filename=\"a.txt\"",
        "max-age=60", userMeta);
    PutObjectResult result = meta.putObject("docs", "a.txt",
        new ObjectWrite("bafybeigdyrzt", 12345, "\"0123456789abcdef0123456789abcdef\"", attrs));
    assertThat(result.replaced()).isEmpty();
    assertThat(result.releasableCids()).isEmpty();
    S3Object head = meta.headObject("docs", "a.txt");
    assertThat(head).isEqualTo(result.object());
    assertThat(head.bucket()).isEqualTo("docs");
    assertThat(head.key()).isEqualTo("a.txt");
    assertThat(head.cid()).isEqualTo("bafybeigdyrzt");
    assertThat(head.size()).isEqualTo(12345);
    assertThat(head.etag()).as("stored unquoted").isEqualTo("0123456789abcdef0123456789abcdef");
    assertThat(head.lastModified()).isEqualTo(clock.instant());
    assertThat(head.attributes().contentType()).isEqualTo("text/plain; charset=utf-8");
    assertThat(head.attributes().contentEncoding()).isEqualTo("gzip");
    assertThat(head.attributes().contentDisposition()).isEqualTo("attachment; filename=\"a.txt\"");
    assertThat(head.attributes().cacheControl()).isEqualTo("max-age=60");
    assertThat(head.attributes().userMetadata()).containsExactly(Map.entry("author", "Zoë"), Map.entry("cid", "bafy-whatever"));

    PutObjectResult bare = meta.putObject("docs", "b", new ObjectWrite("bafyb", 0, "d41d8cd98f00b204e9800998ecf8427e", null));
    assertThat(meta.headObject("docs", "b").attributes()).isEqualTo(ObjectAttributes.NONE);
    assertThat(bare.object().size()).isZero();
  }

  @Test
  void aPutReplacesThePreviousObjectAndHandsBackItsCid() throws Exception {
    bucket("bkt");
    put(meta, "bkt", "k", "cid-1");
    clock.advance(Duration.ofSeconds(30));
    PutObjectResult second = meta.putObject("bkt", "k",
        new ObjectWrite("cid-2", 2, md5("2"), ObjectAttributes.ofContentType("image/png")));
    assertThat(second.replaced()).hasValueSatisfying(old -> {
      assertThat(old.cid()).isEqualTo("cid-1");
      assertThat(old.lastModified()).isEqualTo(clock.instant().minusSeconds(30));
    });
    assertThat(second.releasableCids()).containsExactly("cid-1");
    S3Object now = meta.headObject("bkt", "k");
    assertThat(now.cid()).isEqualTo("cid-2");
    assertThat(now.attributes().contentType()).isEqualTo("image/png");
    assertThat(now.lastModified()).isEqualTo(clock.instant());
    assertThat(meta.listObjectsV2("bkt", null, null, null, null, 1000).contents()).hasSize(1);
    assertThat(meta.isCidReferenced("cid-1")).isFalse();
    assertThat(meta.isCidReferenced("cid-2")).isTrue();
  }

  @Test
  void aCopySharesTheCidUntilTheLastReferenceGoes() throws Exception {
    bucket("src");
    bucket("dst");
    meta.putObject("src", "orig", new ObjectWrite("shared-cid", 10, md5("x"),
        new ObjectAttributes("text/plain", null, null, null, Map.of("a", "1"))));
    // CopyObject with the COPY directive: head the source, put its CID, size, ETag and attributes
    S3Object source = meta.headObject("src", "orig");
    PutObjectResult copy = meta.putObject("dst", "copy",
        new ObjectWrite(source.cid(), source.size(), source.etag(), source.attributes()));
    assertThat(copy.object().attributes()).isEqualTo(source.attributes());
    // REPLACE directive onto itself: same CID, new attributes; the CID is still in use
    PutObjectResult self = meta.putObject("src", "orig",
        new ObjectWrite(source.cid(), source.size(), source.etag(), ObjectAttributes.ofContentType("text/html")));
    assertThat(self.replaced()).map(S3Object::cid).contains("shared-cid");
    assertThat(self.releasableCids()).isEmpty();
    assertThat(meta.deleteObject("src", "orig").releasableCids()).as("dst/copy still uses it").isEmpty();
    assertThat(meta.isCidReferenced("shared-cid")).isTrue();
    DeletedObject last = meta.deleteObject("dst", "copy");
    assertThat(last.deleted()).map(S3Object::cid).contains("shared-cid");
    assertThat(last.releasableCids()).containsExactly("shared-cid");
    assertThat(meta.isCidReferenced("shared-cid")).isFalse();
  }

  @Test
  void deletingIsIdempotentAndReportsWhatWent() throws Exception {
    bucket("bkt");
    put(meta, "bkt", "k", "cid-k");
    DeletedObject first = meta.deleteObject("bkt", "k");
    assertThat(first.key()).isEqualTo("k");
    assertThat(first.deleted()).map(S3Object::cid).contains("cid-k");
    assertThat(first.releasableCids()).containsExactly("cid-k");
    DeletedObject again = meta.deleteObject("bkt", "k");
    assertThat(again.deleted()).isEmpty();
    assertThat(again.releasableCids()).isEmpty();
    assertCode(S3MetadataException.NO_SUCH_KEY, () -> meta.headObject("bkt", "k"));
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> meta.headObject("nope", "k"));
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> meta.deleteObject("nope", "k"));
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> put("nope", "k"));
  }

  @Test
  void batchDeleteReportsEveryKeyInOneTransaction() throws Exception {
    bucket("bkt");
    put(meta, "bkt", "one", "cid-shared");
    put(meta, "bkt", "two", "cid-shared");
    put(meta, "bkt", "three", "cid-3");
    put(meta, "bkt", "kept", "cid-kept");
    String tooLong = "x".repeat(1025);
    BatchDeleteResult result = meta.deleteObjects("bkt", List.of("one", "missing", tooLong, "two", "three"));
    assertThat(result.deleted()).extracting(DeletedObject::key).containsExactly("one", "missing", "two", "three");
    assertThat(result.deleted()).extracting(d -> d.deleted().isPresent()).containsExactly(true, false, true, true);
    assertThat(result.deleted().get(0).releasableCids()).as("two still used it").isEmpty();
    assertThat(result.deleted().get(2).releasableCids()).containsExactly("cid-shared");
    assertThat(result.deleted().get(3).releasableCids()).containsExactly("cid-3");
    assertThat(result.errors()).singleElement().satisfies(e -> {
      assertThat(e.key()).isEqualTo(tooLong);
      assertThat(e.code()).isEqualTo(S3MetadataException.KEY_TOO_LONG);
    });
    assertThat(meta.listObjectsV2("bkt", null, null, null, null, 1000).contents()).extracting(S3Object::key)
        .containsExactly("kept");
    List<String> tooMany = Collections.nCopies(1001, "k");
    assertCode(S3MetadataException.MALFORMED_XML, () -> meta.deleteObjects("bkt", tooMany));
    assertCode(S3MetadataException.MALFORMED_XML, () -> meta.deleteObjects("bkt", List.of()));
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> meta.deleteObjects("nope", List.of("k")));
  }

  @Test
  void keysAreUpTo1024BytesOfUtf8() throws Exception {
    bucket("bkt");
    List<String> longest = List.of("a".repeat(1024), "é".repeat(512), "😀".repeat(256), "€".repeat(341) + "a");
    for (String key : longest) {
      assertThat(key.getBytes(StandardCharsets.UTF_8)).hasSize(1024);
      put("bkt", key);
      assertThat(meta.headObject("bkt", key).key()).isEqualTo(key);
    }
    assertThat(meta.listObjectsV2("bkt", null, null, null, null, 1000).contents()).extracting(S3Object::key)
        .containsExactlyInAnyOrderElementsOf(longest);
    for (String key : List.of("a".repeat(1025), "é".repeat(512) + "a", "😀".repeat(257), "€".repeat(342))) {
      assertCode(S3MetadataException.KEY_TOO_LONG, () -> put("bkt", key));
      assertCode(S3MetadataException.KEY_TOO_LONG, () -> meta.createMultipartUpload("bkt", key, "alice", null));
    }
    assertCode(S3MetadataException.INVALID_ARGUMENT, () -> put("bkt", ""));
    assertCode(S3MetadataException.INVALID_ARGUMENT, () -> put("bkt", "lone \uD800 surrogate"));
  }

  @Test
  void userMetadataIsBoundedTo2KbAsS3CountsIt() throws Exception {
    bucket("bkt");
    Map<String, String> exactly = Map.of("name", "v".repeat(2048 - 4));
    meta.putObject("bkt", "ok", new ObjectWrite("c", 1, md5("c"), new ObjectAttributes(null, null, null, null, exactly)));
    assertThat(meta.headObject("bkt", "ok").attributes().userMetadataBytes()).isEqualTo(2048);
    Map<String, String> multiByte = Map.of("n", "é".repeat(1024)); // 1 + 2048 bytes, 1025 chars
    assertCode(S3MetadataException.METADATA_TOO_LARGE,
        () -> meta.putObject("bkt", "big", new ObjectWrite("c", 1, md5("c"), new ObjectAttributes(null, null, null, null, multiByte))));
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i < 100; i++) {
      many.put("key-" + i, "0123456789abcdef"); // 100 * (5 or 6 + 16) > 2048
    }
    ObjectAttributes tooMany = new ObjectAttributes(null, null, null, null, many);
    assertCode(S3MetadataException.METADATA_TOO_LARGE, () -> meta.putObject("bkt", "big", new ObjectWrite("c", 1, md5("c"), tooMany)));
    assertCode(S3MetadataException.METADATA_TOO_LARGE, () -> meta.createMultipartUpload("bkt", "big", "alice", tooMany));
    assertCode(S3MetadataException.NO_SUCH_KEY, () -> meta.headObject("bkt", "big"));
  }

  @Test
  void unusualKeysRoundTripExactly() throws Exception {
    bucket("bkt");
    List<String> keys = List.of("a/b/../c", "../escape", "./dot", "a b", "100%", "%", "_", "a+b", "a=b&c=d", "?q=1#frag",
        "emoji 😀/file", "tab\tkey", "new\nline", "quote\"'`", "<xml>&amp;", "back\\slash", "//double//slash", "trailing/",
        "中文/キー", "nul\u0000byte", "\uFEFFbom", "\uFFFF", "\u007F");
    for (String key : keys) {
      put("bkt", key);
    }
    for (String key : keys) {
      S3Object head = meta.headObject("bkt", key);
      assertThat(head.key()).isEqualTo(key);
      assertThat(head.cid()).isEqualTo(cidOf(key));
    }
    List<String> sorted = new ArrayList<>(keys);
    sorted.sort(UTF8_ORDER);
    assertThat(meta.listObjectsV2("bkt", null, null, null, null, 1000).contents()).extracting(S3Object::key)
        .containsExactlyElementsOf(sorted);
    // prefixes are matched literally: no LIKE wildcards
    assertThat(meta.listObjectsV2("bkt", "%", null, null, null, 1000).contents()).extracting(S3Object::key)
        .containsExactly("%");
    assertThat(meta.listObjectsV2("bkt", "_", null, null, null, 1000).contents()).extracting(S3Object::key)
        .containsExactly("_");
    assertThat(entries(meta.listObjectsV2("bkt", "a/b/", "/", null, null, 1000))).containsExactly("P:a/b/../");
    assertThat(entries(meta.listObjectsV2("bkt", "a/b/../", "/", null, null, 1000))).containsExactly("K:a/b/../c");
    assertThat(entries(meta.listObjectsV2("bkt", "emoji ", "/", null, null, 1000))).containsExactly("P:emoji 😀/");
  }

  // ---- listing ----------------------------------------------------------------------------

  @Test
  void keysListInUtf8ByteOrderNotTextOrder() throws Exception {
    bucket("bkt");
    List<String> keys = List.of("a", "B", "é", "e", "\uE000", "😀", "z", "a/b", "a-b", "a.b", "A", "~", "ab");
    for (String key : keys) {
      put("bkt", key);
    }
    List<String> listed = meta.listObjectsV2("bkt", null, null, null, null, 1000).contents().stream().map(S3Object::key).toList();
    assertThat(listed).containsExactly("A", "B", "a", "a-b", "a.b", "a/b", "ab", "e", "z", "~", "é", "\uE000", "😀");
    // the two orders a text sort gets wrong: ICU puts "a" before "B"; UTF-16 puts U+1F600 before U+E000
    assertThat(listed.indexOf("B")).isLessThan(listed.indexOf("a"));
    assertThat(listed.indexOf("\uE000")).isLessThan(listed.indexOf("😀"));
    assertThat("😀".compareTo("\uE000")).as("Java's String order differs").isNegative();
    assertThat(pageV2("bkt", null, null, 2)).isEqualTo(reference(new HashSet<>(keys), null, null));
  }

  @Test
  void delimiterRollsUpCommonPrefixesAndPagesAcrossThem() throws Exception {
    bucket("bkt");
    for (String key : List.of("photos/2024/jan/a.jpg", "photos/2024/jan/b.jpg", "photos/2024/feb/c.jpg",
        "photos/2025/x.jpg", "photos/readme.txt", "photos/zzz", "videos/v.mp4", "root.txt", "photos/")) {
      put("bkt", key);
    }
    ObjectListing all = meta.listObjectsV2("bkt", "photos/", "/", null, null, 1000);
    assertThat(all.commonPrefixes()).containsExactly("photos/2024/", "photos/2025/");
    assertThat(all.contents()).extracting(S3Object::key).containsExactly("photos/", "photos/readme.txt", "photos/zzz");
    assertThat(all.truncated()).isFalse();
    assertThat(all.keyCount()).isEqualTo(5);

    ObjectListing top = meta.listObjectsV2("bkt", null, "/", null, null, 1000);
    assertThat(entries(top)).containsExactly("P:photos/", "K:root.txt", "P:videos/");

    // one entry per page: common prefixes count against max-keys and tokens resume past them
    List<String> expected = List.of("K:photos/", "P:photos/2024/", "P:photos/2025/", "K:photos/readme.txt", "K:photos/zzz");
    String token = null;
    for (int i = 0; i < expected.size(); i++) {
      ObjectListing page = meta.listObjectsV2("bkt", "photos/", "/", null, token, 1);
      assertThat(entries(page)).containsExactly(expected.get(i));
      assertThat(page.truncated()).isEqualTo(i < expected.size() - 1);
      token = page.nextContinuationToken();
    }
    assertThat(token).isNull();

    ObjectListing firstTwo = meta.listObjectsV1("bkt", "photos/", "/", null, 3);
    assertThat(entries(firstTwo)).containsExactly("K:photos/", "P:photos/2024/", "P:photos/2025/");
    assertThat(firstTwo.truncated()).isTrue();
    assertThat(firstTwo.nextMarker()).isEqualTo("photos/2025/");
    ObjectListing rest = meta.listObjectsV1("bkt", "photos/", "/", firstTwo.nextMarker(), 3);
    assertThat(entries(rest)).containsExactly("K:photos/readme.txt", "K:photos/zzz");
    assertThat(rest.truncated()).isFalse();
    assertThat(rest.nextMarker()).isNull();

    // a deeper prefix, and a multi-character delimiter
    assertThat(entries(meta.listObjectsV2("bkt", "photos/2024/", "/", null, null, 1000)))
        .containsExactly("P:photos/2024/feb/", "P:photos/2024/jan/");
    assertThat(entries(meta.listObjectsV2("bkt", "photos/", "4/", null, null, 1000)))
        .containsExactly("K:photos/", "P:photos/2024/", "K:photos/2025/x.jpg", "K:photos/readme.txt", "K:photos/zzz");
  }

  @Test
  void aPrefixThatIsItselfAKeyListsTheKeyAndWhatIsUnderIt() throws Exception {
    bucket("bkt");
    for (String key : List.of("a/b", "a/b/c", "a/bc", "a/b/d/e")) {
      put("bkt", key);
    }
    assertThat(entries(meta.listObjectsV2("bkt", "a/b", "/", null, null, 1000))).containsExactly("K:a/b", "P:a/b/", "K:a/bc");
    assertThat(entries(meta.listObjectsV2("bkt", "a/b", null, null, null, 1000)))
        .containsExactly("K:a/b", "K:a/b/c", "K:a/b/d/e", "K:a/bc");
    assertThat(entries(meta.listObjectsV2("bkt", "a/x", "/", null, null, 1000))).isEmpty();
    assertThat(entries(meta.listObjectsV2("bkt", null, "b", null, null, 1000))).containsExactly("P:a/b");
  }

  @Test
  void markersStartAfterAndTokensFollowS3Rules() throws Exception {
    bucket("bkt");
    for (String key : List.of("a/1", "a/2", "b/1", "c", "d/1", "d/2")) {
      put("bkt", key);
    }
    // V1 marker / V2 start-after: strictly after the given key
    assertThat(entries(meta.listObjectsV1("bkt", null, null, "a/2", 1000))).containsExactly("K:b/1", "K:c", "K:d/1", "K:d/2");
    assertThat(entries(meta.listObjectsV2("bkt", null, null, "b/1", null, 1000))).containsExactly("K:c", "K:d/1", "K:d/2");
    assertThat(entries(meta.listObjectsV2("bkt", null, null, "bb", null, 1000))).containsExactly("K:c", "K:d/1", "K:d/2");
    assertThat(entries(meta.listObjectsV2("bkt", null, null, "zzz", null, 1000))).isEmpty();
    // start-after inside a common prefix: later keys under it still roll up into it
    assertThat(entries(meta.listObjectsV2("bkt", null, "/", "a/1", null, 1000))).containsExactly("P:a/", "P:b/", "K:c", "P:d/");
    // start-after equal to a common prefix (what NextMarker gives): skips the keys under it
    assertThat(entries(meta.listObjectsV2("bkt", null, "/", "a/", null, 1000))).containsExactly("P:b/", "K:c", "P:d/");
    assertThat(entries(meta.listObjectsV1("bkt", null, "/", "d/", 1000))).isEmpty();
    // start-after before the prefix: the prefix decides
    assertThat(entries(meta.listObjectsV2("bkt", "d/", null, "a", null, 1000))).containsExactly("K:d/1", "K:d/2");
    // the continuation token wins over start-after
    String token = Base64.getEncoder().encodeToString("c".getBytes(StandardCharsets.UTF_8));
    assertThat(entries(meta.listObjectsV2("bkt", null, null, "a/1", token, 1000))).containsExactly("K:d/1", "K:d/2");
    for (String bad : List.of("not base64!", "", "%%%")) {
      assertCode(S3MetadataException.INVALID_ARGUMENT, () -> meta.listObjectsV2("bkt", null, null, null, bad, 1000));
    }
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> meta.listObjectsV2("nope", null, null, null, null, 1000));
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> meta.listObjectsV1("nope", null, null, null, 1000));
  }

  @Test
  void maxKeysDefaultsAndCapsAt1000() throws Exception {
    bucket("bkt");
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 1003; i++) {
      keys.add(String.format("k%05d", i));
    }
    for (String key : keys) {
      put(meta, "bkt", key, "c");
    }
    ObjectListing capped = meta.listObjectsV2("bkt", null, null, null, null, 5000);
    assertThat(capped.contents()).hasSize(1000);
    assertThat(capped.truncated()).isTrue();
    ObjectListing rest = meta.listObjectsV2("bkt", null, null, null, capped.nextContinuationToken(), 5000);
    assertThat(rest.contents()).extracting(S3Object::key).containsExactly("k01000", "k01001", "k01002");
    assertThat(rest.truncated()).isFalse();
    ObjectListing v1 = meta.listObjectsV1("bkt", null, null, null, S3Metadata.MAX_LIST);
    assertThat(v1.contents()).hasSize(1000);
    assertThat(v1.truncated()).isTrue();
    assertThat(v1.nextMarker()).as("no delimiter, no NextMarker").isNull();

    ObjectListing none = meta.listObjectsV2("bkt", null, null, null, null, 0);
    assertThat(none.contents()).isEmpty();
    assertThat(none.commonPrefixes()).isEmpty();
    assertThat(none.truncated()).isFalse();
    assertCode(S3MetadataException.INVALID_ARGUMENT, () -> meta.listObjectsV2("bkt", null, null, null, null, -1));
    assertCode(S3MetadataException.INVALID_ARGUMENT, () -> meta.listObjectsV1("bkt", null, null, null, -5));
  }

  @Test
  void manyKeysUnderOneCommonPrefixCountOnce() throws Exception {
    bucket("bkt");
    for (int i = 0; i < 300; i++) {
      put(meta, "bkt", "dir/" + i, "c");
    }
    put("bkt", "dir0");
    put("bkt", "e/1");
    put("bkt", "aaa");
    assertThat(entries(meta.listObjectsV2("bkt", null, "/", null, null, 1000))).containsExactly("K:aaa", "P:dir/", "K:dir0", "P:e/");
    assertThat(pageV2("bkt", null, "/", 1)).containsExactly("K:aaa", "P:dir/", "K:dir0", "P:e/");
    assertThat(pageV1("bkt", null, "/", 2)).containsExactly("K:aaa", "P:dir/", "K:dir0", "P:e/");
  }

  @Test
  void pagingMatchesS3sListingForRandomKeysPrefixesAndDelimiters() throws Exception {
    String[] pieces = {"a", "b", "B", "/", "-", ".", "é", "😀", "\uE000", " ", "%", "ab/"};
    String[] delimiters = {null, "/", "a", "é", "/a", "😀"};
    AtomicInteger cases = new AtomicInteger();
    RandomInputs.forAll(4242L, 24, List.<Long>of(), SplittableRandom::nextLong, s -> "case seed " + s, seed -> {
      SplittableRandom r = new SplittableRandom(seed);
      String bucket = "case-" + cases.incrementAndGet();
      meta.createBucket("alice", bucket, BucketAcl.PRIVATE);
      Set<String> keys = new TreeSet<>();
      int count = RandomInputs.intBetween(r, 0, 30);
      while (keys.size() < count) {
        StringBuilder key = new StringBuilder();
        int length = RandomInputs.intBetween(r, 1, 6);
        for (int i = 0; i < length; i++) {
          key.append(RandomInputs.oneOf(r, pieces));
        }
        keys.add(key.toString());
      }
      for (String key : keys) {
        put(meta, bucket, key, "c");
      }
      List<String> keyList = new ArrayList<>(keys);
      for (int q = 0; q < 4; q++) {
        String prefix = switch (r.nextInt(3)) {
          case 0 -> null;
          case 1 -> {
            String key = keyList.isEmpty() ? "a" : keyList.get(r.nextInt(keyList.size()));
            yield key.substring(0, key.offsetByCodePoints(0, RandomInputs.intBetween(r, 1, key.codePointCount(0, key.length()))));
          }
          default -> RandomInputs.oneOf(r, pieces);
        };
        String delimiter = RandomInputs.oneOf(r, delimiters);
        int maxKeys = r.nextInt(4) == 0 ? 1000 : RandomInputs.intBetween(r, 1, 5);
        List<String> expected = reference(keys, prefix, delimiter);
        assertThat(pageV2(bucket, prefix, delimiter, maxKeys)).as("V2 prefix=%s delimiter=%s max=%d keys=%s",
            prefix, delimiter, maxKeys, keys).isEqualTo(expected);
        assertThat(pageV1(bucket, prefix, delimiter, maxKeys)).as("V1 prefix=%s delimiter=%s max=%d keys=%s",
            prefix, delimiter, maxKeys, keys).isEqualTo(expected);
      }
    });
  }

  // ---- multipart uploads ------------------------------------------------------------------

  @Test
  void aMultipartUploadCompletesIntoOneObject() throws Exception {
    bucket("bkt");
    ObjectAttributes attrs = new ObjectAttributes("video/mp4", null, "inline", "no-cache", Map.of("Origin", "camera"));
    MultipartUpload upload = meta.createMultipartUpload("bkt", "movie.mp4", "alice", attrs);
    assertThat(upload.uploadId()).isNotBlank();
    assertThat(upload.initiated()).isEqualTo(clock.instant());
    assertThat(meta.multipartUpload("bkt", "movie.mp4", upload.uploadId())).isEqualTo(upload);
    String id = upload.uploadId();

    PutPartResult p1 = meta.putPart("bkt", "movie.mp4", id, 1, "part-1", 5 * MIB, md5("1"));
    assertThat(p1.replaced()).isEmpty();
    meta.putPart("bkt", "movie.mp4", id, 2, "part-2-first", 5 * MIB, md5("2a"));
    meta.putPart("bkt", "movie.mp4", id, 3, "part-3", 7, "\"" + md5("3") + "\"");
    clock.advance(Duration.ofSeconds(1));
    PutPartResult again = meta.putPart("bkt", "movie.mp4", id, 2, "part-2", 6 * MIB, md5("2"));
    assertThat(again.replaced()).map(Part::cid).contains("part-2-first");
    assertThat(again.releasableCids()).containsExactly("part-2-first");
    assertThat(again.part().lastModified()).isEqualTo(clock.instant());

    PartListing first = meta.listParts("bkt", "movie.mp4", id, 0, 2);
    assertThat(first.parts()).extracting(Part::partNumber).containsExactly(1, 2);
    assertThat(first.truncated()).isTrue();
    assertThat(first.nextPartNumberMarker()).isEqualTo(2);
    PartListing second = meta.listParts("bkt", "movie.mp4", id, first.nextPartNumberMarker(), 2);
    assertThat(second.parts()).extracting(Part::partNumber).containsExactly(3);
    assertThat(second.parts().get(0).etag()).as("unquoted").isEqualTo(md5("3"));
    assertThat(second.truncated()).isFalse();

    List<CompletedPart> request = List.of(new CompletedPart(1, md5("1")), new CompletedPart(2, "\"" + md5("2") + "\""),
        new CompletedPart(3, md5("3").toUpperCase()));
    assertThat(meta.checkCompletion("bkt", "movie.mp4", id, request)).extracting(Part::cid)
        .containsExactly("part-1", "part-2", "part-3");
    clock.advance(Duration.ofSeconds(1));
    CompletedUpload done = meta.completeMultipartUpload("bkt", "movie.mp4", id, request, "object-root");
    assertThat(done.parts()).extracting(Part::partNumber).containsExactly(1, 2, 3);
    assertThat(done.discarded()).isEmpty();
    assertThat(done.replaced()).isEmpty();
    assertThat(done.releasableCids()).as("the object's own DAG holds the bytes now")
        .containsExactlyInAnyOrder("part-1", "part-2", "part-3");

    MessageDigest md5 = MessageDigest.getInstance("MD5");
    for (String part : List.of("1", "2", "3")) {
      md5.update(HexFormat.of().parseHex(md5(part)));
    }
    String expectedEtag = HexFormat.of().formatHex(md5.digest()) + "-3";
    S3Object object = meta.headObject("bkt", "movie.mp4");
    assertThat(object).isEqualTo(done.object());
    assertThat(object.cid()).isEqualTo("object-root");
    assertThat(object.size()).isEqualTo(11 * MIB + 7);
    assertThat(object.etag()).isEqualTo(expectedEtag);
    assertThat(object.attributes()).isEqualTo(attrs);
    assertThat(object.attributes().userMetadata()).containsEntry("origin", "camera");
    assertThat(object.lastModified()).isEqualTo(clock.instant());

    assertCode(S3MetadataException.NO_SUCH_UPLOAD, () -> meta.listParts("bkt", "movie.mp4", id, 0, 1000));
    assertCode(S3MetadataException.NO_SUCH_UPLOAD, () -> meta.putPart("bkt", "movie.mp4", id, 4, "x", 1, md5("x")));
    assertCode(S3MetadataException.NO_SUCH_UPLOAD, () -> meta.completeMultipartUpload("bkt", "movie.mp4", id, request, "r"));
    assertThat(meta.listMultipartUploads("bkt", null, null, null, null, 1000).uploads()).isEmpty();
    assertThat(meta.isCidReferenced("part-1")).isFalse();
  }

  @Test
  void aCompletedObjectKeepsItsPartSizesForPartNumberReads() throws Exception {
    bucket("bkt");
    String id = meta.createMultipartUpload("bkt", "k", "alice", null).uploadId();
    meta.putPart("bkt", "k", id, 1, "p1", 5 * MIB, md5("1"));
    meta.putPart("bkt", "k", id, 2, "p2", 8 * MIB, md5("2"));
    meta.putPart("bkt", "k", id, 4, "p4", 6 * MIB, md5("4"));
    meta.putPart("bkt", "k", id, 7, "p7", 3, md5("7"));
    List<CompletedPart> request = List.of(new CompletedPart(1, md5("1")), new CompletedPart(4, md5("4")),
        new CompletedPart(7, md5("7")));
    CompletedUpload done = meta.completeMultipartUpload("bkt", "k", id, request, "root");
    assertThat(done.object().partSizes()).as("the parts used, in order; part 2 was left out")
        .containsExactly(5 * MIB, 6 * MIB, 3L);
    assertThat(done.object().partCount()).isEqualTo(3);
    assertThat(open().headObject("bkt", "k").partSizes()).as("as another gateway reads it")
        .containsExactly(5 * MIB, 6 * MIB, 3L);
    assertThat(meta.listObjectsV2("bkt", null, null, null, null, 10).contents().get(0).partSizes())
        .containsExactly(5 * MIB, 6 * MIB, 3L);

    S3Object source = meta.headObject("bkt", "k");
    meta.putObject("bkt", "copy", new ObjectWrite(source.cid(), source.size(), source.etag(), source.attributes(),
        source.partSizes()));
    assertThat(meta.headObject("bkt", "copy").partSizes()).as("a copy keeps the parts its ETag counts")
        .containsExactly(5 * MIB, 6 * MIB, 3L);

    put("bkt", "k");
    assertThat(meta.headObject("bkt", "k").partSizes()).as("a plain PUT over it is one piece").isEmpty();
    assertThat(meta.headObject("bkt", "k").partCount()).isEqualTo(1);
  }

  @Test
  void aDatabaseOfSchemaVersion1IsMigratedAndItsObjectsStillRead() throws Exception {
    bucket("bkt");
    put("bkt", "old");
    meta.close();
    try (java.sql.Connection c = connectRaw(); java.sql.Statement st = c.createStatement()) {
      st.execute("ALTER TABLE s3_objects DROP COLUMN part_sizes"); // the schema as version 1 made it
      st.executeUpdate("UPDATE s3_schema SET version = 1");
    }
    meta = open();
    assertThat(meta.headObject("bkt", "old").partSizes()).isEmpty();
    String id = meta.createMultipartUpload("bkt", "new", "alice", null).uploadId();
    meta.putPart("bkt", "new", id, 1, "p1", 5 * MIB, md5("1"));
    meta.putPart("bkt", "new", id, 2, "p2", 1, md5("2"));
    meta.completeMultipartUpload("bkt", "new", id, List.of(new CompletedPart(1, md5("1")), new CompletedPart(2, md5("2"))),
        "root");
    assertThat(open().headObject("bkt", "new").partSizes()).containsExactly(5 * MIB, 1L);
    try (java.sql.Connection c = connectRaw(); java.sql.Statement st = c.createStatement();
         java.sql.ResultSet rs = st.executeQuery("SELECT version FROM s3_schema")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(2);
      assertThat(rs.next()).as("one version row").isFalse();
    }
  }

  @Test
  void completionIsRefusedAsS3RefusesIt() throws Exception {
    bucket("bkt");
    String id = meta.createMultipartUpload("bkt", "k", "alice", null).uploadId();
    meta.putPart("bkt", "k", id, 1, "p1", 5 * MIB, md5("1"));
    meta.putPart("bkt", "k", id, 2, "p2", 5 * MIB - 1, md5("2"));
    meta.putPart("bkt", "k", id, 3, "p3", 1, md5("3"));
    CompletedPart one = new CompletedPart(1, md5("1"));
    CompletedPart two = new CompletedPart(2, md5("2"));
    CompletedPart three = new CompletedPart(3, md5("3"));
    Map<String, List<CompletedPart>> refusals = new LinkedHashMap<>();
    Map<String, String> codes = new HashMap<>();
    refusals.put("no parts", List.of());
    codes.put("no parts", S3MetadataException.MALFORMED_XML);
    refusals.put("descending", List.of(two, one));
    codes.put("descending", S3MetadataException.INVALID_PART_ORDER);
    refusals.put("repeated", List.of(one, one));
    codes.put("repeated", S3MetadataException.INVALID_PART_ORDER);
    refusals.put("missing part", List.of(one, new CompletedPart(4, md5("4"))));
    codes.put("missing part", S3MetadataException.INVALID_PART);
    refusals.put("wrong etag", List.of(one, new CompletedPart(3, md5("nope"))));
    codes.put("wrong etag", S3MetadataException.INVALID_PART);
    refusals.put("no etag", List.of(new CompletedPart(1, null)));
    codes.put("no etag", S3MetadataException.INVALID_PART);
    refusals.put("part 0", List.of(new CompletedPart(0, md5("1"))));
    codes.put("part 0", S3MetadataException.INVALID_PART);
    refusals.put("small middle part", List.of(one, two, three));
    codes.put("small middle part", S3MetadataException.ENTITY_TOO_SMALL);
    refusals.put("small first part", List.of(two, three));
    codes.put("small first part", S3MetadataException.ENTITY_TOO_SMALL);
    for (Map.Entry<String, List<CompletedPart>> refusal : refusals.entrySet()) {
      String code = codes.get(refusal.getKey());
      assertCode(code, () -> meta.checkCompletion("bkt", "k", id, refusal.getValue()));
      assertCode(code, () -> meta.completeMultipartUpload("bkt", "k", id, refusal.getValue(), "root"));
    }
    assertThat(meta.listParts("bkt", "k", id, 0, 1000).parts()).as("a refused completion changes nothing").hasSize(3);
    assertCode(S3MetadataException.NO_SUCH_KEY, () -> meta.headObject("bkt", "k"));
    // the last part may be small, and so may a single part
    assertThat(meta.checkCompletion("bkt", "k", id, List.of(one, three))).extracting(Part::cid).containsExactly("p1", "p3");
    assertThat(meta.checkCompletion("bkt", "k", id, List.of(two))).extracting(Part::cid).containsExactly("p2");
    // the upload belongs to one bucket and key
    bucket("other");
    assertCode(S3MetadataException.NO_SUCH_UPLOAD, () -> meta.checkCompletion("bkt", "other-key", id, List.of(one)));
    assertCode(S3MetadataException.NO_SUCH_UPLOAD, () -> meta.checkCompletion("other", "k", id, List.of(one)));
    assertCode(S3MetadataException.NO_SUCH_UPLOAD, () -> meta.checkCompletion("bkt", "k", "no-such-id", List.of(one)));
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> meta.checkCompletion("nope", "k", id, List.of(one)));
  }

  @Test
  void completingWithSomePartsDiscardsTheOthersAndReplacesTheObject() throws Exception {
    bucket("bkt");
    put(meta, "bkt", "k", "old-object");
    String id = meta.createMultipartUpload("bkt", "k", "alice", null).uploadId();
    meta.putPart("bkt", "k", id, 1, "p1", 5 * MIB, md5("1"));
    meta.putPart("bkt", "k", id, 2, "p2", 5 * MIB, md5("2"));
    meta.putPart("bkt", "k", id, 3, "p3", 10, md5("3"));
    CompletedUpload done = meta.completeMultipartUpload("bkt", "k", id,
        List.of(new CompletedPart(1, md5("1")), new CompletedPart(3, md5("3"))), "new-root");
    assertThat(done.parts()).extracting(Part::cid).containsExactly("p1", "p3");
    assertThat(done.discarded()).extracting(Part::cid).containsExactly("p2");
    assertThat(done.replaced()).map(S3Object::cid).contains("old-object");
    assertThat(done.releasableCids()).containsExactlyInAnyOrder("p1", "p2", "p3", "old-object");
    assertThat(done.object().size()).isEqualTo(5 * MIB + 10);
    assertThat(done.object().etag()).endsWith("-2");
    assertThat(meta.headObject("bkt", "k").cid()).isEqualTo("new-root");
  }

  @Test
  void abortDropsTheUploadAndItsParts() throws Exception {
    bucket("bkt");
    String id = meta.createMultipartUpload("bkt", "k", "alice", null).uploadId();
    meta.putPart("bkt", "k", id, 1, "p1", 5 * MIB, md5("1"));
    meta.putPart("bkt", "k", id, 2, "p2", 1, md5("2"));
    assertCode(S3MetadataException.NO_SUCH_UPLOAD, () -> meta.abortMultipartUpload("bkt", "other", id));
    AbortedUpload aborted = meta.abortMultipartUpload("bkt", "k", id);
    assertThat(aborted.upload().uploadId()).isEqualTo(id);
    assertThat(aborted.parts()).extracting(Part::cid).containsExactly("p1", "p2");
    assertThat(aborted.releasableCids()).containsExactly("p1", "p2");
    assertCode(S3MetadataException.NO_SUCH_UPLOAD, () -> meta.abortMultipartUpload("bkt", "k", id));
    assertCode(S3MetadataException.NO_SUCH_UPLOAD, () -> meta.multipartUpload("bkt", "k", id));
    assertCode(S3MetadataException.NO_SUCH_UPLOAD, () -> meta.putPart("bkt", "k", "no-such-upload", 1, "x", 1, md5("x")));
  }

  @Test
  void partNumbersRunFrom1To10000() throws Exception {
    bucket("bkt");
    String id = meta.createMultipartUpload("bkt", "k", "alice", null).uploadId();
    for (int bad : new int[] {0, -1, 10_001, Integer.MAX_VALUE}) {
      assertCode(S3MetadataException.INVALID_ARGUMENT, () -> meta.putPart("bkt", "k", id, bad, "x", 1, md5("x")));
    }
    meta.putPart("bkt", "k", id, 1, "first", 1, md5("1"));
    meta.putPart("bkt", "k", id, 10_000, "last", 1, md5("10000"));
    assertThat(meta.listParts("bkt", "k", id, 0, 1000).parts()).extracting(Part::partNumber).containsExactly(1, 10_000);
    assertThat(meta.listParts("bkt", "k", id, 1, 1000).parts()).extracting(Part::partNumber).containsExactly(10_000);
    assertThat(meta.listParts("bkt", "k", id, 10_000, 1000).parts()).isEmpty();
    assertCode(S3MetadataException.INVALID_ARGUMENT, () -> meta.listParts("bkt", "k", id, -1, 1000));
    assertCode(S3MetadataException.INVALID_ARGUMENT, () -> meta.listParts("bkt", "k", id, 0, -1));
  }

  @Test
  void uploadsListByKeyThenInitiationWithPrefixesAndMarkers() throws Exception {
    bucket("bkt");
    List<MultipartUpload> made = new ArrayList<>();
    for (String key : List.of("logs/b", "logs/a", "logs/a", "media/x/1", "media/x/2", "top", "logs/a")) {
      made.add(meta.createMultipartUpload("bkt", key, "alice", null));
      clock.advance(Duration.ofMillis(1));
    }
    List<String> expectedOrder = List.of(made.get(1).uploadId(), made.get(2).uploadId(), made.get(6).uploadId(),
        made.get(0).uploadId(), made.get(3).uploadId(), made.get(4).uploadId(), made.get(5).uploadId());
    UploadListing all = meta.listMultipartUploads("bkt", null, null, null, null, 1000);
    assertThat(all.uploads()).extracting(MultipartUpload::uploadId).containsExactlyElementsOf(expectedOrder);
    assertThat(all.truncated()).isFalse();

    // page two at a time with the next markers
    List<String> paged = new ArrayList<>();
    String keyMarker = null;
    String idMarker = null;
    for (int pages = 0; pages < 10; pages++) {
      UploadListing page = meta.listMultipartUploads("bkt", null, null, keyMarker, idMarker, 2);
      page.uploads().forEach(u -> paged.add(u.uploadId()));
      if (!page.truncated()) {
        break;
      }
      assertThat(page.uploads()).hasSize(2);
      keyMarker = page.nextKeyMarker();
      idMarker = page.nextUploadIdMarker();
      assertThat(keyMarker).isEqualTo(page.uploads().get(1).key());
      assertThat(idMarker).isEqualTo(page.uploads().get(1).uploadId());
    }
    assertThat(paged).containsExactlyElementsOf(expectedOrder);

    // a key marker alone skips every upload of that key
    assertThat(meta.listMultipartUploads("bkt", null, null, "logs/a", null, 1000).uploads()).extracting(MultipartUpload::key)
        .containsExactly("logs/b", "media/x/1", "media/x/2", "top");
    // delimiter and prefix
    UploadListing rolled = meta.listMultipartUploads("bkt", null, "/", null, null, 1000);
    assertThat(rolled.commonPrefixes()).containsExactly("logs/", "media/");
    assertThat(rolled.uploads()).extracting(MultipartUpload::key).containsExactly("top");
    UploadListing media = meta.listMultipartUploads("bkt", "media/", "/", null, null, 1000);
    assertThat(media.commonPrefixes()).containsExactly("media/x/");
    assertThat(media.uploads()).isEmpty();
    UploadListing onePrefix = meta.listMultipartUploads("bkt", null, "/", null, null, 1);
    assertThat(onePrefix.commonPrefixes()).containsExactly("logs/");
    assertThat(onePrefix.truncated()).isTrue();
    assertThat(onePrefix.nextKeyMarker()).isEqualTo("logs/");
    assertThat(onePrefix.nextUploadIdMarker()).isNull();
    UploadListing after = meta.listMultipartUploads("bkt", null, "/", onePrefix.nextKeyMarker(), null, 1000);
    assertThat(after.commonPrefixes()).containsExactly("media/");
    assertThat(after.uploads()).extracting(MultipartUpload::key).containsExactly("top");
    assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> meta.listMultipartUploads("nope", null, null, null, null, 1000));
  }

  // ---- several gateways, several threads --------------------------------------------------

  @Test
  void twoGatewaysOnOneDatabaseSeeEachOthersWrites() throws Exception {
    S3Metadata other = open();
    AccessKey key = meta.issueAccessKey("alice");
    assertThat(other.activeAccessKey(key.accessKeyId())).map(AccessKey::secretAccessKey).contains(key.secretAccessKey());
    meta.createBucket("alice", "shared", BucketAcl.PRIVATE);
    assertThat(other.headBucket("shared").owner()).isEqualTo("alice");
    assertCode(S3MetadataException.BUCKET_ALREADY_EXISTS, () -> other.createBucket("bob", "shared", BucketAcl.PRIVATE));
    put(other, "shared", "from-other", "cid-other");
    assertThat(meta.headObject("shared", "from-other").cid()).isEqualTo("cid-other");
    PutObjectResult replaced = put(meta, "shared", "from-other", "cid-mine");
    assertThat(replaced.releasableCids()).containsExactly("cid-other");
    assertThat(other.headObject("shared", "from-other").cid()).isEqualTo("cid-mine");
    String upload = other.createMultipartUpload("shared", "mp", "alice", null).uploadId();
    meta.putPart("shared", "mp", upload, 1, "p", 1, md5("p"));
    assertThat(other.completeMultipartUpload("shared", "mp", upload, List.of(new CompletedPart(1, md5("p"))), "root")
        .parts()).hasSize(1);
    assertThat(meta.listObjectsV2("shared", null, null, null, null, 1000).contents()).extracting(S3Object::key)
        .containsExactly("from-other", "mp");
    other.revokeAccessKey(key.accessKeyId());
    assertThat(meta.activeAccessKey(key.accessKeyId())).isEmpty();
    other.deleteObject("shared", "from-other");
    assertCode(S3MetadataException.NO_SUCH_KEY, () -> meta.headObject("shared", "from-other"));
  }

  @Test
  void concurrentPutsOfOneKeyLeaveOneRowAndReplaceEachVersionOnce() throws Exception {
    List<S3Metadata> gateways = List.of(meta, open());
    bucket("hot");
    int threads = 8;
    int keys = 20;
    // every thread writes every key, all starting each key together: the first writes of a new key
    // collide on its insert, the later ones on its row
    CyclicBarrier together = new CyclicBarrier(threads);
    Map<String, ConcurrentLinkedQueue<String>> replacedCids = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<String> releasable = new ConcurrentLinkedQueue<>();
    List<Callable<Void>> tasks = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    for (int t = 0; t < threads; t++) {
      S3Metadata store = gateways.get(t % gateways.size());
      int thread = t;
      tasks.add(() -> {
        go.await();
        try {
          for (int k = 0; k < keys; k++) {
            together.await(60, TimeUnit.SECONDS);
            for (int i = 0; i < 3; i++) {
              PutObjectResult r = put(store, "hot", "key-" + k, "cid-" + k + "-" + thread + "-" + i);
              r.replaced().ifPresent(old -> replacedCids.computeIfAbsent(old.key(), x -> new ConcurrentLinkedQueue<>())
                  .add(old.cid()));
              releasable.addAll(r.releasableCids());
            }
          }
        } catch (Exception e) {
          together.reset(); // the others stop waiting for this thread at once
          throw e;
        }
        return null;
      });
    }
    runAll(tasks, go);
    ObjectListing listing = meta.listObjectsV2("hot", null, null, null, null, 1000);
    assertThat(listing.contents()).as("one row per key").hasSize(keys);
    for (S3Object last : listing.contents()) {
      int k = Integer.parseInt(last.key().substring("key-".length()));
      Set<String> written = new HashSet<>();
      for (int t = 0; t < threads; t++) {
        for (int i = 0; i < 3; i++) {
          written.add("cid-" + k + "-" + t + "-" + i);
        }
      }
      assertThat(written).contains(last.cid());
      List<String> everything = new ArrayList<>(replacedCids.getOrDefault(last.key(), new ConcurrentLinkedQueue<>()));
      everything.add(last.cid());
      assertThat(everything).as("each version of %s replaced exactly once, the last one stays", last.key())
          .doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(written);
    }
    List<String> allReplaced = replacedCids.values().stream().flatMap(ConcurrentLinkedQueue::stream).toList();
    assertThat(releasable).containsExactlyInAnyOrderElementsOf(allReplaced);
  }

  @Test
  void concurrentBucketCreationHasExactlyOneWinner() throws Exception {
    List<S3Metadata> gateways = List.of(meta, open());
    for (int round = 0; round < 5; round++) {
      String name = "race-" + round;
      CountDownLatch go = new CountDownLatch(1);
      ConcurrentLinkedQueue<String> outcomes = new ConcurrentLinkedQueue<>();
      List<Callable<Void>> tasks = new ArrayList<>();
      for (int t = 0; t < 6; t++) {
        S3Metadata store = gateways.get(t % 2);
        String account = t % 2 == 0 ? "alice" : "bob";
        tasks.add(() -> {
          go.await();
          try {
            store.createBucket(account, name, BucketAcl.PRIVATE);
            outcomes.add("created by " + account);
          } catch (S3MetadataException e) {
            outcomes.add(e.code());
          }
          return null;
        });
      }
      runAll(tasks, go);
      assertThat(outcomes.stream().filter(o -> o.startsWith("created"))).hasSize(1);
      String owner = meta.headBucket(name).owner();
      assertThat(outcomes).contains("created by " + owner);
      assertThat(outcomes.stream().filter(o -> !o.startsWith("created")))
          .allMatch(o -> o.equals(S3MetadataException.BUCKET_ALREADY_EXISTS)
              || o.equals(S3MetadataException.BUCKET_ALREADY_OWNED_BY_YOU));
    }
  }

  @Test
  void aBucketDeletedWhileAnObjectIsPutEndsConsistent() throws Exception {
    S3Metadata other = open();
    for (int round = 0; round < 15; round++) {
      String name = "racing-" + round;
      bucket(name);
      CountDownLatch go = new CountDownLatch(1);
      String[] putOutcome = new String[1];
      String[] deleteOutcome = new String[1];
      List<Callable<Void>> tasks = List.of(
          () -> {
            go.await();
            try {
              put(other, name, "k", "c-" + name);
              putOutcome[0] = "ok";
            } catch (S3MetadataException e) {
              putOutcome[0] = e.code();
            }
            return null;
          },
          () -> {
            go.await();
            try {
              meta.deleteBucket(name);
              deleteOutcome[0] = "ok";
            } catch (S3MetadataException e) {
              deleteOutcome[0] = e.code();
            }
            return null;
          });
      runAll(tasks, go);
      Optional<Bucket> bucket = meta.bucket(name);
      if (bucket.isPresent()) {
        assertThat(deleteOutcome[0]).isEqualTo(S3MetadataException.BUCKET_NOT_EMPTY);
        assertThat(putOutcome[0]).isEqualTo("ok");
        assertThat(meta.headObject(name, "k").cid()).isEqualTo("c-" + name);
      } else {
        assertThat(deleteOutcome[0]).isEqualTo("ok");
        assertThat(putOutcome[0]).isEqualTo(S3MetadataException.NO_SUCH_BUCKET);
        assertThat(meta.isCidReferenced("c-" + name)).as("no object left behind in a deleted bucket").isFalse();
      }
    }
  }

  @Test
  void partsUploadedConcurrentlyAreAllThereAtCompletion() throws Exception {
    List<S3Metadata> gateways = List.of(meta, open());
    bucket("bkt");
    String id = meta.createMultipartUpload("bkt", "k", "alice", null).uploadId();
    CountDownLatch go = new CountDownLatch(1);
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      int thread = t;
      tasks.add(() -> {
        go.await();
        for (int n = 1 + thread; n <= 60; n += 6) {
          gateways.get(thread % 2).putPart("bkt", "k", id, n, "p" + n, 5 * MIB, md5("p" + n));
          gateways.get((thread + 1) % 2).putPart("bkt", "k", id, n, "p" + n, 5 * MIB, md5("p" + n)); // same part again
        }
        return null;
      });
    }
    runAll(tasks, go);
    List<CompletedPart> all = new ArrayList<>();
    for (int n = 1; n <= 60; n++) {
      all.add(new CompletedPart(n, md5("p" + n)));
    }
    CompletedUpload done = meta.completeMultipartUpload("bkt", "k", id, all, "root");
    assertThat(done.parts()).hasSize(60);
    assertThat(done.object().size()).isEqualTo(60 * 5 * MIB);
  }

  private static void runAll(List<Callable<Void>> tasks, CountDownLatch go) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      List<Future<Void>> futures = new ArrayList<>();
      for (Callable<Void> task : tasks) {
        futures.add(pool.submit(task));
      }
      go.countDown();
      for (Future<Void> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
