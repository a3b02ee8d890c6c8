package io.canopy.gateway.s3.auth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import software.amazon.awssdk.checksums.spi.ChecksumAlgorithm;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * Signs requests with the AWS SDK for Java v2's own SigV4 signer ({@link AwsV4HttpSigner}), set up
 * the way the S3 client sets it up (no double encoding, no path normalisation), and turns the
 * signed request into what the gateway's HTTP layer would hand the verifier.
 */
final class SdkSigning {
  static final String ACCESS_KEY = "AKIACANOPYTEST000001";
  static final String SECRET = "canopy/Secret+Key/for+Tests0000000000000";
  static final String ACCOUNT = "alice";
  static final Credential CREDENTIAL = new Credential(ACCESS_KEY, SECRET, ACCOUNT);
  static final CredentialStore STORE = id -> id.equals(ACCESS_KEY) ? Optional.of(CREDENTIAL) : Optional.empty();
  static final Instant NOW = Instant.parse("2026-03-14T15:09:26Z");
  static final String REGION = "us-east-1";

  private SdkSigning() {}

  /** A signed request: what goes on the wire, its head as the verifier sees it, and its raw body. */
  record Signed(SdkHttpRequest request, RequestHead head, byte[] body) {
    /** The same request with header {@code name} set to {@code value} (null removes it). */
    Signed withHeader(String name, String value) {
      Map<String, List<String>> headers = new LinkedHashMap<>(head.headers());
      headers.remove(name.toLowerCase());
      if (value != null) {
        headers.put(name.toLowerCase(), List.of(value));
      }
      return new Signed(request, new RequestHead(head.method(), head.rawPath(), head.rawQuery(), headers), body);
    }

    Signed withHead(String method, String rawPath, String rawQuery) {
      return new Signed(request, new RequestHead(method, rawPath, rawQuery, head.headers()), body);
    }

    Signed withBody(byte[] newBody) {
      return new Signed(request, head, newBody);
    }
  }

  static SdkHttpFullRequest.Builder request(SdkHttpMethod method, String encodedPath) {
    return SdkHttpFullRequest.builder()
        .method(method)
        .protocol("http")
        .host("127.0.0.1")
        .port(9000)
        .encodedPath(encodedPath);
  }

  static AwsCredentialsIdentity identity() {
    return AwsCredentialsIdentity.create(ACCESS_KEY, SECRET);
  }

  /**
   * Signs {@code request} with {@code payload} at {@link #NOW}; {@code properties} adds or
   * overrides signer properties (payload signing, chunk encoding, checksum, auth location).
   */
  static Signed sign(SdkHttpRequest request, byte[] payload, Consumer<SignProps> properties) {
    SignProps props = new SignProps();
    properties.accept(props);
    SignedRequest signed = AwsV4HttpSigner.create().sign(r -> {
      r.identity(props.identity)
          .request(request)
          .putProperty(AwsV4FamilyHttpSigner.SERVICE_SIGNING_NAME, "s3")
          .putProperty(AwsV4HttpSigner.REGION_NAME, props.region)
          .putProperty(AwsV4FamilyHttpSigner.DOUBLE_URL_ENCODE, false)
          .putProperty(AwsV4FamilyHttpSigner.NORMALIZE_PATH, false)
          .putProperty(HttpSigner.SIGNING_CLOCK, Clock.fixed(props.time, ZoneOffset.UTC))
          .putProperty(AwsV4FamilyHttpSigner.PAYLOAD_SIGNING_ENABLED, props.payloadSigning)
          .putProperty(AwsV4FamilyHttpSigner.CHUNK_ENCODING_ENABLED, props.chunkEncoding);
      if (props.checksum != null) {
        r.putProperty(AwsV4FamilyHttpSigner.CHECKSUM_ALGORITHM, props.checksum);
      }
      if (props.presignFor != null) {
        r.putProperty(AwsV4FamilyHttpSigner.AUTH_LOCATION, AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING)
            .putProperty(AwsV4FamilyHttpSigner.EXPIRATION_DURATION, props.presignFor);
      }
      if (payload != null) {
        r.payload(ContentStreamProvider.fromByteArray(payload));
      }
    });
    byte[] body = signed.payload().map(p -> readAll(p.newStream())).orElse(new byte[0]);
    return new Signed(signed.request(), head(signed.request()), body);
  }

  /** The request head the HTTP layer would see for {@code request} on the wire. */
  static RequestHead head(SdkHttpRequest request) {
    URI uri = request.getUri();
    Map<String, List<String>> headers = new LinkedHashMap<>(request.headers());
    if (!headers.keySet().stream().anyMatch(h -> h.equalsIgnoreCase("host"))) {
      // The HTTP client adds Host from the URI; the signer signed exactly that value.
      int port = uri.getPort();
      boolean defaultPort = port == -1 || (port == 80 && "http".equals(uri.getScheme()))
          || (port == 443 && "https".equals(uri.getScheme()));
      headers.put("Host", List.of(defaultPort ? uri.getHost() : uri.getHost() + ":" + port));
    }
    return new RequestHead(request.method().name(), uri.getRawPath(), uri.getRawQuery(), headers);
  }

  static byte[] readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Signer properties a test may change. */
  static final class SignProps {
    AwsCredentialsIdentity identity = SdkSigning.identity();
    String region = REGION;
    Instant time = NOW;
    boolean payloadSigning = true;
    boolean chunkEncoding = false;
    ChecksumAlgorithm checksum;
    java.time.Duration presignFor;

    SignProps identity(AwsCredentialsIdentity value) {
      identity = value;
      return this;
    }

    SignProps region(String value) {
      region = value;
      return this;
    }

    SignProps time(Instant value) {
      time = value;
      return this;
    }

    SignProps payloadSigning(boolean value) {
      payloadSigning = value;
      return this;
    }

    SignProps chunkEncoding(boolean value) {
      chunkEncoding = value;
      return this;
    }

    SignProps checksum(ChecksumAlgorithm value) {
      checksum = value;
      return this;
    }

    SignProps presignFor(java.time.Duration value) {
      presignFor = value;
      return this;
    }
  }
}
