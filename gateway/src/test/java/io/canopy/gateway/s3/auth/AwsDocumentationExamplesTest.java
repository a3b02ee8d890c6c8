package io.canopy.gateway.s3.auth;

import static io.canopy.gateway.s3.auth.AuthAssertions.assertAuthError;
import static io.canopy.gateway.s3.auth.AuthAssertions.drain;
import static io.canopy.gateway.s3.auth.AuthAssertions.readVerified;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The worked examples of the Amazon S3 API Reference, replayed against the verifier: "Signature
 * Calculations for the Authorization Header" (GET Object with Range, PUT Object, GET Bucket
 * Lifecycle, Get Bucket (List Objects)), "Authenticating Requests: Using Query Parameters" (the
 * presigned GET), "Chunked Upload" (PUT Object in 64 KiB + 1 KiB chunks) and "Trailing headers"
 * (the same with a CRC32C trailer). All sign with the documentation's example key at
 * 2013-05-24T00:00:00Z.
 */
class AwsDocumentationExamplesTest {
  private static final String AKID = "AKIAIOSFODNN7EXAMPLE";
  private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  private static final Credential DOC_KEY = new Credential(AKID, SECRET, "docs");
  private static final Instant SIGNED_AT = Instant.parse("2013-05-24T00:00:00Z");
  private static final String EMPTY = SigV4.EMPTY_SHA256;
  private static final String SCOPE = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,";

  private static SigV4Verifier verifierAt(Instant now) {
    return new SigV4Verifier(id -> id.equals(AKID) ? Optional.of(DOC_KEY) : Optional.empty(),
        S3AuthConfig.builder().clock(Clock.fixed(now, ZoneOffset.UTC)).regions(java.util.Set.of("us-east-1")).build());
  }

  private static RequestHead head(String method, String path, String query, String... headers) {
    Map<String, List<String>> map = new LinkedHashMap<>();
    for (int i = 0; i < headers.length; i += 2) {
      map.put(headers[i], List.of(headers[i + 1]));
    }
    return new RequestHead(method, path, query, map);
  }

  @Test
  void getObjectWithRange() throws Exception {
    RequestHead request = head("GET", "/test.txt", "",
        "Host", "examplebucket.s3.amazonaws.com",
        "Range", "bytes=0-9",
        "x-amz-content-sha256", EMPTY,
        "x-amz-date", "20130524T000000Z",
        "Authorization", SCOPE + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    AuthResult result = verifierAt(SIGNED_AT).verify(request);
    assertThat(result.credential()).isEqualTo(DOC_KEY);
    assertThat(result.mode()).isEqualTo(PayloadMode.SIGNED_PAYLOAD);
    assertThat(result.declaredSha256()).isEqualTo(EMPTY);
    assertThat(readVerified(result, new byte[0])).isEmpty();
    assertAuthError(S3AuthException.X_AMZ_CONTENT_SHA256_MISMATCH, () -> readVerified(result, new byte[] {0}));

    // The signed Range cannot be widened.
    Map<String, List<String>> headers = new LinkedHashMap<>(request.headers());
    headers.put("range", List.of("bytes=0-99"));
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> verifierAt(SIGNED_AT)
        .verify(new RequestHead("GET", "/test.txt", "", headers)));
  }

  @Test
  void putObjectWithDateHeaderAndStorageClass() throws Exception {
    byte[] body = "Welcome to Amazon S3.".getBytes(StandardCharsets.UTF_8);
    String bodyHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    assertThat(SigV4.sha256Hex(body)).isEqualTo(bodyHash);
    RequestHead request = head("PUT", "/test%24file.text", "",
        "Host", "examplebucket.s3.amazonaws.com",
        "Date", "Fri, 24 May 2013 00:00:00 GMT",
        "x-amz-date", "20130524T000000Z",
        "x-amz-storage-class", "REDUCED_REDUNDANCY",
        "x-amz-content-sha256", bodyHash,
        "Authorization", SCOPE + "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
            + "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    AuthResult result = verifierAt(SIGNED_AT).verify(request);
    assertThat(readVerified(result, body)).isEqualTo(body);
    byte[] tampered = body.clone();
    tampered[0] ^= 1;
    assertAuthError(S3AuthException.X_AMZ_CONTENT_SHA256_MISMATCH, () -> readVerified(result, tampered));
    // '$' left unencoded on the wire is the same path: S3 canonicalises the decoded key.
    verifierAt(SIGNED_AT).verify(new RequestHead("PUT", "/test$file.text", "", request.headers()));
  }

  @Test
  void getBucketLifecycle() throws Exception {
    RequestHead request = head("GET", "/", "lifecycle",
        "Host", "examplebucket.s3.amazonaws.com",
        "x-amz-date", "20130524T000000Z",
        "x-amz-content-sha256", EMPTY,
        "Authorization", SCOPE + "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            + "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    verifierAt(SIGNED_AT).verify(request);
    // A sub-resource cannot be swapped for another one under the same signature.
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
        () -> verifierAt(SIGNED_AT).verify(new RequestHead("GET", "/", "acl", request.headers())));
  }

  @Test
  void listObjectsWithQueryParametersInAnyOrder() throws Exception {
    Map<String, List<String>> headers = head("GET", "/", "",
        "Host", "examplebucket.s3.amazonaws.com",
        "x-amz-date", "20130524T000000Z",
        "x-amz-content-sha256", EMPTY,
        "Authorization", SCOPE + "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            + "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7").headers();
    verifierAt(SIGNED_AT).verify(new RequestHead("GET", "/", "max-keys=2&prefix=J", headers));
    verifierAt(SIGNED_AT).verify(new RequestHead("GET", "/", "prefix=J&max-keys=2", headers));
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
        () -> verifierAt(SIGNED_AT).verify(new RequestHead("GET", "/", "max-keys=3&prefix=J", headers)));
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
        () -> verifierAt(SIGNED_AT).verify(new RequestHead("GET", "/", "max-keys=2&prefix=J&delimiter=%2F", headers)));
  }

