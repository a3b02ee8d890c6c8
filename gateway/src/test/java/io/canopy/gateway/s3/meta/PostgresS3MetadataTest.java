package io.canopy.gateway.s3.meta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract on a real PostgreSQL, started by {@link EmbeddedPostgres} (one cluster per JVM, one
 * fresh database per test). Every store a test opens is another gateway on the same database.
 */
class PostgresS3MetadataTest extends S3MetadataContractTest {
  private static EmbeddedPostgres postgres;
  private String database;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = EmbeddedPostgres.shared();
  }

  @Override
  protected S3Metadata openStore(Clock clock, SecureRandom random) throws Exception {
    if (database == null) {
      database = postgres.createDatabase(); // test instances are per method: one database per test
    }
    return JdbcS3Metadata.openPostgres(postgres.url(database), new Properties(), 4, clock, random);
  }

  @Override
  protected Connection connectRaw() throws Exception {
    return DriverManager.getConnection(postgres.url(database));
  }

  @Test
  void keysAreStoredAsBytesSoTheClusterCollationCannotReorderThem() throws Exception {
    try (Connection c = DriverManager.getConnection(postgres.url(database)); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT data_type FROM information_schema.columns "
          + "WHERE table_name = 's3_objects' AND column_name = 'object_key'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("bytea");
      }
      // the cluster's own text order is not byte order (ICU en-US): the listing tests would catch text keys
      try (ResultSet rs = st.executeQuery("SELECT 'B' < 'a', datlocprovider FROM pg_database WHERE datname = current_database()")) {
        assertThat(rs.next()).isTrue();
        if ("i".equals(rs.getString(2))) {
          assertThat(rs.getBoolean(1)).isFalse();
        }
      }
    }
  }

  // ---- races between gateways, made to happen: another session holds a row, the store waits --

  @Test
  void aPutThatLosesTheRaceToInsertANewKeyReplacesTheWinner() throws Exception {
    meta.createBucket("alice", "race", BucketAcl.PRIVATE);
    try (Connection other = DriverManager.getConnection(postgres.url(database))) {
      other.setAutoCommit(false);
      try (PreparedStatement st = other.prepareStatement("INSERT INTO s3_objects (bucket, object_key, cid, size, etag, "
          + "user_meta, last_modified_ms) VALUES ('race', ?, 'winner', 1, 'e', '{}', 0)")) {
        st.setBytes(1, "k".getBytes(StandardCharsets.UTF_8));
        st.executeUpdate();
      }
      Future<PutObjectResult> loser = inBackground(() -> put(meta, "race", "k", "loser"));
      awaitAnotherSessionWaitingForALock(other);
      other.commit();
      PutObjectResult result = loser.get(60, TimeUnit.SECONDS);
      assertThat(result.replaced()).map(S3Object::cid).contains("winner");
      assertThat(result.releasableCids()).containsExactly("winner");
    }
    assertThat(meta.headObject("race", "k").cid()).isEqualTo("loser");
    assertThat(meta.listObjectsV2("race", null, null, null, null, 1000).contents()).hasSize(1);
  }

  @Test
  void aPutIntoABucketDeletedMeanwhileIsNoSuchBucket() throws Exception {
    meta.createBucket("alice", "going", BucketAcl.PRIVATE);
    try (Connection other = DriverManager.getConnection(postgres.url(database))) {
      other.setAutoCommit(false);
      try (Statement st = other.createStatement()) {
        st.executeUpdate("DELETE FROM s3_buckets WHERE name = 'going'");
      }
      Future<PutObjectResult> put = inBackground(() -> put(meta, "going", "k", "orphan?"));
      awaitAnotherSessionWaitingForALock(other);
      other.commit();
      assertCode(S3MetadataException.NO_SUCH_BUCKET, () -> {
        try {
          put.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw e.getCause();
        }
      });
    }
    assertThat(meta.isCidReferenced("orphan?")).isFalse();
  }

  @Test
  void aBucketDeleteWaitingOnAnInsertSeesTheNewObject() throws Exception {
    meta.createBucket("alice", "busy", BucketAcl.PRIVATE);
    try (Connection other = DriverManager.getConnection(postgres.url(database))) {
      other.setAutoCommit(false);
      try (PreparedStatement st = other.prepareStatement("INSERT INTO s3_objects (bucket, object_key, cid, size, etag, "
          + "user_meta, last_modified_ms) VALUES ('busy', ?, 'c', 1, 'e', '{}', 0)")) {
        st.setBytes(1, "k".getBytes(StandardCharsets.UTF_8));
        st.executeUpdate();
      }
      Future<Void> delete = inBackground(() -> {
        meta.deleteBucket("busy");
        return null;
      });
      awaitAnotherSessionWaitingForALock(other);
      other.commit();
      assertCode(S3MetadataException.BUCKET_NOT_EMPTY, () -> {
        try {
          delete.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw e.getCause();
        }
      });
    }
    assertThat(meta.headObject("busy", "k").cid()).isEqualTo("c");
  }

  private static <T> Future<T> inBackground(Callable<T> task) {
    ExecutorService one = Executors.newSingleThreadExecutor();
    try {
      return one.submit(task);
    } finally {
      one.shutdown();
    }
  }

  /** Returns once some other session of the cluster waits for a lock (the store, blocked on {@code holder}). */
  private static void awaitAnotherSessionWaitingForALock(Connection holder) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      try (Statement st = holder.createStatement();
           ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()")) {
        rs.next();
        if (rs.getInt(1) > 0) {
          return;
        }
      }
      Thread.sleep(5); // polling a condition, not timing anything
    }
    throw new AssertionError("the store never waited for the other session's lock");
  }

  @Test
  void gatewaysStartingTogetherCreateTheSchemaOnce() throws Exception {
    String fresh = postgres.createDatabase();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<S3Metadata>> opening = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Callable<S3Metadata> open = () -> JdbcS3Metadata.openPostgres(postgres.url(fresh), new Properties(), 2, clock,
            new SecureRandom());
        opening.add(pool.submit(open));
      }
      List<S3Metadata> stores = new ArrayList<>();
      for (Future<S3Metadata> f : opening) {
        stores.add(f.get(60, TimeUnit.SECONDS));
      }
      stores.get(0).createAccount("carol");
      assertThat(stores.get(3).account("carol")).isPresent();
      stores.forEach(S3Metadata::close);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aClosedStoreRefusesWork() throws Exception {
    S3Metadata store = open();
    store.close();
    store.close(); // idempotent
    assertCode(S3MetadataException.SERVICE_UNAVAILABLE, () -> store.bucket("x"));
  }

  @Test
  void missingBinariesFailWithTheDebianPackageToInstall(@TempDir Path empty) {
    assertThatThrownBy(() -> EmbeddedPostgres.findBinaries(Map.of("CANOPY_PG_BIN", empty.toString()), List.of(empty)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("apt-get install -y postgresql")
        .hasMessageContaining("CANOPY_PG_BIN");
  }
}
