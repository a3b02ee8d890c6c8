package io.canopy.gateway.s3;

import io.canopy.gateway.http.BlockingResponseStream;
import io.canopy.gateway.http.RequestBodyStream;
import io.canopy.gateway.s3.S3Operation.AbortMultipartUpload;
import io.canopy.gateway.s3.S3Operation.CompleteMultipartUpload;
import io.canopy.gateway.s3.S3Operation.CopyObject;
import io.canopy.gateway.s3.S3Operation.CreateMultipartUpload;
import io.canopy.gateway.s3.S3Operation.ListMultipartUploads;
import io.canopy.gateway.s3.S3Operation.ListParts;
import io.canopy.gateway.s3.S3Operation.UploadPartCopy;
import io.canopy.gateway.s3.S3Operation.UploadPart;
import io.canopy.gateway.s3.meta.CompletedUpload;
import io.canopy.gateway.s3.meta.MultipartUpload;
import io.canopy.gateway.s3.meta.Part;
import io.canopy.gateway.s3.meta.PutPartResult;
import io.canopy.gateway.s3.S3Operation.CreateBucket;
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
import io.canopy.gateway.s3.S3Operation.ListObjects;
import io.canopy.gateway.s3.S3Operation.ListObjectsV2;
import io.canopy.gateway.s3.S3Operation.OnBucket;
import io.canopy.gateway.s3.S3Operation.PutObject;
import io.canopy.gateway.s3.S3Operation.Unsupported;
import io.canopy.gateway.s3.auth.AuthResult;
import io.canopy.gateway.s3.auth.Credential;
import io.canopy.gateway.s3.auth.CredentialStore;
import io.canopy.gateway.s3.auth.RequestHead;
import io.canopy.gateway.s3.auth.S3AuthConfig;
import io.canopy.gateway.s3.auth.S3AuthException;
import io.canopy.gateway.s3.auth.SigV4Verifier;
import io.canopy.gateway.s3.data.ObjectData;
import io.canopy.gateway.s3.data.ObjectKeeper;
import io.canopy.gateway.s3.meta.BatchDeleteResult;
import io.canopy.gateway.s3.meta.Bucket;
import io.canopy.gateway.s3.meta.BucketAcl;
import io.canopy.gateway.s3.meta.DeletedObject;
import io.canopy.gateway.s3.meta.ObjectAttributes;
import io.canopy.gateway.s3.meta.ObjectWrite;
import io.canopy.gateway.s3.meta.PutObjectResult;
import io.canopy.gateway.s3.meta.S3Metadata;
import io.canopy.gateway.s3.meta.S3MetadataException;
import io.canopy.gateway.s3.meta.S3Object;
import io.canopy.multiformats.Cid;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The S3 face over HTTP: parse ({@link S3Request}) → authenticate ({@link SigV4Verifier}) →
 * authorize (the bucket's owner, or anyone for reads of a public-read bucket) → dispatch, one
 * method per operation, on a worker thread. Request bodies stream in through {@link
 * RequestBodyStream} and the verifier's checks; object bytes stream out through {@link
 * BlockingResponseStream}. Every failure becomes an entry of the one error table, {@link
 * S3Error}, sent as the S3 XML error body (no body for HEAD and 304).
 */
public final class S3Handler implements Handler<HttpServerRequest> {
  private static final System.Logger LOG = System.getLogger(S3Handler.class.getName());

  /** S3's largest single PUT: 5 GiB. */
  public static final long MAX_OBJECT_SIZE = 5L << 30;
  /** Request body bytes buffered between the event loop and the worker before the request is paused. */
  public static final int BODY_BUFFER_BYTES = 1 << 20;
  /**
   * The most requests with a body served at once. Each holds a worker thread while its body
   * arrives, as slowly as the client likes, so without this cap clients trickling uploads would
   * take every worker (32, shared by all faces) and stall every GET; half is left for the rest.
   */
  public static final int DEFAULT_MAX_CONCURRENT_UPLOADS = 16;
  /** The most a request's XML body may be (DeleteObjects, CompleteMultipartUpload). */
  public static final int MAX_XML_BODY_BYTES = S3Xml.MAX_DELETE_BODY_BYTES;
  /** S3's default content type for objects stored without one. */
  public static final String DEFAULT_CONTENT_TYPE = "binary/octet-stream";
  /** The response header that carries an object's CID (as Filebase does). */
  public static final String CID_HEADER = "x-amz-meta-cid";

  private static final String USER_META_PREFIX = "x-amz-meta-";
  private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
  private static final SecureRandom IDS = new SecureRandom();

  private final Vertx vertx;
  private final S3Metadata metadata;
  private final ObjectData data;
  private final ObjectKeeper keeper;
  private final S3Addressing addressing;
  private final SigV4Verifier verifier;
  private final long maxObjectSize;
  private final int maxConcurrentUploads;
  private final java.util.concurrent.atomic.AtomicInteger uploads = new java.util.concurrent.atomic.AtomicInteger();

  public S3Handler(Vertx vertx, S3Metadata metadata, ObjectData data, ObjectKeeper keeper, S3Addressing addressing,
      S3AuthConfig authConfig) {
    this(vertx, metadata, data, keeper, addressing, authConfig, MAX_OBJECT_SIZE, DEFAULT_MAX_CONCURRENT_UPLOADS);
  }

