package io.canopy.gateway.s3.auth;

import static io.canopy.gateway.s3.auth.AuthAssertions.assertAuthError;
import static io.canopy.gateway.s3.auth.AuthAssertions.readVerified;
import static io.canopy.gateway.s3.auth.SdkSigning.NOW;
import static io.canopy.gateway.s3.auth.SdkSigning.STORE;
import static io.canopy.gateway.s3.auth.SdkSigning.request;
import static io.canopy.gateway.s3.auth.SdkSigning.sign;
import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.testing.RandomInputs;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/** Requests signed in the Authorization header by the AWS SDK's signer, then tampered with. */
class SigV4HeaderAuthTest {
  private static final byte[] BODY = "the object's bytes\n".repeat(100).getBytes(StandardCharsets.UTF_8);

  static SigV4Verifier verifierAt(Instant now) {
    return new SigV4Verifier(STORE, S3AuthConfig.builder().clock(Clock.fixed(now, ZoneOffset.UTC)).build());
  }

  static SigV4Verifier verifier() {
    return verifierAt(NOW);
  }

  /** A PUT with a query, metadata with odd whitespace, a repeated header, an awkward key. */
  private static SdkSigning.Signed signedPut() {
    return sign(putRequest(), BODY, p -> {});
  }

  private static software.amazon.awssdk.http.SdkHttpFullRequest putRequest() {
    return request(SdkHttpMethod.PUT, "/bucket/" + SdkHttpUtils.urlEncodeIgnoreSlashes("dir/a b+c=d&é!*'()~.txt"))
            .putRawQueryParameter("partNumber", "7")
            .putRawQueryParameter("uploadId", "a/b+c==")
            .putHeader("x-amz-meta-note", "  spaced   out\tvalue  ")
            .putHeader("x-amz-meta-list", List.of("one", "two  three"))
        .putHeader("Content-Type", "text/plain")
        .build();
  }

  @Test
  void signedPayloadIsAcceptedAndItsBodyChecked() throws Exception {
    SdkSigning.Signed put = signedPut();
    AuthResult result = verifier().verify(put.head());
    assertThat(result.credential()).isEqualTo(SdkSigning.CREDENTIAL);
    assertThat(result.account()).isEqualTo("alice");
    assertThat(result.mode()).isEqualTo(PayloadMode.SIGNED_PAYLOAD);
    assertThat(result.declaredSha256()).isEqualTo(SigV4.sha256Hex(BODY));
    assertThat(readVerified(result, BODY)).isEqualTo(BODY);

    byte[] changed = BODY.clone();
    changed[BODY.length - 1] ^= 0x01;
    S3AuthException mismatch = assertAuthError(S3AuthException.X_AMZ_CONTENT_SHA256_MISMATCH,
        () -> readVerified(result, changed));
    assertThat(mismatch.details()).containsEntry("ClientComputedContentSHA256", SigV4.sha256Hex(BODY));
    byte[] shorter = java.util.Arrays.copyOf(BODY, BODY.length - 1);
    assertAuthError(S3AuthException.INCOMPLETE_BODY, () -> AuthAssertions.drain(
        result.verifiedBody(new ByteArrayInputStream(shorter), BODY.length), 100));
    // Without a length the short body is still caught by its hash.
    assertAuthError(S3AuthException.X_AMZ_CONTENT_SHA256_MISMATCH, () -> AuthAssertions.drain(
        result.verifiedBody(new ByteArrayInputStream(shorter)), 1));
  }

  @Test
  void everySignedPartOfTheRequestIsCovered() throws Exception {
    SdkSigning.Signed put = signedPut();
    RequestHead h = put.head();
    String sdm = S3AuthException.SIGNATURE_DOES_NOT_MATCH;
    assertAuthError(sdm, () -> verifier().verify(put.withHead("POST", h.rawPath(), h.rawQuery()).head()));
    assertAuthError(sdm, () -> verifier().verify(put.withHead("PUT", h.rawPath() + "x", h.rawQuery()).head()));
    assertAuthError(sdm, () -> verifier().verify(
        put.withHead("PUT", h.rawPath(), h.rawQuery().replace("partNumber=7", "partNumber=8")).head()));
    assertAuthError(sdm, () -> verifier().verify(put.withHead("PUT", h.rawPath(), h.rawQuery() + "&acl").head()));
    assertAuthError(sdm, () -> verifier().verify(
        put.withHead("PUT", h.rawPath(), h.rawQuery().replaceAll("&?partNumber=7", "")).head()));
    assertAuthError(sdm, () -> verifier().verify(put.withHeader("x-amz-meta-note", "other").head()));
    assertAuthError(sdm, () -> verifier().verify(put.withHeader("content-type", "text/html").head()));
    assertAuthError(sdm, () -> verifier().verify(put.withHeader("host", "127.0.0.1:9001").head()));
    assertAuthError(sdm, () -> verifier().verify(
        put.withHeader("x-amz-content-sha256", SigV4.sha256Hex(new byte[] {1})).head()));
    // A later time inside the allowed skew still breaks the signature.
    assertAuthError(sdm, () -> verifier().verify(put.withHeader("x-amz-date", "20260314T150927Z").head()));
    String authorization = h.header("authorization");
    String signature = authorization.substring(authorization.length() - 64);
    String otherSignature = (signature.charAt(0) == '0' ? "1" : "0") + signature.substring(1);
    assertAuthError(sdm, () -> verifier().verify(put.withHeader("authorization",
        authorization.replace(signature, otherSignature)).head()));
    // Unsigned headers that are not x-amz-* may be added or changed.
    verifier().verify(put.withHeader("User-Agent", "anything").head());
  }

