package io.canopy.gateway.s3.meta;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on the embedded SQLite database; a second store on the same file is a second gateway. */
class SqliteS3MetadataTest extends S3MetadataContractTest {
  @TempDir
  Path dir;

  Path file() {
    return dir.resolve("node").resolve("metadata.db");
  }

  @Override
  protected S3Metadata openStore(Clock clock, SecureRandom random) throws Exception {
    return JdbcS3Metadata.openSqlite(file(), clock, random);
  }

  @Override
  protected Connection connectRaw() throws Exception {
    return DriverManager.getConnection("jdbc:sqlite:" + file());
  }

  @Test
  void theDatabaseHoldingSecretsIsReadableByItsOwnerOnly() throws Exception {
    meta.issueAccessKey("alice"); // something written, so the WAL exists
    assertThat(Files.getPosixFilePermissions(file())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    Path wal = Path.of(file() + "-wal");
    assertThat(wal).exists();
    assertThat(Files.getPosixFilePermissions(wal)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void anExistingDatabaseIsTightenedTo0600() throws Exception {
    Path loose = dir.resolve("loose.db");
    Files.createFile(loose, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
    try (S3Metadata store = JdbcS3Metadata.openSqlite(loose, clock, new SecureRandom())) {
      assertThat(store.listBuckets("nobody")).isEmpty();
    }
    assertThat(Files.getPosixFilePermissions(loose)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void theDatabaseIsInWalModeAndKeepsEverythingAcrossReopening() throws Exception {
    meta.createBucket("alice", "kept", BucketAcl.PUBLIC_READ);
    put(meta, "kept", "k", "cid-k");
    AccessKey key = meta.issueAccessKey("alice");
    meta.close();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file());
         Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
    }
    try (S3Metadata reopened = JdbcS3Metadata.openSqlite(file(), clock, new SecureRandom())) {
      assertThat(reopened.headBucket("kept").acl()).isEqualTo(BucketAcl.PUBLIC_READ);
      assertThat(reopened.headObject("kept", "k").cid()).isEqualTo("cid-k");
      assertThat(reopened.activeAccessKey(key.accessKeyId())).contains(key);
    }
  }
}