  /**
   * @param maxObjectSize the largest object or part accepted (S3's is {@link #MAX_OBJECT_SIZE})
   * @param maxConcurrentUploads see {@link #DEFAULT_MAX_CONCURRENT_UPLOADS}
   */
  public S3Handler(Vertx vertx, S3Metadata metadata, ObjectData data, ObjectKeeper keeper, S3Addressing addressing,
      S3AuthConfig authConfig, long maxObjectSize, int maxConcurrentUploads) {
    this.maxObjectSize = maxObjectSize;
    this.maxConcurrentUploads = maxConcurrentUploads;
    this.vertx = vertx;
    this.metadata = metadata;
    this.data = data;
    this.keeper = keeper;
    this.addressing = addressing;
    this.verifier = new SigV4Verifier(credentialsOf(metadata), authConfig);
  }

  /** The verifier's view of the access keys: the active keys of {@link S3Metadata}. */
  static CredentialStore credentialsOf(S3Metadata metadata) {
    return accessKeyId -> {
      try {
        return metadata.activeAccessKey(accessKeyId)
            .map(k -> new Credential(k.accessKeyId(), k.secretAccessKey(), k.account()));
      } catch (S3MetadataException e) {
        throw new MetadataFailure(e);
      }
    };
  }

  /** A metadata failure thrown through an interface that cannot throw checked exceptions. */
  private static final class MetadataFailure extends RuntimeException {
    MetadataFailure(S3MetadataException cause) {
      super(cause);
    }
  }

  /** One request in flight: what the dispatch methods share. */
  private record Exchange(HttpServerRequest req, HttpServerResponse res, RequestBodyStream body, String rawPath,
                          String rawQuery, AuthResult auth, String requestId) {
    String account() {
      return auth == null ? null : auth.account();
    }

    boolean head() {
      return req.method() == HttpMethod.HEAD;
    }

    long contentLength() {
      String value = req.getHeader("Content-Length");
      if (value == null) {
        return -1;
      }
      try {
        return Long.parseLong(value.trim());
      } catch (NumberFormatException e) {
        throw new S3Exception(S3Error.InvalidArgument, "Content-Length is not a number");
      }
    }

    /** The request's data, checked as its signature demands. */
    InputStream verifiedBody() {
      if (auth == null) {
        return body;
      }
      return auth.verifiedBody(body, contentLength());
    }
  }

  @Override
  public void handle(HttpServerRequest req) {
    String requestId = HexFormat.of().withUpperCase().formatHex(randomId());
    boolean upload = hasBody(req);
    if (upload && uploads.incrementAndGet() > maxConcurrentUploads) {
      uploads.decrementAndGet();
      refuseUpload(req, requestId);
      return;
    }
    Context context = vertx.getOrCreateContext();
    RequestBodyStream body = new RequestBodyStream(context, req, BODY_BUFFER_BYTES);
    vertx.executeBlocking(() -> {
      serve(req, body, requestId);
      return null;
    }, false).onComplete(v -> {
      if (upload) {
        uploads.decrementAndGet();
      }
      body.finish();
    }).onFailure(e -> {
      LOG.log(System.Logger.Level.WARNING, "S3 request failed outside its handler", e);
      if (!req.response().headWritten()) {
        req.response().setStatusCode(500).end();
      } else {
        req.response().reset();
      }
    });
  }

  /**
   * SlowDown (503) on the event loop, without taking a worker or reading the body; the connection
   * closes after the answer, since the unread body would otherwise be taken for the next request.
   */
  private void refuseUpload(HttpServerRequest req, String requestId) {
    LOG.log(System.Logger.Level.INFO, "refusing {0} {1} from {2}: already {3} uploads in progress",
        req.method(), req.path(), req.remoteAddress(), maxConcurrentUploads);
    S3Exception busy = new S3Exception(S3Error.SlowDown,
        "Already " + maxConcurrentUploads + " uploads in progress on this gateway; retry later.");
    byte[] xml = busy.toXml(req.path(), requestId).getBytes(StandardCharsets.UTF_8);
    req.response().setStatusCode(busy.httpStatus())
        .putHeader("Connection", "close")
        .putHeader("Retry-After", "1")
        .putHeader("Content-Type", "application/xml")
        .putHeader("Content-Length", Integer.toString(xml.length))
        .end(Buffer.buffer(xml))
        .onComplete(v -> req.connection().close());
  }

  private static byte[] randomId() {
    byte[] id = new byte[8];
    IDS.nextBytes(id);
    return id;
  }

  private void serve(HttpServerRequest req, RequestBodyStream body, String requestId) {
    HttpServerResponse res = req.response();
    res.putHeader("x-amz-request-id", requestId);
    String uri = req.uri();
    int q = uri.indexOf('?');
    String rawPath = q < 0 ? uri : uri.substring(0, q);
    String rawQuery = q < 0 ? "" : uri.substring(q + 1);
    if (rawPath.startsWith("http://") || rawPath.startsWith("https://")) { // absolute-form request target
      int slash = rawPath.indexOf('/', rawPath.indexOf("//") + 2);
      rawPath = slash < 0 ? "/" : rawPath.substring(slash);
    }
    String resource = rawPath;
    try {
      S3Operation op = new S3Request(req.method().name(), rawPath, rawQuery, host(req), req::getHeader)
          .parse(addressing);
      resource = op.resource();
      AuthResult auth = authenticate(req, rawPath, rawQuery);
      Exchange x = new Exchange(req, res, body, rawPath, rawQuery, auth, requestId);
      if (op instanceof Unsupported u) {
        // whether an operation exists is no business of an anonymous caller (S3 answers 403 too)
        throw auth == null ? new S3Exception(S3Error.AccessDenied) : u.toException();
      }
      Bucket bucket = op instanceof OnBucket b && !(op instanceof CreateBucket) ? authorize(x, op, b.bucket()) : null;
      if (!(op instanceof OnBucket) && auth == null) {
        throw new S3Exception(S3Error.AccessDenied);
      }
      dispatch(x, op, bucket);
    } catch (Throwable e) {
      sendError(req, res, body, resource, requestId, e);
    }
  }