  @Test
  void keysAndScope() throws Exception {
    SdkSigning.Signed wrongSecret = sign(putRequest(), BODY,
        p -> p.identity(AwsCredentialsIdentity.create(SdkSigning.ACCESS_KEY, SdkSigning.SECRET + "x")));
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> verifier().verify(wrongSecret.head()));

    SdkSigning.Signed unknownKey = sign(putRequest(), BODY,
        p -> p.identity(AwsCredentialsIdentity.create("AKIANOBODY", SdkSigning.SECRET)));
    S3AuthException e = assertAuthError(S3AuthException.INVALID_ACCESS_KEY_ID,
        () -> verifier().verify(unknownKey.head()));
    assertThat(e.details()).containsEntry("AWSAccessKeyId", "AKIANOBODY");

    SdkSigning.Signed euWest = sign(putRequest(), BODY, p -> p.region("eu-west-1"));
    verifier().verify(euWest.head()); // no regions configured: any region
    SigV4Verifier usEastOnly = new SigV4Verifier(STORE, S3AuthConfig.builder()
        .clock(Clock.fixed(NOW, ZoneOffset.UTC)).regions(Set.of("us-east-1")).build());
    usEastOnly.verify(signedPut().head());
    assertAuthError(S3AuthException.AUTHORIZATION_HEADER_MALFORMED, () -> usEastOnly.verify(euWest.head()));