  @Test
  void presignedGetObjectUntilItExpires() throws Exception {
    String query = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
        + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
    RequestHead request = head("GET", "/test.txt", query, "Host", "examplebucket.s3.amazonaws.com");
    AuthResult result = verifierAt(Instant.parse("2013-05-24T23:59:59Z")).verify(request);
    assertThat(result.mode()).isEqualTo(PayloadMode.UNSIGNED_PAYLOAD);
    verifierAt(Instant.parse("2013-05-25T00:00:00Z")).verify(request);
    S3AuthException expired = assertAuthError(S3AuthException.ACCESS_DENIED,
        () -> verifierAt(Instant.parse("2013-05-25T00:00:01Z")).verify(request));
    assertThat(expired.getMessage()).isEqualTo("Request has expired");
    // Stretching the expiry breaks the signature.
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> verifierAt(SIGNED_AT).verify(
        head("GET", "/test.txt", query.replace("Expires=86400", "Expires=86401"),
            "Host", "examplebucket.s3.amazonaws.com")));
  }

  // ---- chunked upload ---------------------------------------------------------------------

  private static byte[] chunked(String[] signatures, String trailer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] a64k = new byte[65536];
    Arrays.fill(a64k, (byte) 'a');
    out.writeBytes(("10000;chunk-signature=" + signatures[0] + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(a64k);
    out.writeBytes(("\r\n400;chunk-signature=" + signatures[1] + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(a64k, 0, 1024);
    out.writeBytes(("\r\n0;chunk-signature=" + signatures[2] + "\r\n" + trailer + "\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private static final String[] CHUNK_SIGNATURES = {
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
  };

  @Test
  void chunkedUploadFromSeedSignatureToFinalChunk() throws Exception {
    RequestHead request = head("PUT", "/examplebucket/chunkObject.txt", "",
        "Host", "s3.amazonaws.com",
        "x-amz-date", "20130524T000000Z",
        "x-amz-storage-class", "REDUCED_REDUNDANCY",
        "x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "Content-Encoding", "aws-chunked",
        "x-amz-decoded-content-length", "66560",
        "Content-Length", "66824",
        "Authorization", SCOPE + "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;"
            + "x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"
            + "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    AuthResult result = verifierAt(SIGNED_AT).verify(request);
    assertThat(result.mode()).isEqualTo(PayloadMode.STREAMING_SIGNED);
    byte[] body = chunked(CHUNK_SIGNATURES, "");
    assertThat(body).hasSize(66824);
    byte[] data = readVerified(result, body);
    assertThat(data).hasSize(66560).containsOnly((byte) 'a');

    // One changed data byte fails that chunk's signature before the stream ends.
    byte[] tampered = body.clone();
    tampered[40_000] = (byte) 'b';
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> readVerified(result, tampered));
    // Dropping the final chunk is an incomplete body, not a complete one.
    byte[] truncated = Arrays.copyOf(body, body.length - 86);
    assertAuthError(S3AuthException.INCOMPLETE_BODY, () -> readVerified(result, truncated));
  }

  @Test
  void chunkedUploadWithSignedCrc32cTrailer() throws Exception {
    String seedSignature = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    String[] signatures = {
      "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
      "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
      "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    };
    String trailer = "x-amz-checksum-crc32c:sOO8/Q==\r\n"
        + "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n";
    StreamingPayload payload = new StreamingPayload(PayloadMode.STREAMING_SIGNED_TRAILER, 66560,
        ChecksumAlgorithm.CRC32C,
        new StreamingPayload.ChunkSigningSeed(SigV4.signingKey(SECRET, "20130524", "us-east-1", "s3"),
            "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", seedSignature),
        4096, 16384);
    StreamingPayloadDecoder decoder = payload.decoder(new ByteArrayInputStream(chunked(signatures, trailer)));
    assertThat(drain(decoder, 1000)).hasSize(66560).containsOnly((byte) 'a');
    assertThat(decoder.verifiedTrailingChecksum()).isEqualTo("sOO8/Q==");

    String forgedChecksum = trailer.replace("sOO8/Q==", "AAAAAA==");
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
        () -> drain(payload.decoder(new ByteArrayInputStream(chunked(signatures, forgedChecksum))), 1000));
  }
}