  private AuthResult authenticate(HttpServerRequest req, String rawPath, String rawQuery) throws S3AuthException {
    if (anonymous(req)) {
      return null;
    }
    Map<String, List<String>> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (Map.Entry<String, String> h : req.headers()) {
      headers.computeIfAbsent(h.getKey(), k -> new ArrayList<>()).add(h.getValue());
    }
    String host = host(req);
    if (host != null) {
      headers.putIfAbsent("host", List.of(host));
    }
    return verifier.verify(new RequestHead(req.method().name(), rawPath, rawQuery, headers));
  }

  /** The Host header, or under HTTP/2 (which has none) the {@code :authority} it replaces. */
  private static String host(HttpServerRequest req) {
    String host = req.getHeader("Host");
    if (host == null && req.authority() != null) {
      host = req.authority().toString();
    }
    return host;
  }

  /** No signature of any kind: no Authorization header and no signing query parameters. */
  private static boolean anonymous(HttpServerRequest req) {
    if (req.getHeader("Authorization") != null) {
      return false;
    }
    for (String p : List.of("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "Signature", "AWSAccessKeyId")) {
      if (req.getParam(p) != null) {
        return false;
      }
    }
    return true;
  }

  /**
   * Resolves the bucket once and checks access: its owner may do anything; for a public-read
   * bucket anyone (signed or anonymous) may read (GET/HEAD).
   */
  private Bucket authorize(Exchange x, S3Operation op, String name) throws S3MetadataException {
    Optional<Bucket> found = metadata.bucket(name);
    if (found.isEmpty()) {
      throw new S3Exception(S3Error.NoSuchBucket, null, Map.of("BucketName", name));
    }
    Bucket bucket = found.get();
    if (x.account() != null && x.account().equals(bucket.owner())) {
      return bucket;
    }
    boolean read = x.req().method() == HttpMethod.GET || x.req().method() == HttpMethod.HEAD;
    if (read && bucket.acl() == BucketAcl.PUBLIC_READ
        && (op instanceof GetObject || op instanceof HeadObject || op instanceof ListObjects
            || op instanceof ListObjectsV2 || op instanceof HeadBucket)) {
      return bucket;
    }
    throw new S3Exception(S3Error.AccessDenied);
  }

  private void dispatch(Exchange x, S3Operation op, Bucket bucket) throws Exception {
    if (op instanceof PutObject || op instanceof CopyObject || op instanceof CreateMultipartUpload
        || op instanceof UploadPart || op instanceof UploadPartCopy) {
      refuseUnimplementedWriteHeaders(x.req());
    }
    if (op instanceof ListBuckets) {
      listBuckets(x);
    } else if (op instanceof CreateBucket o) {
      createBucket(x, o);
    } else if (op instanceof HeadBucket) {
      x.res().putHeader("x-amz-bucket-region", "us-east-1").end();
    } else if (op instanceof GetBucketLocation) {
      xml(x, 200, S3Xml.locationConstraint("us-east-1"));
    } else if (op instanceof GetBucketVersioning) {
      xml(x, 200, S3Xml.unversioned());
    } else if (op instanceof DeleteBucket o) {
      metadata.deleteBucket(o.bucket());
      x.res().setStatusCode(204).end();
    } else if (op instanceof PutObject o) {
      putObject(x, o);
    } else if (op instanceof CopyObject o) {
      copyObject(x, o);
    } else if (op instanceof GetObject o) {
      getObject(x, o.bucket(), o.key(), o.partNumber(), o.responseHeaders());
    } else if (op instanceof HeadObject o) {
      getObject(x, o.bucket(), o.key(), o.partNumber(), Map.of());
    } else if (op instanceof DeleteObject o) {
      keeper.released(metadata.deleteObject(o.bucket(), o.key()).releasableCids());
      x.res().setStatusCode(204).end();
    } else if (op instanceof DeleteObjects o) {
      deleteObjects(x, o);
    } else if (op instanceof ListObjectsV2 o) {
      var page = metadata.listObjectsV2(o.bucket(), o.prefix(), o.delimiter(), o.startAfter(), o.continuationToken(),
          o.maxKeys());
      xml(x, 200, S3Xml.listObjectsV2(o, listing(page, page.nextContinuationToken()), owner(bucket.owner())));
    } else if (op instanceof ListObjects o) {
      var page = metadata.listObjectsV1(o.bucket(), o.prefix(), o.delimiter(), o.marker(), o.maxKeys());
      xml(x, 200, S3Xml.listObjects(o, listing(page, page.nextMarker()), owner(bucket.owner())));
    } else if (op instanceof CreateMultipartUpload o) {
      MultipartUpload upload = metadata.createMultipartUpload(o.bucket(), o.key(), x.account(), attributes(x.req()));
      xml(x, 200, S3Xml.initiateMultipartUpload(o.bucket(), o.key(), upload.uploadId()));
    } else if (op instanceof UploadPart o) {
      uploadPart(x, o);
    } else if (op instanceof UploadPartCopy o) {
      uploadPartCopy(x, o);
    } else if (op instanceof ListMultipartUploads o) {
      listMultipartUploads(x, o, bucket);
    } else if (op instanceof CompleteMultipartUpload o) {
      completeMultipartUpload(x, o);
    } else if (op instanceof AbortMultipartUpload o) {
      keeper.released(metadata.abortMultipartUpload(o.bucket(), o.key(), o.uploadId()).releasableCids());
      x.res().setStatusCode(204).end();
    } else if (op instanceof ListParts o) {
      var page = metadata.listParts(o.bucket(), o.key(), o.uploadId(), o.partNumberMarker(), o.maxParts());
      List<PartSummary> parts = new ArrayList<>();
      for (Part p : page.parts()) {
        parts.add(new PartSummary(p.partNumber(), p.lastModified(), p.etag(), p.size()));
      }
      xml(x, 200, S3Xml.listParts(o, new PartListing(parts, page.truncated(), page.nextPartNumberMarker()),
          owner(bucket.owner())));
    } else if (op instanceof GetObjectTagging o) {
      metadata.headObject(o.bucket(), o.key()); // NoSuchKey for a missing object
      xml(x, 200, S3Xml.emptyTagging());
    } else {
      throw new S3Exception(S3Error.NotImplemented, op.name() + " is not implemented by this gateway yet.");
    }
  }

  /**
   * Write headers asking for what this gateway does not do, answered NotImplemented rather than
   * silently ignored, since the client relies on them: encryption with a KMS or a customer key
   * (the object would be stored in clear), object lock, and tags. SSE-S3 ({@code AES256}) is
   * accepted as S3 applies it by default; see docs/compatibility-s3.md.
   */
  private static void refuseUnimplementedWriteHeaders(HttpServerRequest req) {
    String sse = req.getHeader("x-amz-server-side-encryption");
    if (sse != null && !sse.trim().equals("AES256")) {
      throw new S3Exception(S3Error.NotImplemented, "Server-side encryption " + sse.trim() + " is not implemented.");
    }
    for (String header : List.of("x-amz-server-side-encryption-customer-algorithm",
        "x-amz-copy-source-server-side-encryption-customer-algorithm", "x-amz-server-side-encryption-aws-kms-key-id",
        "x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold",
        "x-amz-tagging")) {
      if (req.getHeader(header) != null) {
        throw new S3Exception(S3Error.NotImplemented, "The " + header + " header is not implemented by this gateway.");
      }
    }
  }

  // ---- buckets --------------------------------------------------------------------------------

  private void listBuckets(Exchange x) throws S3MetadataException {
    List<BucketSummary> buckets = new ArrayList<>();
    for (Bucket b : metadata.listBuckets(x.account())) {
      buckets.add(new BucketSummary(b.name(), b.created()));
    }
    xml(x, 200, S3Xml.listAllMyBuckets(owner(x.account()), buckets));
  }

  private void createBucket(Exchange x, CreateBucket op) throws Exception {
    if (x.account() == null) {
      throw new S3Exception(S3Error.AccessDenied);
    }
    S3Xml.parseCreateBucketConfiguration(readSmallBody(x, S3Xml.MAX_CONFIGURATION_BODY_BYTES));
    String cannedAcl = x.req().getHeader("x-amz-acl");
    BucketAcl acl = cannedAcl == null ? BucketAcl.PRIVATE : BucketAcl.fromCannedName(cannedAcl);
    metadata.createBucket(x.account(), op.bucket(), acl);
    x.res().putHeader("Location", "/" + op.bucket()).end();
  }

  private static Owner owner(String account) {
    return new Owner(account, account);
  }

  private static ObjectListing listing(io.canopy.gateway.s3.meta.ObjectListing page, String next) {
    List<ObjectSummary> objects = new ArrayList<>(page.contents().size());
    for (S3Object o : page.contents()) {
      objects.add(new ObjectSummary(o.key(), o.lastModified(), o.etag(), o.size()));
    }
    return new ObjectListing(objects, page.commonPrefixes(), page.truncated(), page.truncated() ? next : null);
  }

  // ---- objects --------------------------------------------------------------------------------

  private void putObject(Exchange x, PutObject op) throws Exception {
    byte[] expectedMd5 = contentMd5(x.req());
    long length = x.auth().dataLength(x.contentLength());
    if (length > maxObjectSize) {
      throw new S3Exception(S3Error.EntityTooLarge);
    }
    ObjectAttributes attributes = attributes(x.req());
    PutObjectResult result;
    try (ObjectKeeper.Lease lease = keeper.lease()) {
      ObjectData.Stored stored = receive(x, length, expectedMd5);
      keepDurably(lease, stored);
      result = metadata.putObject(op.bucket(), op.key(),
          new ObjectWrite(stored.cid().toString(), stored.size(), stored.md5Hex(), attributes));
    }
    keeper.released(result.releasableCids());
    x.res().putHeader("ETag", S3Xml.quoteEtag(result.object().etag()))
        .putHeader(CID_HEADER, result.object().cid())
        .end();
  }

  private void uploadPart(Exchange x, UploadPart op) throws Exception {
    metadata.multipartUpload(op.bucket(), op.key(), op.uploadId()); // NoSuchUpload before reading the body
    byte[] expectedMd5 = contentMd5(x.req());
    long length = x.auth().dataLength(x.contentLength());
    if (length > maxObjectSize) {
      throw new S3Exception(S3Error.EntityTooLarge);
    }
    PutPartResult result;
    try (ObjectKeeper.Lease lease = keeper.lease()) {
      ObjectData.Stored stored = receive(x, length, expectedMd5);
      lease.keepHere(stored.cid());
      result = metadata.putPart(op.bucket(), op.key(), op.uploadId(), op.partNumber(),
          stored.cid().toString(), stored.size(), stored.md5Hex());
    }
    keeper.released(result.releasableCids());
    x.res().putHeader("ETag", S3Xml.quoteEtag(result.part().etag())).end();
  }

  /**
   * UploadPartCopy: a range of an object the caller may read becomes a part. The bytes are
   * imported from the source's DAG one slice at a time; a whole single-piece source (its ETag is
   * its MD5) is taken as it is, as CopyObject does, with no bytes moved.
   */
  private void uploadPartCopy(Exchange x, UploadPartCopy op) throws Exception {
    metadata.multipartUpload(op.bucket(), op.key(), op.uploadId()); // NoSuchUpload first, as S3 checks it
    S3Object source = readableSource(x, op.source());
    checkCopySourcePreconditions(x.req(), source);
    long first = 0;
    long length = source.size();
    if (op.range() != null) {
      if (op.range().last() >= source.size()) {
        throw new S3Exception(S3Error.InvalidArgument,
            "Range specified is not valid for source object of size: " + source.size());
      }
      first = op.range().first();
      length = op.range().length();
    }
    if (length > maxObjectSize) {
      throw new S3Exception(S3Error.InvalidRequest,
          "The specified copy source is larger than the maximum allowable size for a copy source: " + maxObjectSize);
    }
    boolean whole = first == 0 && length == source.size();
    PutPartResult result;
    try (ObjectKeeper.Lease lease = keeper.lease()) {
      Cid cid;
      String md5;
      long size;
      if (whole && source.partSizes().isEmpty() && io.canopy.gateway.s3.meta.Etags.isHexMd5(source.etag())) {
        cid = Cid.parse(source.cid());
        md5 = source.etag();
        size = source.size();
      } else {
        ObjectData.Stored stored = data.importSegments(
            List.of(new ObjectData.Segment(Cid.parse(source.cid()), first, length)), maxObjectSize);
        if (stored.size() != length) {
          throw new IOException("copied " + stored.size() + " bytes of " + op.source() + ", not " + length);
        }
        cid = stored.cid();
        md5 = stored.md5Hex();
        size = stored.size();
      }
      lease.keepHere(cid);
      result = metadata.putPart(op.bucket(), op.key(), op.uploadId(), op.partNumber(), cid.toString(), size, md5);
    }
    keeper.released(result.releasableCids());
    xml(x, 200, S3Xml.copyPartResult(result.part().etag(), result.part().lastModified()));
  }

  private void listMultipartUploads(Exchange x, ListMultipartUploads op, Bucket bucket) throws Exception {
    var page = metadata.listMultipartUploads(op.bucket(), op.prefix(), op.delimiter(), op.keyMarker(),
        op.uploadIdMarker(), op.maxUploads());
    List<UploadSummary> uploads = new ArrayList<>(page.uploads().size());
    for (MultipartUpload u : page.uploads()) {
      uploads.add(new UploadSummary(u.key(), u.uploadId(), u.initiated()));
    }
    xml(x, 200, S3Xml.listMultipartUploads(op, new UploadListing(uploads, page.commonPrefixes(), page.truncated(),
        page.nextKeyMarker(), page.nextUploadIdMarker()), owner(bucket.owner())));
  }

  /**
   * Completes an upload. The object's DAG is the one importing the parts' bytes in order gives:
   * built from the parts' leaves when the parts fall on chunk boundaries (5 MiB, 8 MiB… parts do),
   * else imported anew one slice at a time ({@link ObjectData#concatenate}).
   */
  private void completeMultipartUpload(Exchange x, CompleteMultipartUpload op) throws Exception {
    byte[] body = readSmallBody(x, S3Xml.MAX_COMPLETE_BODY_BYTES);
    List<io.canopy.gateway.s3.meta.CompletedPart> requested = new ArrayList<>();
    for (CompletedPart p : S3Xml.parseCompleteMultipartUpload(body)) {
      requested.add(new io.canopy.gateway.s3.meta.CompletedPart(p.partNumber(), p.etag()));
    }
    List<Part> parts = metadata.checkCompletion(op.bucket(), op.key(), op.uploadId(), requested);
    List<Cid> roots = new ArrayList<>(parts.size());
    List<Long> sizes = new ArrayList<>(parts.size());
    for (Part p : parts) {
      roots.add(Cid.parse(p.cid()));
      sizes.add(p.size());
    }
    CompletedUpload done;
    try (ObjectKeeper.Lease lease = keeper.lease()) {
      ObjectData.Stored stored = data.concatenate(roots, sizes);
      keepDurably(lease, stored);
      done = metadata.completeMultipartUpload(op.bucket(), op.key(), op.uploadId(), requested, stored.cid().toString());
    }
    keeper.released(done.releasableCids());
    x.res().putHeader(CID_HEADER, done.object().cid());
    xml(x, 200, S3Xml.completeMultipartUpload("/" + op.bucket() + "/" + op.key(), op.bucket(), op.key(),
        done.object().etag()));
  }

  /** Reads a PUT's body into the blockstore, checking its length and Content-MD5. */
  private ObjectData.Stored receive(Exchange x, long length, byte[] expectedMd5) throws IOException {
    // An x-amz-checksum-* header is checked like Content-MD5, and echoed as S3 does.
    DeclaredChecksum declared = DeclaredChecksum.of(x.req()::getHeader);
    ObjectData.Stored stored;
    try (InputStream in = declared == null ? x.verifiedBody() : declared.watch(x.verifiedBody())) {
      stored = data.put(in, maxObjectSize);
    }
    if (length >= 0 && stored.size() != length) {
      throw new S3Exception(S3Error.IncompleteBody);
    }
    if (expectedMd5 != null && !HexFormat.of().formatHex(expectedMd5).equals(stored.md5Hex())) {
      throw new S3Exception(S3Error.BadDigest);
    }
    if (declared != null) {
      declared.verify();
      x.res().putHeader(declared.headerName(), declared.value());
    }
    return stored;
  }

  /** Waits until the object is durable as the keeper defines it; too few storage nodes is S3's 503. */
  private void keepDurably(ObjectKeeper.Lease lease, ObjectData.Stored stored) throws IOException {
    try {
      lease.keepDurably(stored.cid(), stored.dagBytes());
    } catch (ObjectKeeper.NotDurable e) {
      throw new S3Exception(S3Error.ServiceUnavailable, e.getMessage());
    }
  }

  /** CopyObject within the gateway: the source's CID, size and ETag under the new key (no bytes move). */
  private void copyObject(Exchange x, CopyObject op) throws Exception {
    S3Object source = readableSource(x, op.source());
    checkCopySourcePreconditions(x.req(), source);
    String directive = x.req().getHeader("x-amz-metadata-directive");
    boolean replace = directive != null && directive.trim().equalsIgnoreCase("REPLACE");
    if (directive != null && !replace && !directive.trim().equalsIgnoreCase("COPY")) {
      throw new S3Exception(S3Error.InvalidArgument, "Unknown metadata directive.");
    }
    if (!replace && op.source().equals(new S3Operation.CopySource(op.bucket(), op.key()))) {
      throw new S3Exception(S3Error.InvalidRequest,
          "This copy request is illegal because it is trying to copy an object to itself without changing the"
              + " object's metadata.");
    }
    ObjectAttributes attributes = replace ? attributes(x.req()) : source.attributes();
    PutObjectResult result = metadata.putObject(op.bucket(), op.key(),
        new ObjectWrite(source.cid(), source.size(), source.etag(), attributes, source.partSizes()));
    keeper.released(result.releasableCids());
    x.res().putHeader(CID_HEADER, result.object().cid());
    xml(x, 200, S3Xml.copyObjectResult(result.object().etag(), result.object().lastModified()));
  }

  /**
   * The source of a copy, if the caller may read it: the source bucket's owner, or anyone signed
   * when it is public-read. {@code NoSuchBucket}, {@code AccessDenied}, {@code NoSuchKey}.
   */
  private S3Object readableSource(Exchange x, S3Operation.CopySource source) throws S3MetadataException {
    Bucket bucket = metadata.bucket(source.bucket())
        .orElseThrow(() -> new S3Exception(S3Error.NoSuchBucket, null, Map.of("BucketName", source.bucket())));
    boolean readable = x.account() != null
        && (x.account().equals(bucket.owner()) || bucket.acl() == BucketAcl.PUBLIC_READ);
    if (!readable) {
      throw new S3Exception(S3Error.AccessDenied);
    }
    try {
      return metadata.headObject(source.bucket(), source.key());
    } catch (S3MetadataException e) {
      if (S3MetadataException.NO_SUCH_KEY.equals(e.code())) {
        throw new S3Exception(S3Error.NoSuchKey, null, Map.of("Key", source.key()));
      }
      throw e;
    }
  }

  /**
   * The {@code x-amz-copy-source-if-*} conditions of CopyObject and UploadPartCopy: each one that
   * fails is 412 PreconditionFailed. As S3 documents, a matching if-match wins over a failing
   * if-unmodified-since, and an if-none-match is decided before if-modified-since.
   */
  private static void checkCopySourcePreconditions(HttpServerRequest req, S3Object source) {
    String etag = S3Xml.quoteEtag(source.etag());
    Instant modified = source.lastModified().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    String ifMatch = req.getHeader("x-amz-copy-source-if-match");
    String ifNoneMatch = req.getHeader("x-amz-copy-source-if-none-match");
    if (ifMatch != null) {
      if (!etagListMatches(ifMatch, etag)) {
        throw new S3Exception(S3Error.PreconditionFailed, null, Map.of("Condition", "x-amz-copy-source-If-Match"));
      }
    } else {
      Instant since = httpDate(req.getHeader("x-amz-copy-source-if-unmodified-since"));
      if (since != null && modified.isAfter(since)) {
        throw new S3Exception(S3Error.PreconditionFailed, null,
            Map.of("Condition", "x-amz-copy-source-If-Unmodified-Since"));
      }
    }
    if (ifNoneMatch != null) {
      if (etagListMatches(ifNoneMatch, etag)) {
        throw new S3Exception(S3Error.PreconditionFailed, null, Map.of("Condition", "x-amz-copy-source-If-None-Match"));
      }
    } else {
      Instant since = httpDate(req.getHeader("x-amz-copy-source-if-modified-since"));
      if (since != null && !modified.isAfter(since)) {
        throw new S3Exception(S3Error.PreconditionFailed, null,
            Map.of("Condition", "x-amz-copy-source-If-Modified-Since"));
      }
    }
  }

  private void getObject(Exchange x, String bucket, String key, Integer partNumber, Map<String, String> overrides)
      throws Exception {
    S3Object object;
    try {
      object = metadata.headObject(bucket, key);
    } catch (S3MetadataException e) {
      if (S3MetadataException.NO_SUCH_KEY.equals(e.code())) {
        throw new S3Exception(S3Error.NoSuchKey, null, Map.of("Key", key));
      }
      throw e;
    }
    HttpServerResponse res = x.res();
    String etag = S3Xml.quoteEtag(object.etag());
    checkPreconditions(x.req(), object, etag);
    res.putHeader("ETag", etag)
        .putHeader("Last-Modified", HTTP_DATE.format(object.lastModified()))
        .putHeader("Accept-Ranges", "bytes")
        .putHeader(CID_HEADER, object.cid());
    ObjectAttributes a = object.attributes();
    res.putHeader("Content-Type", a.contentType() == null ? DEFAULT_CONTENT_TYPE : a.contentType());
    putIfPresent(res, "Content-Encoding", a.contentEncoding());
    putIfPresent(res, "Content-Disposition", a.contentDisposition());
    putIfPresent(res, "Cache-Control", a.cacheControl());
    a.userMetadata().forEach((name, value) -> {
      if (!name.equals("cid")) {
        res.putHeader(USER_META_PREFIX + name, value);
      }
    });
    overrides.forEach(res::putHeader);

    long size = object.size();
    long offset = 0;
    long length = size;
    if (partNumber != null) {
      // GET/HEAD of one part of a multipart object (the whole object is its own part 1 otherwise):
      // the part's range, as a ranged GET, with the object's ETag and its part count.
      if (x.req().getHeader("Range") != null) {
        throw new S3Exception(S3Error.InvalidRequest, "Cannot specify both Range header and partNumber query parameter");
      }
      int count = object.partCount();
      if (partNumber > count) {
        throw new S3Exception(S3Error.InvalidPartNumber, null,
            Map.of("PartNumberRequested", partNumber.toString(), "ActualPartCount", Integer.toString(count)));
      }
      if (!object.partSizes().isEmpty()) {
        res.putHeader("x-amz-mp-parts-count", Integer.toString(count));
        for (int i = 0; i < partNumber - 1; i++) {
          offset += object.partSizes().get(i);
        }
        length = object.partSizes().get(partNumber - 1);
      }
      if (length > 0) {
        res.setStatusCode(206).putHeader("Content-Range",
            "bytes " + offset + "-" + (offset + length - 1) + "/" + size);
      }
    }
    try {
      Optional<io.canopy.gateway.http.ByteRange> range = partNumber != null ? Optional.empty()
          : io.canopy.gateway.http.ByteRange.parse(x.req().getHeader("Range"), size);
      if (range.isPresent()) {
        offset = range.get().first();
        length = range.get().length();
        res.setStatusCode(206).putHeader("Content-Range", range.get().contentRange(size));
      }
    } catch (io.canopy.gateway.http.ByteRange.Unsatisfiable e) {
      res.putHeader("Content-Range", "bytes */" + size);
      throw new S3Exception(S3Error.InvalidRange, null,
          Map.of("RangeRequested", x.req().getHeader("Range"), "ActualObjectSize", Long.toString(size)));
    }
    res.putHeader("Content-Length", Long.toString(length));
    if (x.head() || length == 0) {
      res.end();
      return;
    }
    Cid cid = Cid.parse(object.cid());
    long from = offset;
    long count = length;
    try (BlockingResponseStream out = new BlockingResponseStream(res)) {
      data.read(cid, from, count, out);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.INFO, "S3 GET of {0}/{1} cut short: {2}", bucket, key, e.getMessage());
      res.reset();
      return;
    }
    res.end();
  }

