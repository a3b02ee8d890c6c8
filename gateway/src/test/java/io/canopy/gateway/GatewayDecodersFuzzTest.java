package io.canopy.gateway;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.canopy.gateway.http.ByteRange;
import io.canopy.gateway.openai.ChatCompletionRequest;
import io.canopy.gateway.openai.CompletionRequest;
import io.canopy.gateway.openai.EmbeddingsRequest;
import io.canopy.gateway.openai.OpenAiError;
import io.canopy.gateway.openai.OpenAiException;
import io.canopy.gateway.s3.S3Addressing;
import io.canopy.gateway.s3.S3Exception;
import io.canopy.gateway.s3.S3Request;
import io.canopy.gateway.s3.S3Xml;
import io.canopy.gateway.s3.auth.AuthResult;
import io.canopy.gateway.s3.auth.Credential;
import io.canopy.gateway.s3.auth.CredentialStore;
import io.canopy.gateway.s3.auth.PayloadMode;
import io.canopy.gateway.s3.auth.RequestHead;
import io.canopy.gateway.s3.auth.S3AuthConfig;
import io.canopy.gateway.s3.auth.S3AuthException;
import io.canopy.gateway.s3.auth.SigV4Verifier;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.checksums.DefaultChecksumAlgorithm;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * Coverage-guided fuzzing of every decoder of what an S3, IPFS-gateway or OpenAI client sends the
 * gateway. Each branch calls the real decoder as the server does and accepts only its documented
 * refusal; anything else escapes and is a finding.
 *
 * <ul>
 *   <li>SigV4 ({@link SigV4Verifier#verify}) on an Authorization header or a presigned query built
 *       around fuzzed pieces: only {@link S3AuthException}.
 *   <li>SigV4 on requests the AWS SDK's own signer signed, with a fuzzed key (any bytes, encoded
 *       as the S3 client encodes a key) and fuzzed query parameters: verification must succeed —
 *       the gateway's canonical request must be the SDK's on odd paths and queries.
 *   <li>The {@code aws-chunked} decoder ({@link AuthResult#verifiedBody}), in the three streaming
 *       modes, over an SDK-encoded body that is kept, corrupted at a fuzzed place or replaced by
 *       fuzzed bytes, read in fuzzed short reads: only {@link S3AuthException} from {@code read};
 *       an untouched body must decode to the data the SDK encoded.
 *   <li>{@link S3Xml#parseDelete}, {@link S3Xml#parseCompleteMultipartUpload},
 *       {@link S3Xml#parseCreateBucketConfiguration}: only {@link S3Exception}.
 *   <li>{@link S3Request#parse} (method, path, query and copy headers to an operation): only {@link S3Exception}.
 *   <li>{@link ByteRange#parse}: only {@link ByteRange.Unsatisfiable}; a range it returns lies within the size.
 *   <li>{@code GatewayRequest.parse} (IPFS path gateway): only its {@code BadRequest}.
 *   <li>{@link ChatCompletionRequest#parse}, {@link CompletionRequest#parse},
 *       {@link EmbeddingsRequest#parse}: only {@link OpenAiException} of type
 *       {@link OpenAiError#INVALID_REQUEST} (the 400 the server sends).
 * </ul>
 */
class GatewayDecodersFuzzTest {
  private static final int MAX_INPUT = 64 * 1024;
  private static final String ACCESS_KEY = "AKIACANOPYFUZZ000001";
  private static final String SECRET = "canopy/Fuzz+Secret/for+Tests000000000000";
  private static final Credential CREDENTIAL = new Credential(ACCESS_KEY, SECRET, "fuzz");
  private static final CredentialStore STORE = id -> id.equals(ACCESS_KEY) ? Optional.of(CREDENTIAL) : Optional.empty();
  private static final Instant NOW = Instant.parse("2026-03-14T15:09:26Z");
  private static final String AMZ_DATE = "20260314T150926Z";
  private static final String REGION = "us-east-1";
  private static final SigV4Verifier VERIFIER =
      new SigV4Verifier(STORE, S3AuthConfig.builder().clock(Clock.fixed(NOW, ZoneOffset.UTC)).build());
  private static final AwsV4HttpSigner SIGNER = AwsV4HttpSigner.create();
  private static final List<String> PAYLOAD_HASHES = List.of("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  private static final List<String> METHODS = List.of("GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH");
  private static final S3Addressing ADDRESSING = S3Addressing.of("s3.canopy.test");

  private enum Decoder {
    SIGV4_HEADER, SIGV4_PRESIGNED, SIGV4_SDK_SIGNED, AWS_CHUNKED, S3XML_DELETE, S3XML_COMPLETE, S3XML_CREATE_BUCKET,
    S3_REQUEST, BYTE_RANGE, IPFS_GATEWAY_PATH, OPENAI_CHAT, OPENAI_COMPLETION, OPENAI_EMBEDDINGS
  }

  // The IPFS path gateway's parser is package-private: reached as IpfsGateway calls it.
  private static final MethodHandle GATEWAY_REQUEST_PARSE;
  private static final Class<?> BAD_REQUEST;

  static {
    try {
      Class<?> request = Class.forName("io.canopy.gateway.ipfs.GatewayRequest");
      BAD_REQUEST = Class.forName("io.canopy.gateway.ipfs.GatewayRequest$BadRequest");
      GATEWAY_REQUEST_PARSE = MethodHandles.privateLookupIn(request, MethodHandles.lookup())
          .findStatic(request, "parse", MethodType.methodType(request, String.class, String.class, String.class));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @FuzzTest
  void decode(FuzzedDataProvider data) throws Throwable {
    Decoder decoder = Decoder.values()[data.consumeInt(0, Decoder.values().length - 1)];
    switch (decoder) {
      case SIGV4_HEADER -> sigV4Header(data);
      case SIGV4_PRESIGNED -> sigV4Presigned(data);
      case SIGV4_SDK_SIGNED -> sigV4SdkSigned(data);
      case AWS_CHUNKED -> awsChunked(data);
      case S3XML_DELETE -> s3Xml(() -> S3Xml.parseDelete(data.consumeBytes(MAX_INPUT)));
      case S3XML_COMPLETE -> s3Xml(() -> S3Xml.parseCompleteMultipartUpload(data.consumeBytes(MAX_INPUT)));
      case S3XML_CREATE_BUCKET -> s3Xml(() -> S3Xml.parseCreateBucketConfiguration(data.consumeBytes(MAX_INPUT)));
      case S3_REQUEST -> s3Request(data);
      case BYTE_RANGE -> byteRange(data);
      case IPFS_GATEWAY_PATH -> gatewayPath(data);
      case OPENAI_CHAT -> openAi(() -> ChatCompletionRequest.parse(data.consumeBytes(MAX_INPUT)));
      case OPENAI_COMPLETION -> openAi(() -> CompletionRequest.parse(data.consumeBytes(MAX_INPUT)));
      case OPENAI_EMBEDDINGS -> openAi(() -> EmbeddingsRequest.parse(data.consumeBytes(MAX_INPUT)));
    }
  }

  // ---- SigV4 -----------------------------------------------------------------------------------

  /** An Authorization header whose parts are each either well-formed or fuzzed. */
  private static void sigV4Header(FuzzedDataProvider data) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("host", List.of("127.0.0.1:9000"));
    String credential = data.consumeBoolean()
        ? ACCESS_KEY + "/" + AMZ_DATE.substring(0, 8) + "/" + REGION + "/s3/aws4_request" : data.consumeString(200);
    String signedHeaders = data.consumeBoolean() ? "host;x-amz-content-sha256;x-amz-date" : data.consumeString(200);
    String signature = data.consumeBoolean() ? "0".repeat(64) : data.consumeString(100);
    String authorization = data.consumeBoolean()
        ? "AWS4-HMAC-SHA256 Credential=" + credential + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature
        : data.consumeString(500);
    headers.put("authorization", List.of(authorization));
    headers.put("x-amz-date", List.of(data.consumeBoolean() ? AMZ_DATE : data.consumeString(40)));
    headers.put("x-amz-content-sha256", List.of(data.consumeBoolean() ? data.pickValue(PAYLOAD_HASHES) : data.consumeString(80)));
    if (data.consumeBoolean()) {
      headers.put("x-amz-decoded-content-length", List.of(data.consumeString(30)));
    }
    if (data.consumeBoolean()) {
      headers.put("x-amz-trailer", List.of(data.consumeString(30)));
    }
    if (data.consumeBoolean()) {
      headers.put(data.consumeString(30), List.of(data.consumeString(60)));
    }
    verifyRefusedOnly(new RequestHead(data.pickValue(METHODS), data.consumeString(300), data.consumeString(1000), headers));
  }

  /** A presigned query whose parameters are each either well-formed or fuzzed. */
  private static void sigV4Presigned(FuzzedDataProvider data) {
    StringBuilder query = new StringBuilder();
    param(query, "X-Amz-Algorithm", data.consumeBoolean() ? "AWS4-HMAC-SHA256" : data.consumeString(30));
    param(query, "X-Amz-Credential", data.consumeBoolean()
        ? SdkHttpUtils.urlEncode(ACCESS_KEY + "/" + AMZ_DATE.substring(0, 8) + "/" + REGION + "/s3/aws4_request")
        : data.consumeString(200));
    param(query, "X-Amz-Date", data.consumeBoolean() ? AMZ_DATE : data.consumeString(40));
    param(query, "X-Amz-Expires", data.consumeBoolean() ? "3600" : data.consumeString(20));
    param(query, "X-Amz-SignedHeaders", data.consumeBoolean() ? "host" : data.consumeString(100));
    param(query, "X-Amz-Signature", data.consumeBoolean() ? "0".repeat(64) : data.consumeString(100));
    if (data.consumeBoolean()) {
      param(query, "X-Amz-Content-Sha256", data.consumeString(80));
    }
    query.append('&').append(data.consumeString(500));
    Map<String, List<String>> headers = new LinkedHashMap<>();
    headers.put("host", List.of("127.0.0.1:9000"));
    if (data.consumeBoolean()) {
      headers.put("x-amz-content-sha256", List.of(data.consumeBoolean() ? data.pickValue(PAYLOAD_HASHES) : data.consumeString(80)));
    }
    if (data.consumeBoolean()) {
      headers.put(data.consumeString(30), List.of(data.consumeString(60)));
    }
    verifyRefusedOnly(new RequestHead(data.pickValue(METHODS), data.consumeString(300), query.toString(), headers));
  }

  private static void param(StringBuilder query, String name, String value) {
    if (query.length() > 0) {
      query.append('&');
    }
    query.append(name).append('=').append(value);
  }

  private static void verifyRefusedOnly(RequestHead head) {
    try {
      VERIFIER.verify(head);
    } catch (S3AuthException refused) {
      // the documented auth failure
    }
  }

  /**
   * A request the SDK signed for a fuzzed key and query (encoded as the S3 client encodes them):
   * the verifier must accept it, so its canonical forms agree with AWS's on any key and query.
   */
  private static void sigV4SdkSigned(FuzzedDataProvider data) throws IOException {
    String key = data.consumeString(200);
    String path = "/bucket/" + SdkHttpUtils.urlEncodeIgnoreSlashes(key);
    SdkHttpFullRequest.Builder request = SdkHttpFullRequest.builder().method(SdkHttpMethod.GET).protocol("http")
        .host("127.0.0.1").port(9000).encodedPath(path);
    int params = data.consumeInt(0, 4);
    for (int i = 0; i < params; i++) {
      String name = data.consumeString(40);
      String value = data.consumeBoolean() ? data.consumeString(80) : null;
      if (!name.isEmpty()) { // the SDK signs a nameless parameter it then leaves off the wire; no client sends one
        request.appendRawQueryParameter(name, value);
      }
    }
    boolean presigned = data.consumeBoolean();
    SdkHttpRequest signed;
    try {
      signed = sdkSign(request.build(), null, presigned, false, false, null);
    } catch (RuntimeException sdkRefused) {
      return; // a request the SDK itself will not build or sign is no test of the gateway
    }
    RequestHead head = head(signed);
    try {
      AuthResult result = VERIFIER.verify(head);
      if (!result.account().equals(CREDENTIAL.account())) {
        throw new AssertionError("verified as " + result.account());
      }
    } catch (S3AuthException e) {
      throw new AssertionError("the SDK's signature for key " + Arrays.toString(key.getBytes(StandardCharsets.UTF_8))
          + " (" + head.rawPath() + "?" + head.rawQuery() + ", presigned " + presigned + ") does not verify: " + e
          + " " + e.details(), e);
    }
  }

  /** The three aws-chunked modes, with the checksum the trailer modes carry. */
  private enum ChunkedMode {
    SIGNED(PayloadMode.STREAMING_SIGNED, true, false),
    SIGNED_TRAILER(PayloadMode.STREAMING_SIGNED_TRAILER, true, true),
    UNSIGNED_TRAILER(PayloadMode.STREAMING_UNSIGNED_TRAILER, false, true);

    final PayloadMode mode;
    final boolean signed;
    final boolean trailer;

    ChunkedMode(PayloadMode mode, boolean signed, boolean trailer) {
      this.mode = mode;
      this.signed = signed;
      this.trailer = trailer;
    }
  }

  private static void awsChunked(FuzzedDataProvider data) throws IOException {
    ChunkedMode mode = data.pickValue(ChunkedMode.values());
    byte[] payload = data.consumeBytes(data.consumeInt(0, 4096));
    SdkHttpFullRequest request = SdkHttpFullRequest.builder().method(SdkHttpMethod.PUT)
        .protocol(mode.signed ? "http" : "https").host("127.0.0.1").port(9000).encodedPath("/bucket/object")
        .putHeader("Content-Length", Integer.toString(payload.length)).build();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    SdkHttpRequest signed = sdkSign(request, payload, false, true, mode.signed,
        mode.trailer ? data.pickValue(List.of(DefaultChecksumAlgorithm.CRC32, DefaultChecksumAlgorithm.CRC32C,
            DefaultChecksumAlgorithm.SHA1, DefaultChecksumAlgorithm.SHA256)) : null, body);
    AuthResult auth;
    try {
      auth = VERIFIER.verify(head(signed));
    } catch (S3AuthException e) {
      throw new AssertionError("an SDK-signed " + mode + " PUT does not verify: " + e, e);
    }
    if (auth.mode() != mode.mode) {
      throw new AssertionError("the SDK signed " + mode.mode + ", the verifier read " + auth.mode());
    }
    byte[] raw = body.toByteArray();
    boolean untouched = false;
    switch (data.consumeInt(0, 3)) {
      case 0 -> untouched = true;
      case 1 -> { // one byte changed
        if (raw.length > 0) {
          raw[data.consumeInt(0, raw.length - 1)] ^= (byte) data.consumeInt(1, 255);
        }
      }
      case 2 -> { // fuzzed bytes spliced in at a place
        int at = data.consumeInt(0, raw.length);
        int cut = data.consumeInt(0, raw.length - at);
        byte[] splice = data.consumeBytes(data.consumeInt(0, 512));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(raw, 0, at);
        out.write(splice);
        out.write(raw, at + cut, raw.length - at - cut);
        raw = out.toByteArray();
      }
      default -> raw = data.consumeBytes(MAX_INPUT);
    }
    int maxRead = data.consumeInt(1, 9000);
    long seed = data.consumeLong();
    byte[] decoded;
    try (InputStream in = auth.verifiedBody(new ShortReads(raw, seed))) {
      decoded = drain(in, maxRead, seed);
    } catch (S3AuthException refused) {
      if (untouched) {
        throw new AssertionError("the SDK's " + mode + " body of " + payload.length + " bytes is refused: " + refused, refused);
      }
      return;
    }
    if (untouched && !Arrays.equals(decoded, payload)) {
      throw new AssertionError("the SDK's " + mode + " body decodes to other bytes");
    }
  }

  private static SdkHttpRequest sdkSign(SdkHttpRequest request, byte[] payload, boolean presigned, boolean chunked,
      boolean payloadSigning, software.amazon.awssdk.checksums.spi.ChecksumAlgorithm checksum) {
    return sdkSign(request, payload, presigned, chunked, payloadSigning, checksum, new ByteArrayOutputStream());
  }

  /** Signs as the S3 client sets the SDK's signer up (no double encoding, no path normalisation). */
  private static SdkHttpRequest sdkSign(SdkHttpRequest request, byte[] payload, boolean presigned, boolean chunked,
      boolean payloadSigning, software.amazon.awssdk.checksums.spi.ChecksumAlgorithm checksum, ByteArrayOutputStream body) {
    SignedRequest signed = SIGNER.sign(r -> {
      r.identity(AwsCredentialsIdentity.create(ACCESS_KEY, SECRET))
          .request(request)
          .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "s3")
          .putProperty(AwsV4HttpSigner.REGION_NAME, REGION)
          .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, false)
          .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, false)
          .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(NOW, ZoneOffset.UTC))
          .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, payloadSigning)
          .putProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, chunked);
      if (checksum != null) {
        r.putProperty(AwsV4FamilyHttpSigner.CHECKSUM_ALGORITHM, checksum);
      }
      if (presigned) {
        r.putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
            .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, Duration.ofHours(1));
      }
      if (payload != null) {
        r.payload(ContentStreamProvider.fromByteArray(payload));
      }
    });
    signed.payload().ifPresent(p -> {
      try (InputStream in = p.newStream()) {
        in.transferTo(body);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    return signed.request();
  }

  /** The request head the gateway's HTTP layer sees for {@code request} on the wire (Host added by the client). */
  private static RequestHead head(SdkHttpRequest request) {
    URI uri = request.getUri();
    Map<String, List<String>> headers = new LinkedHashMap<>(request.headers());
    if (headers.keySet().stream().noneMatch(h -> h.equalsIgnoreCase("host"))) {
      headers.put("Host", List.of(uri.getHost() + ":" + uri.getPort()));
    }
    return new RequestHead(request.method().name(), uri.getRawPath(), uri.getRawQuery(), headers);
  }

  /** Reads everything with reads of 1..maxRead bytes (from {@code seed}), as a server's body stream is read. */
  private static byte[] drain(InputStream in, int maxRead, long seed) throws IOException {
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[maxRead];
    while (true) {
      int n = in.read(buf, 0, 1 + random.nextInt(maxRead));
      if (n < 0) {
        return out.toByteArray();
      }
      if (n == 0) {
        throw new AssertionError("read returned 0 for a non-empty buffer");
      }
      out.write(buf, 0, n);
    }
  }

  /** A body that arrives in pieces of random size, as it does from a socket. */
  private static final class ShortReads extends ByteArrayInputStream {
    private final java.util.SplittableRandom random;

    ShortReads(byte[] bytes, long seed) {
      super(bytes);
      random = new java.util.SplittableRandom(~seed);
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
      return super.read(b, off, len == 0 ? 0 : 1 + random.nextInt(Math.min(len, 1500)));
    }
  }

  // ---- S3 request parsing ----------------------------------------------------------------------

  private static void s3Xml(Runnable parse) {
    try {
      parse.run();
    } catch (S3Exception refused) {
      // MalformedXML, InvalidArgument or InvalidPartOrder
    }
  }

  private static void s3Request(FuzzedDataProvider data) {
    String method = data.consumeBoolean() ? data.pickValue(METHODS) : data.consumeString(10);
    String rawPath = data.consumeString(1200);
    String rawQuery = data.consumeString(600);
    String host = data.consumeBoolean() ? null : data.consumeString(100);
    Map<String, String> headers = new LinkedHashMap<>();
    if (data.consumeBoolean()) {
      headers.put(S3Request.COPY_SOURCE, data.consumeString(400));
    }
    if (data.consumeBoolean()) {
      headers.put(S3Request.COPY_SOURCE_RANGE, data.consumeString(60));
    }
    try {
      new S3Request(method, rawPath, rawQuery, host, name -> headers.get(name.toLowerCase(java.util.Locale.ROOT)))
          .parse(ADDRESSING);
    } catch (S3Exception refused) {
      // MethodNotAllowed, InvalidURI, InvalidBucketName, KeyTooLongError, InvalidArgument, ...
    }
  }

  // ---- HTTP Range, IPFS gateway path -----------------------------------------------------------

  private static void byteRange(FuzzedDataProvider data) {
    long size = data.consumeBoolean() ? data.consumeLong(0, Long.MAX_VALUE) : data.consumeLong(0, 1 << 20);
    String header = data.consumeRemainingAsString();
    Optional<ByteRange> range;
    try {
      range = ByteRange.parse(header, size);
    } catch (ByteRange.Unsatisfiable refused) {
      return;
    }
    if (range.isPresent()) {
      ByteRange r = range.get();
      if (r.first() < 0 || r.first() > r.last() || r.last() >= size || r.length() <= 0 || r.length() > size) {
        throw new AssertionError("range " + r + " of '" + header + "' is not within " + size + " bytes");
      }
    }
  }

  private static void gatewayPath(FuzzedDataProvider data) throws Throwable {
    String format = data.consumeBoolean() ? null : data.consumeString(10);
    String accept = data.consumeBoolean() ? null : data.consumeString(60);
    String path = (data.consumeBoolean() ? "/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy" : "")
        + data.consumeRemainingAsString();
    try {
      GATEWAY_REQUEST_PARSE.invoke(path, format, accept);
    } catch (Exception e) {
      if (!BAD_REQUEST.isInstance(e)) {
        throw e;
      }
    }
  }

  // ---- OpenAI ----------------------------------------------------------------------------------

  private static void openAi(Runnable parse) {
    try {
      parse.run();
    } catch (OpenAiException refused) {
      if (refused.error() != OpenAiError.INVALID_REQUEST) {
        throw new AssertionError("a request body refused with " + refused.error() + ", not a 400: " + refused.getMessage(), refused);
      }
    }
  }
}
