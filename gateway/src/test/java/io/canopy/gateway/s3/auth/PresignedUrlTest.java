package io.canopy.gateway.s3.auth;

import static io.canopy.gateway.s3.auth.AuthAssertions.assertAuthError;
import static io.canopy.gateway.s3.auth.AuthAssertions.readVerified;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** URLs presigned by the SDK's {@link S3Presigner}: valid until they expire, and not widenable. */
class PresignedUrlTest {
  private static S3Presigner presigner;

  @BeforeAll
  static void start() {
    presigner = S3Presigner.builder()
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(SdkSigning.ACCESS_KEY, SdkSigning.SECRET)))
        .endpointOverride(URI.create("http://127.0.0.1:9000"))
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build())
        .build();
  }

  @AfterAll
  static void stop() {
    presigner.close();
  }

  /** The time the URL was signed at, from its X-Amz-Date. */
  private static Instant signedAt(RequestHead head) {
    String date = head.rawQuery().replaceAll(".*X-Amz-Date=([0-9TZ]+).*", "$1");
    return LocalDateTime.parse(date, DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'")).toInstant(ZoneOffset.UTC);
  }

  private static SigV4Verifier verifierAt(Instant now) {
    return new SigV4Verifier(SdkSigning.STORE, S3AuthConfig.builder().clock(Clock.fixed(now, ZoneOffset.UTC)).build());
  }

  private static RequestHead get(Duration validFor) {
    SdkHttpRequest request = presigner.presignGetObject(r -> r.signatureDuration(validFor)
        .getObjectRequest(g -> g.bucket("photos").key("2026/März & more/a+b.jpg")
            .responseContentDisposition("attachment; filename=\"a b.jpg\"")))
        .httpRequest();
    return SdkSigning.head(request);
  }

  private static RequestHead with(RequestHead head, String method, String path, String query) {
    return new RequestHead(method, path, query, head.headers());
  }

  private static RequestHead withHeader(RequestHead head, String name, String value) {
    Map<String, List<String>> headers = new LinkedHashMap<>(head.headers());
    headers.put(name, List.of(value));
    return new RequestHead(head.method(), head.rawPath(), head.rawQuery(), headers);
  }

  @Test
  void presignedGetIsValidUntilItExpires() throws Exception {
    RequestHead head = get(Duration.ofMinutes(10));
    assertThat(head.rawQuery()).contains("X-Amz-Expires=600").contains("X-Amz-SignedHeaders=host");
    Instant t = signedAt(head);
    AuthResult result = verifierAt(t.plus(Duration.ofMinutes(5))).verify(head);
    assertThat(result.mode()).isEqualTo(PayloadMode.UNSIGNED_PAYLOAD);
    assertThat(result.account()).isEqualTo(SdkSigning.ACCOUNT);
    verifierAt(t.plus(Duration.ofMinutes(10))).verify(head);
    S3AuthException expired = assertAuthError(S3AuthException.ACCESS_DENIED,
        () -> verifierAt(t.plus(Duration.ofMinutes(10)).plusSeconds(1)).verify(head));
    assertThat(expired.getMessage()).isEqualTo("Request has expired");
    // Used (a little) before it was signed: a clock skew is allowed, not more.
    verifierAt(t.minus(Duration.ofMinutes(14))).verify(head);
    assertAuthError(S3AuthException.ACCESS_DENIED, () -> verifierAt(t.minus(Duration.ofMinutes(16))).verify(head));
  }

  @Test
  void aPresignedUrlCannotBeWidened() throws Exception {
    RequestHead head = get(Duration.ofHours(1));
    SigV4Verifier verifier = verifierAt(signedAt(head).plusSeconds(30));
    verifier.verify(head);
    String sdm = S3AuthException.SIGNATURE_DOES_NOT_MATCH;
    String path = head.rawPath();
    String query = head.rawQuery();
    assertAuthError(sdm, () -> verifier.verify(with(head, "PUT", path, query)));
    assertAuthError(sdm, () -> verifier.verify(with(head, "DELETE", path, query)));
    assertAuthError(sdm, () -> verifier.verify(with(head, "GET", path.replace("a%2Bb", "c"), query)));
    assertAuthError(sdm, () -> verifier.verify(with(head, "GET", "/photos/other.jpg", query)));
    assertAuthError(sdm, () -> verifier.verify(with(head, "GET", path, query + "&versionId=3")));
    assertAuthError(sdm, () -> verifier.verify(with(head, "GET", path, query + "&acl")));
    assertAuthError(sdm, () -> verifier.verify(with(head, "GET", path,
        query.replaceAll("response-content-disposition=[^&]*&?", ""))));
    assertAuthError(sdm, () -> verifier.verify(with(head, "GET", path,
        query.replace("X-Amz-Expires=3600", "X-Amz-Expires=604800"))));
    DateTimeFormatter amzDate = DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    String laterDate = amzDate.format(signedAt(head).plusSeconds(5));
    assertThat(laterDate).startsWith(amzDate.format(signedAt(head)).substring(0, 8)); // same scope date
    assertAuthError(sdm, () -> verifier.verify(with(head, "GET", path,
        query.replaceAll("X-Amz-Date=[0-9TZ]+", "X-Amz-Date=" + laterDate))));
    assertAuthError(sdm, () -> verifier.verify(withHeader(head, "host", "evil.example:9000")));
    String signature = query.replaceAll(".*X-Amz-Signature=([0-9a-f]+).*", "$1");
    assertAuthError(sdm, () -> verifier.verify(with(head, "GET", path,
        query.replace(signature, new StringBuilder(signature).reverse()))));
    assertAuthError(S3AuthException.INVALID_ACCESS_KEY_ID, () -> verifier.verify(with(head, "GET", path,
        query.replace(SdkSigning.ACCESS_KEY, "AKIAOTHERKEY00000000"))));
    // Unsigned x-amz-* headers would change the operation (a copy, an ACL): refused.
    assertAuthError(S3AuthException.ACCESS_DENIED,
        () -> verifier.verify(withHeader(head, "x-amz-copy-source", "/private/object")));
    // Ordinary unsigned headers (a Range, a conditional) are the client's to add, as on S3.
    verifier.verify(withHeader(head, "range", "bytes=0-99"));
  }

  @Test
  void presignedQueryParameterRules() throws Exception {
    RequestHead head = get(Duration.ofHours(1));
    SigV4Verifier verifier = verifierAt(signedAt(head).plusSeconds(30));
    String q = head.rawQuery();
    String error = S3AuthException.AUTHORIZATION_QUERY_PARAMETERS_ERROR;
    // Checked before the signature: more than seven days is refused whatever it signs.
    assertAuthError(error, () -> verifier.verify(with(head, "GET", head.rawPath(),
        q.replace("X-Amz-Expires=3600", "X-Amz-Expires=604801"))));
    assertAuthError(error, () -> verifier.verify(with(head, "GET", head.rawPath(),
        q.replace("X-Amz-Expires=3600", "X-Amz-Expires=-1"))));
    assertAuthError(error, () -> verifier.verify(with(head, "GET", head.rawPath(),
        q.replace("X-Amz-Expires=3600", "X-Amz-Expires=soon"))));
    assertAuthError(error, () -> verifier.verify(with(head, "GET", head.rawPath(),
        q.replaceAll("&?X-Amz-SignedHeaders=host", ""))));
    assertAuthError(error, () -> verifier.verify(with(head, "GET", head.rawPath(), q + "&X-Amz-Expires=60")));
    assertAuthError(error, () -> verifier.verify(with(head, "GET", head.rawPath(),
        q.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"))));
    assertAuthError(error, () -> verifier.verify(with(head, "GET", head.rawPath(),
        q.replace("%2Fs3%2F", "%2Fsqs%2F"))));
    assertAuthError(S3AuthException.INVALID_ARGUMENT, () -> verifier.verify(
        withHeader(head, "authorization", "AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature=0")));
  }

  @Test
  void presignedPutBindsItsSignedContentType() throws Exception {
    var presigned = presigner.presignPutObject(r -> r.signatureDuration(Duration.ofMinutes(15))
        .putObjectRequest(p -> p.bucket("uploads").key("incoming/report.csv").contentType("text/csv")));
    RequestHead head = SdkSigning.head(presigned.httpRequest());
    assertThat(head.method()).isEqualTo("PUT");
    assertThat(presigned.signedHeaders()).containsKey("content-type");
    SigV4Verifier verifier = verifierAt(signedAt(head).plus(Duration.ofMinutes(1)));
    AuthResult result = verifier.verify(head);
    byte[] body = "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8);
    assertThat(readVerified(result, body)).isEqualTo(body);
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
        () -> verifier.verify(withHeader(head, "content-type", "text/html")));
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> verifier.verify(with(head, "GET",
        head.rawPath(), head.rawQuery())));
    assertAuthError(S3AuthException.ACCESS_DENIED,
        () -> verifierAt(signedAt(head).plus(Duration.ofMinutes(16))).verify(head));
    // A client may declare the body's hash in a header; it is then checked.
    AuthResult declared = verifier.verify(withHeader(head, "x-amz-content-sha256", SigV4.sha256Hex(body)));
    assertThat(declared.mode()).isEqualTo(PayloadMode.SIGNED_PAYLOAD);
    assertAuthError(S3AuthException.X_AMZ_CONTENT_SHA256_MISMATCH,
        () -> readVerified(declared, "a,b\n1,3\n".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void presignedWithTheSignerAtAFixedTime() throws Exception {
    SdkSigning.Signed signed = SdkSigning.sign(
        SdkSigning.request(SdkHttpMethod.GET, "/bucket/key").putRawQueryParameter("uploadId", "x/y").build(),
        null, p -> p.presignFor(Duration.ofDays(7)).payloadSigning(false));
    verifierAt(SdkSigning.NOW.plus(Duration.ofDays(7))).verify(signed.head());
    assertAuthError(S3AuthException.ACCESS_DENIED,
        () -> verifierAt(SdkSigning.NOW.plus(Duration.ofDays(7)).plusSeconds(1)).verify(signed.head()));
  }
}