  /** If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since (304), RFC 9110 §13.2.2 order. */
  private static void checkPreconditions(HttpServerRequest req, S3Object object, String etag) {
    String ifMatch = req.getHeader("If-Match");
    String ifNoneMatch = req.getHeader("If-None-Match");
    Instant modified = object.lastModified().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    if (ifMatch != null && !etagListMatches(ifMatch, etag)) {
      throw new S3Exception(S3Error.PreconditionFailed, null, Map.of("Condition", "If-Match"));
    }
    if (ifMatch == null) {
      Instant since = httpDate(req.getHeader("If-Unmodified-Since"));
      if (since != null && modified.isAfter(since)) {
        throw new S3Exception(S3Error.PreconditionFailed, null, Map.of("Condition", "If-Unmodified-Since"));
      }
    }
    if (ifNoneMatch != null) {
      if (etagListMatches(ifNoneMatch, etag)) {
        req.response().putHeader("ETag", etag);
        throw new S3Exception(S3Error.NotModified);
      }
    } else {
      Instant since = httpDate(req.getHeader("If-Modified-Since"));
      if (since != null && !modified.isAfter(since)) {
        req.response().putHeader("ETag", etag);
        throw new S3Exception(S3Error.NotModified);
      }
    }
  }

  private static boolean etagListMatches(String header, String etag) {
    for (String t : header.split(",")) {
      String tag = t.trim();
      if (tag.startsWith("W/")) {
        tag = tag.substring(2);
      }
      if (tag.equals("*") || S3Xml.quoteEtag(tag).equals(etag)) {
        return true;
      }
    }
    return false;
  }