    // The scope's date must be the request's date.
    SdkSigning.Signed put = signedPut();
    String authorization = put.head().header("authorization");
    assertAuthError(S3AuthException.AUTHORIZATION_HEADER_MALFORMED, () -> verifier().verify(
        put.withHeader("authorization", authorization.replace("/20260314/", "/20260315/")).head()));
    assertAuthError(S3AuthException.AUTHORIZATION_HEADER_MALFORMED, () -> verifier().verify(
        put.withHeader("authorization", authorization.replace("/s3/", "/ec2/")).head()));
    assertAuthError(S3AuthException.AUTHORIZATION_HEADER_MALFORMED, () -> verifier().verify(
        put.withHeader("authorization", authorization.replace(";host;", ";")).head()));
    assertAuthError(S3AuthException.AUTHORIZATION_HEADER_MALFORMED, () -> verifier().verify(
        put.withHeader("authorization", authorization.replaceAll(", Signature=[0-9a-f]+", "")).head()));
    assertAuthError(S3AuthException.INVALID_REQUEST, () -> verifier().verify(
        put.withHeader("authorization", "AWS " + SdkSigning.ACCESS_KEY + ":c2lnbmF0dXJl").head()));
  }

  @Test
  void clockSkew() throws Exception {
    RequestHead head = signedPut().head();
    verifierAt(NOW.plus(Duration.ofMinutes(15))).verify(head);
    verifierAt(NOW.minus(Duration.ofMinutes(15))).verify(head);
    S3AuthException late = assertAuthError(S3AuthException.REQUEST_TIME_TOO_SKEWED,
        () -> verifierAt(NOW.plus(Duration.ofMinutes(15)).plusSeconds(1)).verify(head));
    assertThat(late.details()).containsEntry("RequestTime", "20260314T150926Z");
    assertAuthError(S3AuthException.REQUEST_TIME_TOO_SKEWED,
        () -> verifierAt(NOW.minus(Duration.ofMinutes(16))).verify(head));
    SigV4Verifier strict = new SigV4Verifier(STORE, S3AuthConfig.builder()
        .clock(Clock.fixed(NOW.plusSeconds(61), ZoneOffset.UTC)).maxClockSkew(Duration.ofMinutes(1)).build());
    assertAuthError(S3AuthException.REQUEST_TIME_TOO_SKEWED, () -> strict.verify(head));
    assertAuthError(S3AuthException.ACCESS_DENIED,
        () -> verifier().verify(signedPut().withHeader("x-amz-date", "2026-03-14T15:09:26Z").head()));
  }

  @Test
  void headerRules() throws Exception {
    SdkSigning.Signed put = signedPut();
    // An x-amz-* header nobody signed could change what the request does.
    S3AuthException unsigned = assertAuthError(S3AuthException.ACCESS_DENIED,
        () -> verifier().verify(put.withHeader("x-amz-copy-source", "/other/secret").head()));
    assertThat(unsigned.details()).containsEntry("HeadersNotSigned", "x-amz-copy-source");
    assertAuthError(S3AuthException.INVALID_REQUEST,
        () -> verifier().verify(put.withHeader("x-amz-content-sha256", null).head()));
    assertAuthError(S3AuthException.ACCESS_DENIED,
        () -> verifier().verify(put.withHeader("authorization", null).head()));
    // Header names arrive in any case.
    Map<String, List<String>> upper = new LinkedHashMap<>();
    put.head().headers().forEach((name, values) -> upper.put(name.toUpperCase(), values));
    verifier().verify(new RequestHead("PUT", put.head().rawPath(), put.head().rawQuery(), upper));
    // As name/value pairs, as an HTTP server hands them out.
    List<Map.Entry<String, String>> pairs = new ArrayList<>();
    put.head().headers().forEach((name, values) -> values.forEach(v -> pairs.add(Map.entry(name, v))));
    verifier().verify(RequestHead.of("PUT", put.head().rawPath(), put.head().rawQuery(), pairs));
  }

  @Test
  void unsignedPayloadPassesTheBodyThrough() throws Exception {
    SdkSigning.Signed put = sign(request(SdkHttpMethod.PUT, "/bucket/key").protocol("https").build(), BODY,
        p -> p.payloadSigning(false));
    assertThat(put.head().header("x-amz-content-sha256")).isEqualTo("UNSIGNED-PAYLOAD");
    AuthResult result = verifier().verify(put.head());
    assertThat(result.mode()).isEqualTo(PayloadMode.UNSIGNED_PAYLOAD);
    assertThat(result.declaredSha256()).isNull();
    assertThat(readVerified(result, BODY)).isEqualTo(BODY);
    // The literal UNSIGNED-PAYLOAD is signed too: claiming a hash instead breaks the signature.
    assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
        () -> verifier().verify(put.withHeader("x-amz-content-sha256", SigV4.sha256Hex(BODY)).head()));
  }

  /**
   * Any key, any metadata value with any whitespace, any query: what the SDK signs, the verifier
   * accepts; and one changed character of the path, the query or the metadata is refused.
   */
  @Test
  void randomRequestsSignedByTheSdkVerifyAndTamperingFails() {
    String valueChars = " \tabcXYZ019-_.~!*'();:@&=+$,/?#[]%\"<>{}|\\^`";
    RandomInputs.forAll(0x5167_4a11L, 300, List.of(), random -> {
      String key = RandomInputs.bmpString(random, 40).replace("\u0000", "");
      if (key.isEmpty()) {
        key = "k";
      }
      String meta = RandomInputs.stringOf(random, 30, valueChars);
      String prefix = RandomInputs.stringOf(random, 20, valueChars + "é漢");
      return new String[] {key, meta, prefix, Integer.toString(random.nextInt(1 << 20))};
    }, input -> RandomInputs.describe(String.join(" | ", input)), input -> {
      SdkSigning.Signed signed = sign(
          request(SdkHttpMethod.GET, "/bucket/" + SdkHttpUtils.urlEncodeIgnoreSlashes(input[0]))
              .putRawQueryParameter("prefix", input[2])
              .putRawQueryParameter("max-keys", input[3])
              .putRawQueryParameter("list-type", "2")
              .putHeader("x-amz-meta-v", input[1])
              .build(),
          null, p -> {});
      verifier().verify(signed.head());
      SplittableRandom random = new SplittableRandom(input[0].hashCode());
      RequestHead h = signed.head();
      String changedPath = h.rawPath() + (random.nextBoolean() ? "x" : "%20");
      assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
          () -> verifier().verify(signed.withHead("GET", changedPath, h.rawQuery()).head()));
      assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH, () -> verifier().verify(
          signed.withHead("GET", h.rawPath(), h.rawQuery().replace("max-keys=" + input[3],
              "max-keys=" + (Integer.parseInt(input[3]) + 1 + random.nextInt(9)))).head()));
      String changedMeta = input[1].trim().isEmpty() ? "x" : input[1].trim() + "x";
      assertAuthError(S3AuthException.SIGNATURE_DOES_NOT_MATCH,
          () -> verifier().verify(signed.withHeader("x-amz-meta-v", changedMeta).head()));
    });
  }
}
