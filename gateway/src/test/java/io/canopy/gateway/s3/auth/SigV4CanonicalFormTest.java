package io.canopy.gateway.s3.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The canonical forms on their own (S3 API Reference, "Canonical request"). */
class SigV4CanonicalFormTest {
  @Test
  void pathIsEncodedOnceWithSlashesKept() {
    assertThat(SigV4.canonicalUri("")).isEqualTo("/");
    assertThat(SigV4.canonicalUri("/")).isEqualTo("/");
    // Not normalised, not double-encoded: "%2F" stays one encoded slash's worth of bytes.
    assertThat(SigV4.canonicalUri("/b/a%20b/../c//d")).isEqualTo("/b/a%20b/../c//d");
    assertThat(SigV4.canonicalUri("/b/%7e%2a!'()$")).isEqualTo("/b/~%2A%21%27%28%29%24");
    assertThat(SigV4.canonicalUri("/b/a+b")).isEqualTo("/b/a%2Bb");
    assertThat(SigV4.canonicalUri("/b/%e6%bc%a2")).isEqualTo("/b/%E6%BC%A2");
    assertThat(SigV4.canonicalUri("/b/漢")).isEqualTo("/b/%E6%BC%A2");
    assertThat(SigV4.canonicalUri("/b/100%")).isEqualTo("/b/100%25");
  }

  @Test
  void queryIsDecodedReencodedAndSorted() {
    assertThat(SigV4.canonicalQuery(SigV4.parseQuery("uploads"), null)).isEqualTo("uploads=");
    assertThat(SigV4.canonicalQuery(SigV4.parseQuery("prefix=J&max-keys=2"), null)).isEqualTo("max-keys=2&prefix=J");
    assertThat(SigV4.canonicalQuery(SigV4.parseQuery("a=2&a=1&B=3"), null)).isEqualTo("B=3&a=1&a=2");
    assertThat(SigV4.canonicalQuery(SigV4.parseQuery("p=a+b/c%3d&q=%7E"), null)).isEqualTo("p=a%20b%2Fc%3D&q=~");
    assertThat(SigV4.canonicalQuery(SigV4.parseQuery("&&x=1&&"), null)).isEqualTo("x=1");
    assertThat(SigV4.canonicalQuery(SigV4.parseQuery("X-Amz-Signature=abc&z=1"), "X-Amz-Signature"))
        .isEqualTo("z=1");
  }

  @Test
  void headerValuesAreTrimmedAndJoined() {
    assertThat(SigV4.canonicalHeaderValue(List.of("  a   b  "))).isEqualTo("a b");
    assertThat(SigV4.canonicalHeaderValue(List.of("a\t \tb"))).isEqualTo("a b");
    assertThat(SigV4.canonicalHeaderValue(List.of("x", " y  z "))).isEqualTo("x,y z");
    assertThat(SigV4.canonicalHeaderValue(List.of(""))).isEmpty();
  }

  @Test
  void credentialToStringHidesTheSecret() {
    assertThat(new Credential("AK", "very-secret", "acct").toString()).doesNotContain("very-secret").contains("AK");
  }
}