  private static Instant httpDate(String value) {
    if (value == null) {
      return null;
    }
    try {
      return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return null; // an unparsable date is ignored, as RFC 9110 says
    }
  }

  private void deleteObjects(Exchange x, DeleteObjects op) throws Exception {
    byte[] expectedMd5 = contentMd5(x.req());
    byte[] body = readSmallBody(x, MAX_XML_BODY_BYTES);
    if (expectedMd5 != null && !MessageDigest.isEqual(expectedMd5, md5(body))) {
      throw new S3Exception(S3Error.BadDigest);
    }
    DeleteRequest request = S3Xml.parseDelete(body);
    List<String> keys = new ArrayList<>();
    request.objects().forEach(o -> keys.add(o.key()));
    BatchDeleteResult result = metadata.deleteObjects(op.bucket(), keys);
    result.deleted().forEach(d -> keeper.released(d.releasableCids()));
    Map<String, DeleteOutcome> outcomes = new LinkedHashMap<>();
    for (DeletedObject d : result.deleted()) {
      outcomes.put(d.key(), new DeleteOutcome.Deleted(d.key()));
    }
    for (BatchDeleteResult.KeyError e : result.errors()) {
      outcomes.put(e.key(), new DeleteOutcome.Failed(e.key(), S3Error.fromCode(e.code()).orElse(S3Error.InternalError),
          e.message()));
    }
    List<DeleteOutcome> ordered = new ArrayList<>();
    for (String key : keys) { // request order, as S3 answers
      DeleteOutcome o = outcomes.remove(key);
      if (o != null) {
        ordered.add(o);
      }
    }
    ordered.addAll(outcomes.values());
    xml(x, 200, S3Xml.deleteResult(ordered, request.quiet()));
  }

