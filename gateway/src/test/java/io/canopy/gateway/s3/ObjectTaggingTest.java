package io.canopy.gateway.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.s3.meta.AccessKey;
import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.Tag;

/**
 * GetObjectTagging answers an empty TagSet (objects here carry no tags), which is what the AWS CLI
 * needs before a multipart copy; setting tags stays NotImplemented.
 */
class ObjectTaggingTest {
  @TempDir Path tmp;

  @Test
  @Timeout(120)
  void objectsHaveAnEmptyTagSetAndTagsCannotBeSet() throws Exception {
    try (JdbcS3Metadata metadata = JdbcS3Metadata.openSqlite(tmp.resolve("s3.db"))) {
      metadata.createAccount("alice");
      AccessKey alice = metadata.issueAccessKey("alice");
      try (Gateway gateway = Gateway.start(null, FileBlockstore.open(tmp.resolve("blocks")),
              new Gateway.S3Face(new InetSocketAddress("127.0.0.1", 0), metadata));
           S3Client s3 = SdkClients.pathStyle(gateway.urls().get("s3"), alice.accessKeyId(), alice.secretAccessKey())) {
        s3.createBucket(b -> b.bucket("tags"));
        s3.putObject(b -> b.bucket("tags").key("a b/ü.txt"), RequestBody.fromString("x"));

        assertThat(s3.getObjectTagging(b -> b.bucket("tags").key("a b/ü.txt")).tagSet()).isEmpty();

        S3Exception missing = catchThrowableOfType(S3Exception.class,
            () -> s3.getObjectTagging(b -> b.bucket("tags").key("nothing")));
        assertThat(missing.awsErrorDetails().errorCode()).isEqualTo("NoSuchKey");
        assertThat(missing.statusCode()).isEqualTo(404);

        S3Exception put = catchThrowableOfType(S3Exception.class, () -> s3.putObjectTagging(b -> b.bucket("tags")
            .key("a b/ü.txt").tagging(t -> t.tagSet(Tag.builder().key("k").value("v").build()))));
        assertThat(put.awsErrorDetails().errorCode()).isEqualTo("NotImplemented");
        assertThat(s3.getObjectTagging(b -> b.bucket("tags").key("a b/ü.txt")).tagSet()).isEmpty();

        // Likewise a bucket is never versioned: GetBucketVersioning has no Status.
        var versioning = s3.getBucketVersioning(b -> b.bucket("tags"));
        assertThat(versioning.status()).isNull();
        assertThat(versioning.mfaDelete()).isNull();
        S3Exception noBucket = catchThrowableOfType(S3Exception.class, () -> s3.getBucketVersioning(b -> b.bucket("no-such")));
        assertThat(noBucket.awsErrorDetails().errorCode()).isEqualTo("NoSuchBucket");
      }
    }
  }
}
