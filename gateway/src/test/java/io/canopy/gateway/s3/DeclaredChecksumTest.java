package io.canopy.gateway.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.s3.auth.ChecksumAlgorithm;
import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/** x-amz-checksum-* request headers: parsed, computed over the body, BadDigest on a mismatch. */
class DeclaredChecksumTest {
  private static final byte[] BODY = "hello, checksums".getBytes(StandardCharsets.UTF_8);

  @TempDir Path tmp;

  private static String base64Of(ChecksumAlgorithm algorithm, byte[] data) {
    ChecksumAlgorithm.Accumulator acc = algorithm.newAccumulator();
    acc.update(data, 0, data.length);
    return Base64.getEncoder().encodeToString(acc.result());
  }

  /** Reads all of {@code in} in odd-sized pieces and single bytes, as a consumer might. */
  private static void drain(InputStream in) throws IOException {
    byte[] buffer = new byte[3];
    while (true) {
      int b = in.read();
      if (b < 0 || in.read(buffer, 0, buffer.length) < 0) {
        return;
      }
    }
  }

  private static S3Exception s3Error(Runnable call) {
    return catchThrowableOfType(S3Exception.class, call::run);
  }

  @Test
  void noHeaderIsNoChecksum() {
    assertThat(DeclaredChecksum.of(Map.<String, String>of()::get)).isNull();
  }

  @Test
  void aMatchingChecksumOfEveryAlgorithmPasses() throws IOException {
    for (ChecksumAlgorithm algorithm : ChecksumAlgorithm.values()) {
      String value = base64Of(algorithm, BODY);
      DeclaredChecksum declared = DeclaredChecksum.of(Map.of(algorithm.headerName(), value)::get);
      assertThat(declared).as("%s", algorithm).isNotNull();
      drain(declared.watch(new ByteArrayInputStream(BODY)));
      declared.verify();
      assertThat(declared.headerName()).isEqualTo(algorithm.headerName());
      assertThat(declared.value()).isEqualTo(value);
    }
  }

  @Test
  void aChecksumOfOtherBytesIsBadDigest() throws IOException {
    String ofOther = base64Of(ChecksumAlgorithm.CRC32, "other bytes".getBytes(StandardCharsets.UTF_8));
    DeclaredChecksum declared = DeclaredChecksum.of(Map.of("x-amz-checksum-crc32", ofOther)::get);
    drain(declared.watch(new ByteArrayInputStream(BODY)));
    S3Exception e = s3Error(declared::verify);
    assertThat(e.error()).isEqualTo(S3Error.BadDigest);
    assertThat(e.getMessage()).isEqualTo("The CRC32 you specified did not match the calculated checksum.");
  }

  @Test
  void aBodyReadOnlyInPartIsNotTheDeclaredOne() throws IOException {
    DeclaredChecksum declared = DeclaredChecksum.of(Map.of("x-amz-checksum-sha256", base64Of(ChecksumAlgorithm.SHA256, BODY))::get);
    InputStream watched = declared.watch(new ByteArrayInputStream(BODY));
    assertThat(watched.skip(4)).isEqualTo(4); // skipped bytes count
    watched.readNBytes(BODY.length - 5);
    assertThat(s3Error(declared::verify).error()).isEqualTo(S3Error.BadDigest);
    watched.read();
    declared.verify();
  }

  @Test
  void malformedOrDuplicateHeadersAreInvalidRequest() {
    for (String bad : new String[] {"not base64!", "AAAA", Base64.getEncoder().encodeToString(new byte[8])}) {
      S3Exception e = s3Error(() -> DeclaredChecksum.of(Map.of("x-amz-checksum-crc32", bad)::get));
      assertThat(e.error()).as(bad).isEqualTo(S3Error.InvalidRequest);
      assertThat(e.getMessage()).isEqualTo("Value for x-amz-checksum-crc32 header is invalid.");
    }
    S3Exception two = s3Error(() -> DeclaredChecksum.of(Map.of(
        "x-amz-checksum-crc32", base64Of(ChecksumAlgorithm.CRC32, BODY),
        "x-amz-checksum-sha1", base64Of(ChecksumAlgorithm.SHA1, BODY))::get));
    assertThat(two.error()).isEqualTo(S3Error.InvalidRequest);
  }

  /** Through a real gateway, with the AWS SDK for Java sending a checksum it was given (no trailer). */
  @Test
  @Timeout(120)
  void theGatewayRefusesAWrongHeaderChecksumAndEchoesARightOne() throws Exception {
    try (JdbcS3Metadata metadata = JdbcS3Metadata.openSqlite(tmp.resolve("s3.db"))) {
      metadata.createAccount("alice");
      AccessKey alice = metadata.issueAccessKey("alice");
      try (Gateway gateway = Gateway.start(null, FileBlockstore.open(tmp.resolve("blocks")),
              new Gateway.S3Face(new InetSocketAddress("127.0.0.1", 0), metadata));
           S3Client s3 = SdkClients.pathStyle(gateway.urls().get("s3"), alice.accessKeyId(), alice.secretAccessKey())) {
        s3.createBucket(b -> b.bucket("sums"));
        byte[] body = new byte[300_000];
        new Random(5).nextBytes(body);
        String wrong = base64Of(ChecksumAlgorithm.CRC32, BODY);
        software.amazon.awssdk.services.s3.model.S3Exception bad = catchThrowableOfType(
            software.amazon.awssdk.services.s3.model.S3Exception.class,
            () -> s3.putObject(b -> b.bucket("sums").key("k").checksumCRC32(wrong), RequestBody.fromBytes(body)));
        assertThat(bad).as("PutObject with a wrong x-amz-checksum-crc32").isNotNull();
        assertThat(bad.awsErrorDetails().errorCode()).isEqualTo("BadDigest");
        assertThat(s3.listObjectsV2(b -> b.bucket("sums")).contents()).isEmpty();

        String right = base64Of(ChecksumAlgorithm.CRC32, body);
        PutObjectResponse ok = s3.putObject(b -> b.bucket("sums").key("k").checksumCRC32(right), RequestBody.fromBytes(body));
        assertThat(ok.checksumCRC32()).isEqualTo(right);
        assertThat(s3.getObjectAsBytes(b -> b.bucket("sums").key("k")).asByteArray()).isEqualTo(body);
      }
    }
  }
}