  /** Content-Type, -Encoding, -Disposition, Cache-Control and {@code x-amz-meta-*} of a PUT. */
  private static ObjectAttributes attributes(HttpServerRequest req) {
    Map<String, String> user = new LinkedHashMap<>();
    for (Map.Entry<String, String> h : req.headers()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (name.startsWith(USER_META_PREFIX) && !name.equals(CID_HEADER)) {
        user.merge(name.substring(USER_META_PREFIX.length()), h.getValue(), (a, b) -> a + "," + b);
      }
    }
    return new ObjectAttributes(req.getHeader("Content-Type"), contentEncoding(req.getHeader("Content-Encoding")),
        req.getHeader("Content-Disposition"), req.getHeader("Cache-Control"), user);
  }

  /** Content-Encoding without {@code aws-chunked}, which describes the transfer, not the object. */
  private static String contentEncoding(String header) {
    if (header == null) {
      return null;
    }
    List<String> kept = new ArrayList<>();
    for (String coding : header.split(",")) {
      String c = coding.trim();
      if (!c.isEmpty() && !c.equalsIgnoreCase("aws-chunked")) {
        kept.add(c);
      }
    }
    return kept.isEmpty() ? null : String.join(", ", kept);
  }

  private static void putIfPresent(HttpServerResponse res, String name, String value) {
    if (value != null) {
      res.putHeader(name, value);
    }
  }

  /** The decoded Content-MD5 header, null if absent; InvalidDigest unless it is 16 bytes of base64. */
  private static byte[] contentMd5(HttpServerRequest req) {
    String header = req.getHeader("Content-MD5");
    if (header == null) {
      return null;
    }
    try {
      byte[] md5 = Base64.getDecoder().decode(header.trim());
      if (md5.length == 16) {
        return md5;
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    throw new S3Exception(S3Error.InvalidDigest);
  }

  private static byte[] md5(byte[] bytes) {
    try {
      return MessageDigest.getInstance("MD5").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has MD5", e);
    }
  }

  /** A verified body of at most {@code max} bytes (an XML document); longer ones are MalformedXML. */
  private static byte[] readSmallBody(Exchange x, int max) throws IOException {
    if (x.auth() == null) {
      return new byte[0];
    }
    try (InputStream in = x.verifiedBody()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        if (out.size() > max) {
          throw new S3Exception(S3Error.MalformedXML, "The XML you provided was larger than " + max + " bytes.");
        }
      }
      return out.toByteArray();
    }
  }

  // ---- responses ------------------------------------------------------------------------------

  private static void xml(Exchange x, int status, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    x.res().setStatusCode(status).putHeader("Content-Type", "application/xml")
        .putHeader("Content-Length", Integer.toString(bytes.length)).end(Buffer.buffer(bytes));
  }

  /** The one place a failure becomes an S3 error response. */
  private static void sendError(HttpServerRequest req, HttpServerResponse res, RequestBodyStream body, String resource,
                                String requestId, Throwable failure) {
    S3Exception error = toS3Exception(failure);
    if (error.error() == S3Error.InternalError) {
      LOG.log(System.Logger.Level.WARNING, "S3 " + req.method() + " " + resource + " failed", failure);
    }
    if (res.ended() || res.closed()) {
      return;
    }
    if (res.headWritten()) {
      res.reset();
      return;
    }
    res.setStatusCode(error.httpStatus());
    // Under HTTP/1.x a body nobody reads would be taken for the next request: end the connection.
    // HTTP/2 streams are independent, so there the rest of the body is simply discarded.
    boolean unreadBody = !body.ended() && hasBody(req) && req.version() != io.vertx.core.http.HttpVersion.HTTP_2;
    if (unreadBody) {
      // The client may still be sending a body nobody will read: finish with this response.
      res.putHeader("Connection", "close");
    }
    if (req.method() == HttpMethod.HEAD || !error.error().hasBody()) {
      closeAfter(req, res.end(), unreadBody);
    } else {
      byte[] xml = error.toXml(resource, requestId).getBytes(StandardCharsets.UTF_8);
      closeAfter(req, res.putHeader("Content-Type", "application/xml")
          .putHeader("Content-Length", Integer.toString(xml.length)).end(Buffer.buffer(xml)), unreadBody);
    }
  }

  private static void closeAfter(HttpServerRequest req, io.vertx.core.Future<Void> sent, boolean close) {
    if (close) {
      sent.onComplete(v -> req.connection().close());
    }
  }

  /** Whether the request carries a body (a Content-Length above 0, or chunked transfer). */
  private static boolean hasBody(HttpServerRequest req) {
    String length = req.getHeader("Content-Length");
    return req.getHeader("Transfer-Encoding") != null || (length != null && !length.trim().equals("0"));
  }

  /** Maps every failure onto the error table. */
  static S3Exception toS3Exception(Throwable failure) {
    if (failure instanceof S3Exception e) {
      return e;
    }
    S3AuthException auth = S3AuthException.findIn(failure);
    if (auth != null) {
      return new S3Exception(S3Error.fromCode(auth.code()).orElse(S3Error.InternalError), auth.getMessage(),
          auth.details());
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof S3MetadataException m) {
        return S3Error.fromCode(m.code()).map(err -> new S3Exception(err, m.getMessage()))
            .orElseGet(() -> new S3Exception(S3Error.InternalError));
      }
      if (t instanceof S3Exception e) {
        return e;
      }
      if (t instanceof RequestBodyStream.BodyReadFailure) {
        return new S3Exception(S3Error.IncompleteBody, "The request body could not be read: " + t.getMessage());
      }
      if (t instanceof ObjectData.TooLarge) {
        return new S3Exception(S3Error.EntityTooLarge);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return new S3Exception(S3Error.InternalError);
  }
}
