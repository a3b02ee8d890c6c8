package io.canopy.gateway.s3.meta;

import static io.canopy.gateway.s3.meta.S3MetadataException.ACCOUNT_ALREADY_EXISTS;
import static io.canopy.gateway.s3.meta.S3MetadataException.BUCKET_ALREADY_EXISTS;
import static io.canopy.gateway.s3.meta.S3MetadataException.BUCKET_ALREADY_OWNED_BY_YOU;
import static io.canopy.gateway.s3.meta.S3MetadataException.BUCKET_NOT_EMPTY;
import static io.canopy.gateway.s3.meta.S3MetadataException.ENTITY_TOO_SMALL;
import static io.canopy.gateway.s3.meta.S3MetadataException.INTERNAL_ERROR;
import static io.canopy.gateway.s3.meta.S3MetadataException.INVALID_ACCOUNT_NAME;
import static io.canopy.gateway.s3.meta.S3MetadataException.INVALID_ARGUMENT;
import static io.canopy.gateway.s3.meta.S3MetadataException.INVALID_PART;
import static io.canopy.gateway.s3.meta.S3MetadataException.INVALID_PART_ORDER;
import static io.canopy.gateway.s3.meta.S3MetadataException.MALFORMED_XML;
import static io.canopy.gateway.s3.meta.S3MetadataException.NO_SUCH_ACCOUNT;
import static io.canopy.gateway.s3.meta.S3MetadataException.NO_SUCH_BUCKET;
import static io.canopy.gateway.s3.meta.S3MetadataException.NO_SUCH_KEY;
import static io.canopy.gateway.s3.meta.S3MetadataException.NO_SUCH_UPLOAD;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * {@link S3Metadata} in SQL, one schema for SQLite and PostgreSQL (tables {@code s3_*}, so the
 * store can share a database file with other components).
 *
 * <p>Object keys are stored as their UTF-8 bytes ({@code BLOB}/{@code bytea}), which both
 * databases compare byte-wise: listings come out in S3's order whatever the PostgreSQL collation.
 * Bucket names and upload ids are ASCII and, on PostgreSQL, use {@code COLLATE "C"}.
 *
 * <p>SQLite: one connection, used by one thread at a time; writes are {@code BEGIN IMMEDIATE}
 * transactions, so another process on the same file waits ({@code busy_timeout}) rather than
 * failing halfway. The file is created readable by its owner only (0600), since it holds the
 * access key secrets. PostgreSQL: a small bounded pool, READ COMMITTED with row locks; see {@link
 * SqlDialect#POSTGRESQL} for how races between gateways come out.
 */
public final class JdbcS3Metadata implements S3Metadata {
  /** Default number of PostgreSQL connections one gateway uses at most. */
  public static final int DEFAULT_POOL_SIZE = 8;
  /** How long an operation waits for a free connection before {@code ServiceUnavailable}. */
  static final long POOL_WAIT_MILLIS = 30_000;
  /** How long SQLite waits for another connection's write lock on the same file. */
  static final int SQLITE_BUSY_TIMEOUT_MILLIS = 10_000;
  /** Attempts of a transaction that lost a race (see {@link SqlDialect#retryable}). */
  private static final int MAX_ATTEMPTS = 10;
  /** 1: the first schema; 2: {@code s3_objects.part_sizes}, for GET/HEAD with partNumber. */
  private static final int SCHEMA_VERSION = 2;

  static final String ACCESS_KEY_PREFIX = "CNPY";
  static final int ACCESS_KEY_ID_LENGTH = 20;
  private static final String ACCESS_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  /** 30 random bytes are 40 base64 characters, the length of an AWS secret access key. */
  private static final int SECRET_BYTES = 30;
  private static final Pattern ACCOUNT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<TreeMap<String, String>> STRING_MAP = new TypeReference<>() {};
  private static final HexFormat HEX = HexFormat.of();

  private static final String OBJECT_COLUMNS = "bucket, object_key, cid, size, etag, content_type, content_encoding, "
      + "content_disposition, cache_control, user_meta, last_modified_ms, part_sizes";
  private static final String UPLOAD_COLUMNS = "upload_id, bucket, object_key, initiator, content_type, content_encoding, "
      + "content_disposition, cache_control, user_meta, initiated_ms";
  private static final String PART_COLUMNS = "part_number, cid, size, etag, last_modified_ms";
  private static final String KEY_COLUMNS = "access_key_id, secret, account, created_ms, revoked_ms";

  private final SqlDialect dialect;
  private final ConnectionPool pool;
  private final Clock clock;
  private final SecureRandom random;
  private final String description;

  private JdbcS3Metadata(SqlDialect dialect, ConnectionPool pool, Clock clock, SecureRandom random, String description) {
    this.dialect = dialect;
    this.pool = pool;
    this.clock = clock;
    this.random = random;
    this.description = description;
  }

  // ---- opening ----------------------------------------------------------------------------

  /** Connections to the embedded database: readers run in parallel in WAL mode. */
  static final int SQLITE_POOL_SIZE = 4;

  /**
   * Opens (creating if needed) the embedded SQLite database {@code file} in WAL mode. A new file is
   * created with permissions 0600 and an existing one is set to 0600 (where the file system has
   * POSIX permissions): it holds access key secrets.
   */
  public static JdbcS3Metadata openSqlite(Path file, Clock clock, SecureRandom random) throws S3MetadataException {
    Path path = file.toAbsolutePath();
    try {
      if (path.getParent() != null) {
        Files.createDirectories(path.getParent());
      }
      restrictToOwner(path, true);
    } catch (IOException e) {
      throw new S3MetadataException(INTERNAL_ERROR, "cannot create the metadata database " + path + ": " + e, e);
    }
    Properties props = new Properties();
    props.setProperty("journal_mode", "WAL");
    props.setProperty("synchronous", "FULL");
    props.setProperty("foreign_keys", "true");
    props.setProperty("busy_timeout", Integer.toString(SQLITE_BUSY_TIMEOUT_MILLIS));
    props.setProperty("transaction_mode", "IMMEDIATE");
    String url = "jdbc:sqlite:" + path;
    // WAL lets readers (every GET and HEAD) run beside the one writer; IMMEDIATE transactions take
    // the write lock when they begin, so writers still go one at a time (waiting up to the busy timeout).
    ConnectionPool pool = new ConnectionPool(() -> DriverManager.getConnection(url, props), SQLITE_POOL_SIZE, POOL_WAIT_MILLIS);
    JdbcS3Metadata store = new JdbcS3Metadata(SqlDialect.SQLITE, pool, clock, random, "SQLite " + path);
    try {
      store.transaction("check the journal mode of", false, c -> {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
          String mode = rs.next() ? rs.getString(1) : "";
          if (!"wal".equalsIgnoreCase(mode)) {
            throw new S3MetadataException(INTERNAL_ERROR, "metadata database " + path + " is not in WAL mode (" + mode + ")");
          }
        }
        return null;
      });
      store.createSchema();
      for (String suffix : List.of("-wal", "-shm")) {
        restrictToOwner(Path.of(path + suffix), false);
      }
    } catch (S3MetadataException | IOException | RuntimeException e) {
      store.close();
      if (e instanceof S3MetadataException s3) {
        throw s3;
      }
      throw new S3MetadataException(INTERNAL_ERROR, "cannot open the metadata database " + path + ": " + e, e);
    }
    return store;
  }

  /** {@link #openSqlite(Path, Clock, SecureRandom)} with the system clock and a new SecureRandom. */
  public static JdbcS3Metadata openSqlite(Path file) throws S3MetadataException {
    return openSqlite(file, Clock.systemUTC(), new SecureRandom());
  }

  /**
   * Connects to PostgreSQL ({@code jdbc:postgresql://host:port/db}, credentials in {@code
   * properties} or the URL) with at most {@code poolSize} connections, and creates the schema if
   * it is missing (serialized by an advisory lock, so gateways may start together).
   */
  public static JdbcS3Metadata openPostgres(String jdbcUrl, Properties properties, int poolSize, Clock clock,
                                            SecureRandom random) throws S3MetadataException {
    if (SqlDialect.ofJdbcUrl(jdbcUrl) != SqlDialect.POSTGRESQL) {
      throw new IllegalArgumentException("not a PostgreSQL URL: " + jdbcUrl);
    }
    Properties props = new Properties();
    props.putAll(properties);
    int query = jdbcUrl.indexOf('?');
    String shown = "PostgreSQL " + (query < 0 ? jdbcUrl : jdbcUrl.substring(0, query)); // no password in messages
    ConnectionPool pool = new ConnectionPool(() -> DriverManager.getConnection(jdbcUrl, props), poolSize, POOL_WAIT_MILLIS);
    JdbcS3Metadata store = new JdbcS3Metadata(SqlDialect.POSTGRESQL, pool, clock, random, shown);
    try {
      store.createSchema();
    } catch (S3MetadataException | RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  /** {@link #openPostgres(String, Properties, int, Clock, SecureRandom)} with the default pool size. */
  public static JdbcS3Metadata openPostgres(String jdbcUrl, Properties properties) throws S3MetadataException {
    return openPostgres(jdbcUrl, properties, DEFAULT_POOL_SIZE, Clock.systemUTC(), new SecureRandom());
  }

  private static void restrictToOwner(Path path, boolean create) throws IOException {
    if (!path.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    Set<PosixFilePermission> ownerOnly = PosixFilePermissions.fromString("rw-------");
    if (create) {
      try {
        Files.createFile(path, PosixFilePermissions.asFileAttribute(ownerOnly));
        return;
      } catch (FileAlreadyExistsException e) {
        // an existing database: tighten it below
      }
    }
    if (Files.exists(path)) {
      Files.setPosixFilePermissions(path, ownerOnly);
    }
  }

  private void createSchema() throws S3MetadataException {
    String bytes = dialect.bytesType();
    String ascii = dialect.asciiTextType();
    List<String> ddl = List.of(
        "CREATE TABLE IF NOT EXISTS s3_schema (version INTEGER NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS s3_accounts (
          name       %1$s PRIMARY KEY,
          created_ms BIGINT NOT NULL
        )""".formatted(ascii),
        """
        CREATE TABLE IF NOT EXISTS s3_access_keys (
          access_key_id %1$s PRIMARY KEY,
          secret        TEXT NOT NULL,   -- as issued: SigV4 needs it (see package-info)
          account       %1$s NOT NULL REFERENCES s3_accounts (name),
          created_ms    BIGINT NOT NULL,
          revoked_ms    BIGINT
        )""".formatted(ascii),
        "CREATE INDEX IF NOT EXISTS s3_access_keys_account ON s3_access_keys (account)",
        """
        CREATE TABLE IF NOT EXISTS s3_buckets (
          name       %1$s PRIMARY KEY,
          owner      %1$s NOT NULL REFERENCES s3_accounts (name),
          acl        TEXT NOT NULL CHECK (acl IN ('private', 'public-read')),
          created_ms BIGINT NOT NULL
        )""".formatted(ascii),
        "CREATE INDEX IF NOT EXISTS s3_buckets_owner ON s3_buckets (owner, name)",
        """
        CREATE TABLE IF NOT EXISTS s3_objects (
          bucket              %1$s NOT NULL REFERENCES s3_buckets (name),
          object_key          %2$s NOT NULL CHECK (length(object_key) BETWEEN 1 AND 1024),  -- UTF-8 bytes
          cid                 TEXT NOT NULL,
          size                BIGINT NOT NULL,
          etag                TEXT NOT NULL,
          content_type        TEXT,
          content_encoding    TEXT,
          content_disposition TEXT,
          cache_control       TEXT,
          user_meta           TEXT NOT NULL,  -- JSON object of x-amz-meta-* (names without the prefix)
          last_modified_ms    BIGINT NOT NULL,
          part_sizes          TEXT,           -- a multipart object's part sizes, comma-separated; NULL if one piece
          PRIMARY KEY (bucket, object_key)
        )""".formatted(ascii, bytes),
        "CREATE INDEX IF NOT EXISTS s3_objects_cid ON s3_objects (cid)",
        """
        CREATE TABLE IF NOT EXISTS s3_uploads (
          upload_id           %1$s PRIMARY KEY,
          bucket              %1$s NOT NULL REFERENCES s3_buckets (name),
          object_key          %2$s NOT NULL CHECK (length(object_key) BETWEEN 1 AND 1024),
          initiator           TEXT NOT NULL,
          content_type        TEXT,
          content_encoding    TEXT,
          content_disposition TEXT,
          cache_control       TEXT,
          user_meta           TEXT NOT NULL,
          initiated_ms        BIGINT NOT NULL
        )""".formatted(ascii, bytes),
        "CREATE INDEX IF NOT EXISTS s3_uploads_key ON s3_uploads (bucket, object_key, upload_id)",
        """
        CREATE TABLE IF NOT EXISTS s3_parts (
          upload_id        %1$s NOT NULL REFERENCES s3_uploads (upload_id),
          part_number      INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
          cid              TEXT NOT NULL,
          size             BIGINT NOT NULL,
          etag             TEXT NOT NULL,
          last_modified_ms BIGINT NOT NULL,
          PRIMARY KEY (upload_id, part_number)
        )""".formatted(ascii),
        "CREATE INDEX IF NOT EXISTS s3_parts_cid ON s3_parts (cid)");
    transaction("create the S3 schema in", true, c -> {
      try (Statement st = c.createStatement()) {
        if (dialect.schemaLock() != null) {
          st.execute(dialect.schemaLock());
        }
        for (String statement : ddl) {
          st.execute(statement);
        }
        try (ResultSet rs = st.executeQuery("SELECT MAX(version) FROM s3_schema")) {
          int version = rs.next() ? rs.getInt(1) : 0;
          if (version == 0) {
            st.executeUpdate("INSERT INTO s3_schema (version) VALUES (" + SCHEMA_VERSION + ")");
          } else if (version < SCHEMA_VERSION) {
            migrate(c, st, version);
          } else if (version > SCHEMA_VERSION) {
            throw new S3MetadataException(INTERNAL_ERROR, "the S3 schema in " + description + " is version " + version
                + ", newer than this gateway's " + SCHEMA_VERSION);
          }
        }
      }
      return null;
    });
  }

  /**
   * Brings a database made by an older gateway up to {@link #SCHEMA_VERSION}, in the schema
   * transaction (PostgreSQL: under the schema lock, so one gateway of several does it). Each step
   * checks before it alters, so a step half-done by hand is not done twice.
   */
  private void migrate(Connection c, Statement st, int from) throws SQLException {
    if (from < 2 && !hasColumn(c, "s3_objects", "part_sizes")) {
      st.execute("ALTER TABLE s3_objects ADD COLUMN part_sizes TEXT");
    }
    st.executeUpdate("UPDATE s3_schema SET version = " + SCHEMA_VERSION);
  }

  private static boolean hasColumn(Connection c, String table, String column) throws SQLException {
    try (ResultSet rs = c.getMetaData().getColumns(c.getCatalog(), null, table, column)) {
      while (rs.next()) {
        if (rs.getString("COLUMN_NAME").equalsIgnoreCase(column)) {
          return true;
        }
      }
    }
    return false;
  }

  // ---- accounts and access keys -----------------------------------------------------------

  @Override
  public Account createAccount(String name) throws S3MetadataException {
    if (name == null || !ACCOUNT_NAME.matcher(name).matches()) {
      throw new S3MetadataException(INVALID_ACCOUNT_NAME,
          "an account name is 1 to 64 letters, digits and . _ @ + -, beginning with a letter or digit: " + name);
    }
    long now = clock.millis();
    return transaction("create an account in", true, c -> {
      try (PreparedStatement st = c.prepareStatement(
          "INSERT INTO s3_accounts (name, created_ms) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")) {
        st.setString(1, name);
        st.setLong(2, now);
        if (st.executeUpdate() == 0) {
          throw new S3MetadataException(ACCOUNT_ALREADY_EXISTS, "account " + name + " already exists");
        }
      }
      return new Account(name, Instant.ofEpochMilli(now));
    });
  }

  @Override
  public Optional<Account> account(String name) throws S3MetadataException {
    return transaction("read an account from", false, c -> findAccount(c, name));
  }

  private static Optional<Account> findAccount(Connection c, String name) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT created_ms FROM s3_accounts WHERE name = ?")) {
      st.setString(1, name);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(new Account(name, Instant.ofEpochMilli(rs.getLong(1)))) : Optional.empty();
      }
    }
  }

  @Override
  public AccessKey issueAccessKey(String account) throws S3MetadataException {
    long now = clock.millis();
    return transaction("issue an access key in", true, c -> {
      requireAccount(c, account);
      while (true) {
        String id = newAccessKeyId();
        String secret = newSecret();
        try (PreparedStatement st = c.prepareStatement("INSERT INTO s3_access_keys (" + KEY_COLUMNS
            + ") VALUES (?, ?, ?, ?, NULL) ON CONFLICT (access_key_id) DO NOTHING")) {
          st.setString(1, id);
          st.setString(2, secret);
          st.setString(3, account);
          st.setLong(4, now);
          if (st.executeUpdate() == 1) {
            return new AccessKey(id, secret, account, Instant.ofEpochMilli(now), null);
          }
        }
        // 36^16 ids: a collision is astronomically rare, but costs only another draw
      }
    });
  }

  private String newAccessKeyId() {
    StringBuilder id = new StringBuilder(ACCESS_KEY_PREFIX);
    while (id.length() < ACCESS_KEY_ID_LENGTH) {
      id.append(ACCESS_KEY_ALPHABET.charAt(random.nextInt(ACCESS_KEY_ALPHABET.length())));
    }
    return id.toString();
  }

  private String newSecret() {
    byte[] bytes = new byte[SECRET_BYTES];
    random.nextBytes(bytes);
    return Base64.getEncoder().encodeToString(bytes);
  }

  @Override
  public Optional<AccessKey> activeAccessKey(String accessKeyId) throws S3MetadataException {
    return transaction("read an access key from", false, c -> {
      try (PreparedStatement st = c.prepareStatement(
          "SELECT " + KEY_COLUMNS + " FROM s3_access_keys WHERE access_key_id = ? AND revoked_ms IS NULL")) {
        st.setString(1, accessKeyId);
        try (ResultSet rs = st.executeQuery()) {
          return rs.next() ? Optional.of(accessKey(rs)) : Optional.empty();
        }
      }
    });
  }

  @Override
  public List<AccessKey> accessKeys(String account) throws S3MetadataException {
    return transaction("read access keys from", false, c -> {
      try (PreparedStatement st = c.prepareStatement(
          "SELECT " + KEY_COLUMNS + " FROM s3_access_keys WHERE account = ? ORDER BY created_ms, access_key_id")) {
        st.setString(1, account);
        List<AccessKey> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            out.add(accessKey(rs));
          }
        }
        return out;
      }
    });
  }

  private static AccessKey accessKey(ResultSet rs) throws SQLException {
    long revoked = rs.getLong(5);
    Instant revokedAt = rs.wasNull() ? null : Instant.ofEpochMilli(revoked);
    return new AccessKey(rs.getString(1), rs.getString(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)), revokedAt);
  }

  @Override
  public boolean revokeAccessKey(String accessKeyId) throws S3MetadataException {
    long now = clock.millis();
    return transaction("revoke an access key in", true, c -> {
      try (PreparedStatement st = c.prepareStatement(
          "UPDATE s3_access_keys SET revoked_ms = ? WHERE access_key_id = ? AND revoked_ms IS NULL")) {
        st.setLong(1, now);
        st.setString(2, accessKeyId);
        return st.executeUpdate() == 1;
      }
    });
  }

  private static void requireAccount(Connection c, String account) throws SQLException, S3MetadataException {
    if (findAccount(c, account).isEmpty()) {
      throw new S3MetadataException(NO_SUCH_ACCOUNT, "no account " + account);
    }
  }

  // ---- buckets ----------------------------------------------------------------------------

  @Override
  public Bucket createBucket(String account, String name, BucketAcl acl) throws S3MetadataException {
    BucketNames.check(name);
    BucketAcl chosen = acl == null ? BucketAcl.PRIVATE : acl;
    long now = clock.millis();
    return transaction("create a bucket in", true, c -> {
      requireAccount(c, account);
      try (PreparedStatement st = c.prepareStatement(
          "INSERT INTO s3_buckets (name, owner, acl, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING")) {
        st.setString(1, name);
        st.setString(2, account);
        st.setString(3, chosen.cannedName());
        st.setLong(4, now);
        if (st.executeUpdate() == 1) {
          return new Bucket(name, account, chosen, Instant.ofEpochMilli(now));
        }
      }
      Bucket existing = findBucket(c, name).orElseThrow(
          () -> new SQLException("bucket " + name + " conflicted but is not there", "40001")); // deleted meanwhile: retry
      if (existing.owner().equals(account)) {
        throw new S3MetadataException(BUCKET_ALREADY_OWNED_BY_YOU, "you already own bucket " + name);
      }
      throw new S3MetadataException(BUCKET_ALREADY_EXISTS, "bucket name " + name + " is taken by another account");
    });
  }

  @Override
  public Optional<Bucket> bucket(String name) throws S3MetadataException {
    return transaction("read a bucket from", false, c -> findBucket(c, name));
  }

  @Override
  public Bucket headBucket(String name) throws S3MetadataException {
    return bucket(name).orElseThrow(() -> noSuchBucket(name));
  }

  private static Optional<Bucket> findBucket(Connection c, String name) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT name, owner, acl, created_ms FROM s3_buckets WHERE name = ?")) {
      st.setString(1, name);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(bucket(rs)) : Optional.empty();
      }
    }
  }

  private static Bucket bucket(ResultSet rs) throws SQLException {
    String acl = rs.getString(3);
    return new Bucket(rs.getString(1), rs.getString(2),
        BucketAcl.PUBLIC_READ.cannedName().equals(acl) ? BucketAcl.PUBLIC_READ : BucketAcl.PRIVATE,
        Instant.ofEpochMilli(rs.getLong(4)));
  }

  @Override
  public List<Bucket> listBuckets(String account) throws S3MetadataException {
    return transaction("list buckets in", false, c -> {
      try (PreparedStatement st = c.prepareStatement(
          "SELECT name, owner, acl, created_ms FROM s3_buckets WHERE owner = ? ORDER BY name")) {
        st.setString(1, account);
        List<Bucket> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            out.add(bucket(rs));
          }
        }
        return out;
      }
    });
  }

  @Override
  public void setBucketAcl(String bucket, BucketAcl acl) throws S3MetadataException {
    transaction("set a bucket ACL in", true, c -> {
      try (PreparedStatement st = c.prepareStatement("UPDATE s3_buckets SET acl = ? WHERE name = ?")) {
        st.setString(1, acl.cannedName());
        st.setString(2, bucket);
        if (st.executeUpdate() == 0) {
          throw noSuchBucket(bucket);
        }
      }
      return null;
    });
  }

  @Override
  public void deleteBucket(String name) throws S3MetadataException {
    transaction("delete a bucket in", true, c -> {
      try (PreparedStatement st = c.prepareStatement("SELECT name FROM s3_buckets WHERE name = ?" + dialect.forUpdate())) {
        st.setString(1, name);
        try (ResultSet rs = st.executeQuery()) {
          if (!rs.next()) {
            throw noSuchBucket(name);
          }
        }
      }
      if (exists(c, "SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1", name)) {
        throw new S3MetadataException(BUCKET_NOT_EMPTY, "bucket " + name + " is not empty");
      }
      if (exists(c, "SELECT 1 FROM s3_uploads WHERE bucket = ? LIMIT 1", name)) {
        throw new S3MetadataException(BUCKET_NOT_EMPTY,
            "bucket " + name + " has multipart uploads in progress; abort them first");
      }
      try (PreparedStatement st = c.prepareStatement("DELETE FROM s3_buckets WHERE name = ?")) {
        st.setString(1, name);
        st.executeUpdate();
      }
      return null;
    });
  }

  private static boolean exists(Connection c, String sql, String arg) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, arg);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static void requireBucket(Connection c, String bucket) throws SQLException, S3MetadataException {
    if (!exists(c, "SELECT 1 FROM s3_buckets WHERE name = ?", bucket)) {
      throw noSuchBucket(bucket);
    }
  }

  private static S3MetadataException noSuchBucket(String bucket) {
    return new S3MetadataException(NO_SUCH_BUCKET, "no bucket " + bucket);
  }

  // ---- objects ----------------------------------------------------------------------------

  @Override
  public PutObjectResult putObject(String bucket, String key, ObjectWrite write) throws S3MetadataException {
    byte[] keyBytes = ObjectKeys.check(key);
    write.attributes().check();
    String userMeta = json(write.attributes().userMetadata());
    long now = clock.millis();
    return transaction("store an object in", true, c -> {
      requireBucket(c, bucket);
      S3Object stored = new S3Object(bucket, key, write.cid(), write.size(), write.etag(), write.attributes(),
          Instant.ofEpochMilli(now), write.partSizes());
      Optional<S3Object> replaced = writeObject(c, keyBytes, stored, userMeta);
      List<String> releasable = unreferenced(c, replaced.map(S3Object::cid).stream().toList());
      return new PutObjectResult(stored, replaced, releasable);
    });
  }

  /** Inserts or replaces the object row; returns the row replaced. The bucket must exist. */
  private Optional<S3Object> writeObject(Connection c, byte[] key, S3Object object, String userMeta) throws SQLException {
    Optional<S3Object> old = selectObject(c, object.bucket(), key, true);
    String sql = old.isPresent()
        ? "UPDATE s3_objects SET cid = ?, size = ?, etag = ?, content_type = ?, content_encoding = ?, "
            + "content_disposition = ?, cache_control = ?, user_meta = ?, last_modified_ms = ?, part_sizes = ? "
            + "WHERE bucket = ? AND object_key = ?"
        : "INSERT INTO s3_objects (cid, size, etag, content_type, content_encoding, content_disposition, cache_control, "
            + "user_meta, last_modified_ms, part_sizes, bucket, object_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    try (PreparedStatement st = c.prepareStatement(sql)) {
      ObjectAttributes a = object.attributes();
      st.setString(1, object.cid());
      st.setLong(2, object.size());
      st.setString(3, object.etag());
      setNullable(st, 4, a.contentType());
      setNullable(st, 5, a.contentEncoding());
      setNullable(st, 6, a.contentDisposition());
      setNullable(st, 7, a.cacheControl());
      st.setString(8, userMeta);
      st.setLong(9, object.lastModified().toEpochMilli());
      setNullable(st, 10, partSizesText(object.partSizes()));
      st.setString(11, object.bucket());
      st.setBytes(12, key);
      st.executeUpdate(); // a concurrent insert of the same new key fails here (unique) and the transaction reruns
    }
    return old;
  }

  private Optional<S3Object> selectObject(Connection c, String bucket, byte[] key, boolean lock) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT " + OBJECT_COLUMNS
        + " FROM s3_objects WHERE bucket = ? AND object_key = ?" + (lock ? dialect.forUpdate() : ""))) {
      st.setString(1, bucket);
      st.setBytes(2, key);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(object(rs)) : Optional.empty();
      }
    }
  }

  private static S3Object object(ResultSet rs) throws SQLException {
    ObjectAttributes attributes = new ObjectAttributes(rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
        map(rs.getString(10)));
    return new S3Object(rs.getString(1), ObjectKeys.text(rs.getBytes(2)), rs.getString(3), rs.getLong(4), rs.getString(5),
        attributes, Instant.ofEpochMilli(rs.getLong(11)), partSizes(rs.getString(12)));
  }

  /** Part sizes as stored: decimal, comma-separated (at most 10,000 of them); null for none. */
  private static String partSizesText(List<Long> sizes) {
    if (sizes.isEmpty()) {
      return null;
    }
    StringBuilder text = new StringBuilder(sizes.size() * 8);
    for (long size : sizes) {
      if (!text.isEmpty()) {
        text.append(',');
      }
      text.append(size);
    }
    return text.toString();
  }

  private static List<Long> partSizes(String text) throws SQLException {
    if (text == null || text.isEmpty()) {
      return List.of();
    }
    List<Long> sizes = new ArrayList<>();
    try {
      for (String size : text.split(",")) {
        sizes.add(Long.parseLong(size));
      }
    } catch (NumberFormatException e) {
      throw new SQLException("corrupt part_sizes: " + text, e);
    }
    return sizes;
  }

  @Override
  public S3Object headObject(String bucket, String key) throws S3MetadataException {
    byte[] keyBytes = ObjectKeys.check(key);
    return transaction("read an object from", false, c -> {
      Optional<S3Object> found = selectObject(c, bucket, keyBytes, false);
      if (found.isPresent()) {
        return found.get();
      }
      requireBucket(c, bucket);
      throw new S3MetadataException(NO_SUCH_KEY, "no key " + key + " in bucket " + bucket);
    });
  }

  @Override
  public DeletedObject deleteObject(String bucket, String key) throws S3MetadataException {
    byte[] keyBytes = ObjectKeys.check(key);
    return transaction("delete an object in", true, c -> {
      requireBucket(c, bucket);
      return delete(c, bucket, key, keyBytes);
    });
  }

  private DeletedObject delete(Connection c, String bucket, String key, byte[] keyBytes) throws SQLException {
    Optional<S3Object> old = selectObject(c, bucket, keyBytes, true);
    if (old.isEmpty()) {
      return new DeletedObject(key, Optional.empty(), List.of());
    }
    try (PreparedStatement st = c.prepareStatement("DELETE FROM s3_objects WHERE bucket = ? AND object_key = ?")) {
      st.setString(1, bucket);
      st.setBytes(2, keyBytes);
      st.executeUpdate();
    }
    return new DeletedObject(key, old, unreferenced(c, List.of(old.get().cid())));
  }

  @Override
  public BatchDeleteResult deleteObjects(String bucket, List<String> keys) throws S3MetadataException {
    if (keys.isEmpty() || keys.size() > MAX_BATCH_DELETE) {
      throw new S3MetadataException(MALFORMED_XML, "DeleteObjects names 1 to " + MAX_BATCH_DELETE + " keys, not " + keys.size());
    }
    return transaction("delete objects in", true, c -> {
      requireBucket(c, bucket);
      List<DeletedObject> deleted = new ArrayList<>();
      List<BatchDeleteResult.KeyError> errors = new ArrayList<>();
      for (String key : keys) {
        byte[] keyBytes;
        try {
          keyBytes = ObjectKeys.check(key);
        } catch (S3MetadataException e) {
          errors.add(new BatchDeleteResult.KeyError(key, e.code(), e.getMessage()));
          continue;
        }
        deleted.add(delete(c, bucket, key, keyBytes));
      }
      return new BatchDeleteResult(deleted, errors);
    });
  }

  @Override
  public boolean isCidReferenced(String cid) throws S3MetadataException {
    return transaction("look up a CID in", false, c -> referenced(c, cid));
  }

  private static boolean referenced(Connection c, String cid) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(
        "SELECT 1 FROM s3_objects WHERE cid = ? UNION ALL SELECT 1 FROM s3_parts WHERE cid = ? LIMIT 1")) {
      st.setString(1, cid);
      st.setString(2, cid);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Those of {@code cids} (once each) that no object or part refers to any more. */
  private static List<String> unreferenced(Connection c, Collection<String> cids) throws SQLException {
    List<String> out = new ArrayList<>();
    for (String cid : new LinkedHashSet<>(cids)) {
      if (!referenced(c, cid)) {
        out.add(cid);
      }
    }
    return out;
  }

  // ---- listing ----------------------------------------------------------------------------

  @Override
  public ObjectListing listObjectsV1(String bucket, String prefix, String delimiter, String marker, int maxKeys)
      throws S3MetadataException {
    byte[] after = marker == null || marker.isEmpty() ? null : ObjectKeys.utf8(marker);
    boolean delimited = delimiter != null && !delimiter.isEmpty();
    PrefixScan.Result<S3Object> page = listObjects(bucket, prefix, delimiter, after, maxKeys);
    String nextMarker = page.truncated() && delimited ? ObjectKeys.text(page.lastKey()) : null;
    return listing(page, nextMarker, null);
  }

  @Override
  public ObjectListing listObjectsV2(String bucket, String prefix, String delimiter, String startAfter,
                                     String continuationToken, int maxKeys) throws S3MetadataException {
    byte[] after;
    if (continuationToken != null) {
      after = decodeToken(continuationToken);
    } else {
      after = startAfter == null || startAfter.isEmpty() ? null : ObjectKeys.utf8(startAfter);
    }
    PrefixScan.Result<S3Object> page = listObjects(bucket, prefix, delimiter, after, maxKeys);
    String token = page.truncated() ? Base64.getEncoder().encodeToString(page.lastKey()) : null;
    return listing(page, null, token);
  }

  private static byte[] decodeToken(String token) throws S3MetadataException {
    try {
      byte[] key = Base64.getDecoder().decode(token);
      if (key.length > 0 && key.length <= ObjectKeys.MAX_KEY_BYTES) {
        return key;
      }
    } catch (IllegalArgumentException e) {
      // not base64: refused below like any token this layer did not issue
    }
    throw new S3MetadataException(INVALID_ARGUMENT, "The continuation token provided is incorrect");
  }

  private static ObjectListing listing(PrefixScan.Result<S3Object> page, String nextMarker, String token) {
    return new ObjectListing(List.copyOf(page.rows()), page.prefixes().stream().map(ObjectKeys::text).toList(),
        page.truncated(), nextMarker, token);
  }

  private PrefixScan.Result<S3Object> listObjects(String bucket, String prefix, String delimiter, byte[] after,
                                                  int maxKeys) throws S3MetadataException {
    int max = listLimit(maxKeys, "max-keys");
    byte[] prefixBytes = prefix == null ? new byte[0] : ObjectKeys.utf8(prefix);
    byte[] delimiterBytes = delimiter == null || delimiter.isEmpty() ? null : ObjectKeys.utf8(delimiter);
    return transaction("list objects in", false, c -> {
      requireBucket(c, bucket);
      PrefixScan.From start = PrefixScan.start(prefixBytes, delimiterBytes, after, null);
      return PrefixScan.scan(prefixBytes, delimiterBytes, start, max,
          (from, end, limit) -> {
            String sql = "SELECT " + OBJECT_COLUMNS + " FROM s3_objects WHERE bucket = ? AND object_key "
                + (from.inclusive() ? ">=" : ">") + " ?" + (end == null ? "" : " AND object_key < ?")
                + " ORDER BY object_key LIMIT ?";
            try (PreparedStatement st = c.prepareStatement(sql)) {
              int i = 1;
              st.setString(i++, bucket);
              st.setBytes(i++, from.key());
              if (end != null) {
                st.setBytes(i++, end);
              }
              st.setInt(i, limit);
              List<S3Object> rows = new ArrayList<>();
              try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                  rows.add(object(rs));
                }
              }
              return rows;
            }
          },
          o -> utf8Unchecked(o.key()),
          o -> PrefixScan.From.after(utf8Unchecked(o.key())));
    });
  }

  /** The UTF-8 of a key read back from the database (valid by construction). */
  private static byte[] utf8Unchecked(String key) {
    return key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static int listLimit(int requested, String name) throws S3MetadataException {
    if (requested < 0) {
      throw new S3MetadataException(INVALID_ARGUMENT, name + " must be a non-negative integer, not " + requested);
    }
    return Math.min(requested, MAX_LIST);
  }

  // ---- multipart uploads ------------------------------------------------------------------

  @Override
  public MultipartUpload createMultipartUpload(String bucket, String key, String initiator, ObjectAttributes attributes)
      throws S3MetadataException {
    byte[] keyBytes = ObjectKeys.check(key);
    ObjectAttributes attrs = attributes == null ? ObjectAttributes.NONE : attributes;
    attrs.check();
    String userMeta = json(attrs.userMetadata());
    long now = clock.millis();
    return transaction("start a multipart upload in", true, c -> {
      requireBucket(c, bucket);
      String uploadId = newUploadId(now);
      try (PreparedStatement st = c.prepareStatement("INSERT INTO s3_uploads (" + UPLOAD_COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        st.setString(1, uploadId);
        st.setString(2, bucket);
        st.setBytes(3, keyBytes);
        st.setString(4, initiator == null ? "" : initiator);
        setNullable(st, 5, attrs.contentType());
        setNullable(st, 6, attrs.contentEncoding());
        setNullable(st, 7, attrs.contentDisposition());
        setNullable(st, 8, attrs.cacheControl());
        st.setString(9, userMeta);
        st.setLong(10, now);
        st.executeUpdate();
      }
      return new MultipartUpload(bucket, key, uploadId, initiator == null ? "" : initiator, attrs, Instant.ofEpochMilli(now));
    });
  }

  /** Time first (hex millis), so one key's uploads list in initiation order, then 96 random bits. */
  private String newUploadId(long now) {
    byte[] bytes = new byte[12];
    random.nextBytes(bytes);
    return String.format("%012x", now) + HEX.formatHex(bytes);
  }

  @Override
  public MultipartUpload multipartUpload(String bucket, String key, String uploadId) throws S3MetadataException {
    byte[] keyBytes = ObjectKeys.check(key);
    return transaction("read a multipart upload from", false, c -> upload(c, bucket, keyBytes, uploadId, ""));
  }

  /** The upload, locked as asked; {@code NoSuchUpload} unless it is this bucket's and key's. */
  private MultipartUpload upload(Connection c, String bucket, byte[] key, String uploadId, String lock)
      throws SQLException, S3MetadataException {
    try (PreparedStatement st = c.prepareStatement(
        "SELECT " + UPLOAD_COLUMNS + " FROM s3_uploads WHERE upload_id = ? AND bucket = ? AND object_key = ?" + lock)) {
      st.setString(1, uploadId);
      st.setString(2, bucket);
      st.setBytes(3, key);
      try (ResultSet rs = st.executeQuery()) {
        if (rs.next()) {
          return upload(rs);
        }
      }
    }
    requireBucket(c, bucket);
    throw new S3MetadataException(NO_SUCH_UPLOAD,
        "no multipart upload " + uploadId + " for key " + ObjectKeys.text(key) + " in bucket " + bucket);
  }

  private static MultipartUpload upload(ResultSet rs) throws SQLException {
    ObjectAttributes attributes = new ObjectAttributes(rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
        map(rs.getString(9)));
    return new MultipartUpload(rs.getString(2), ObjectKeys.text(rs.getBytes(3)), rs.getString(1), rs.getString(4),
        attributes, Instant.ofEpochMilli(rs.getLong(10)));
  }

  @Override
  public PutPartResult putPart(String bucket, String key, String uploadId, int partNumber, String cid, long size,
                               String etag) throws S3MetadataException {
    byte[] keyBytes = ObjectKeys.check(key);
    if (partNumber < 1 || partNumber > MAX_PART_NUMBER) {
      throw new S3MetadataException(INVALID_ARGUMENT,
          "Part number must be an integer between 1 and " + MAX_PART_NUMBER + ", inclusive: " + partNumber);
    }
    String tag = Etags.unquote(etag);
    if (!Etags.isHexMd5(tag)) {
      throw new IllegalArgumentException("a part's ETag is its hex MD5, not " + etag);
    }
    if (size < 0 || cid == null) {
      throw new IllegalArgumentException("a part needs a CID and a size >= 0");
    }
    long now = clock.millis();
    return transaction("store a part in", true, c -> {
      upload(c, bucket, keyBytes, uploadId, dialect.forShare()); // held until commit: complete/abort wait for us
      Optional<Part> old = selectPart(c, uploadId, partNumber);
      String sql = old.isPresent()
          ? "UPDATE s3_parts SET cid = ?, size = ?, etag = ?, last_modified_ms = ? WHERE upload_id = ? AND part_number = ?"
          : "INSERT INTO s3_parts (cid, size, etag, last_modified_ms, upload_id, part_number) VALUES (?, ?, ?, ?, ?, ?)";
      try (PreparedStatement st = c.prepareStatement(sql)) {
        st.setString(1, cid);
        st.setLong(2, size);
        st.setString(3, tag);
        st.setLong(4, now);
        st.setString(5, uploadId);
        st.setInt(6, partNumber);
        st.executeUpdate();
      }
      Part part = new Part(partNumber, cid, size, tag, Instant.ofEpochMilli(now));
      return new PutPartResult(part, old, unreferenced(c, old.map(Part::cid).stream().toList()));
    });
  }

  private Optional<Part> selectPart(Connection c, String uploadId, int partNumber) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT " + PART_COLUMNS
        + " FROM s3_parts WHERE upload_id = ? AND part_number = ?" + dialect.forUpdate())) {
      st.setString(1, uploadId);
      st.setInt(2, partNumber);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(part(rs)) : Optional.empty();
      }
    }
  }

  private static Part part(ResultSet rs) throws SQLException {
    return new Part(rs.getInt(1), rs.getString(2), rs.getLong(3), rs.getString(4), Instant.ofEpochMilli(rs.getLong(5)));
  }

  private static List<Part> parts(Connection c, String uploadId, int afterPartNumber, int limit) throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT " + PART_COLUMNS
        + " FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?")) {
      st.setString(1, uploadId);
      st.setInt(2, afterPartNumber);
      st.setInt(3, limit);
      List<Part> out = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(part(rs));
        }
      }
      return out;
    }
  }

  @Override
  public PartListing listParts(String bucket, String key, String uploadId, int partNumberMarker, int maxParts)
      throws S3MetadataException {
    byte[] keyBytes = ObjectKeys.check(key);
    int max = listLimit(maxParts, "max-parts");
    if (partNumberMarker < 0) {
      throw new S3MetadataException(INVALID_ARGUMENT, "part-number-marker must be a non-negative integer");
    }
    return transaction("list parts in", false, c -> {
      upload(c, bucket, keyBytes, uploadId, "");
      List<Part> got = max == 0 ? List.of() : parts(c, uploadId, partNumberMarker, max + 1);
      boolean truncated = got.size() > max;
      List<Part> page = truncated ? List.copyOf(got.subList(0, max)) : got;
      int next = page.isEmpty() ? 0 : page.get(page.size() - 1).partNumber();
      return new PartListing(page, truncated, next);
    });
  }

  @Override
  public UploadListing listMultipartUploads(String bucket, String prefix, String delimiter, String keyMarker,
                                            String uploadIdMarker, int maxUploads) throws S3MetadataException {
    int max = listLimit(maxUploads, "max-uploads");
    byte[] prefixBytes = prefix == null ? new byte[0] : ObjectKeys.utf8(prefix);
    byte[] delimiterBytes = delimiter == null || delimiter.isEmpty() ? null : ObjectKeys.utf8(delimiter);
    byte[] marker = keyMarker == null || keyMarker.isEmpty() ? null : ObjectKeys.utf8(keyMarker);
    String idMarker = marker == null || uploadIdMarker == null || uploadIdMarker.isEmpty() ? null : uploadIdMarker;
    PrefixScan.Result<MultipartUpload> page = transaction("list multipart uploads in", false, c -> {
      requireBucket(c, bucket);
      PrefixScan.From start = PrefixScan.start(prefixBytes, delimiterBytes, marker, idMarker);
      return PrefixScan.scan(prefixBytes, delimiterBytes, start, max,
          (from, end, limit) -> {
            String position = from.uploadId() != null
                ? "(object_key > ? OR (object_key = ? AND upload_id > ?))"
                : "object_key " + (from.inclusive() ? ">=" : ">") + " ?";
            String sql = "SELECT " + UPLOAD_COLUMNS + " FROM s3_uploads WHERE bucket = ? AND " + position
                + (end == null ? "" : " AND object_key < ?") + " ORDER BY object_key, upload_id LIMIT ?";
            try (PreparedStatement st = c.prepareStatement(sql)) {
              int i = 1;
              st.setString(i++, bucket);
              st.setBytes(i++, from.key());
              if (from.uploadId() != null) {
                st.setBytes(i++, from.key());
                st.setString(i++, from.uploadId());
              }
              if (end != null) {
                st.setBytes(i++, end);
              }
              st.setInt(i, limit);
              List<MultipartUpload> rows = new ArrayList<>();
              try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                  rows.add(upload(rs));
                }
              }
              return rows;
            }
          },
          u -> utf8Unchecked(u.key()),
          u -> new PrefixScan.From(utf8Unchecked(u.key()), false, u.uploadId()));
    });
    List<String> prefixes = page.prefixes().stream().map(ObjectKeys::text).toList();
    String nextKey = page.truncated() ? ObjectKeys.text(page.lastKey()) : null;
    String nextId = page.truncated() && page.lastRow() != null ? page.lastRow().uploadId() : null;
    return new UploadListing(List.copyOf(page.rows()), prefixes, page.truncated(), nextKey, nextId);
  }

  @Override
  public List<Part> checkCompletion(String bucket, String key, String uploadId, List<CompletedPart> parts)
      throws S3MetadataException {
    byte[] keyBytes = ObjectKeys.check(key);
    checkOrder(parts);
    return transaction("check a multipart completion in", false, c -> {
      upload(c, bucket, keyBytes, uploadId, "");
      return chooseParts(parts, storedParts(c, uploadId));
    });
  }

  @Override
  public CompletedUpload completeMultipartUpload(String bucket, String key, String uploadId, List<CompletedPart> parts,
                                                 String cid) throws S3MetadataException {
    byte[] keyBytes = ObjectKeys.check(key);
    checkOrder(parts);
    if (cid == null) {
      throw new IllegalArgumentException("the completed object needs a CID");
    }
    long now = clock.millis();
    return transaction("complete a multipart upload in", true, c -> {
      MultipartUpload upload = upload(c, bucket, keyBytes, uploadId, dialect.forUpdate());
      Map<Integer, Part> stored = storedParts(c, uploadId);
      List<Part> used = chooseParts(parts, stored);
      Set<Integer> usedNumbers = new LinkedHashSet<>();
      used.forEach(p -> usedNumbers.add(p.partNumber()));
      List<Part> discarded = stored.values().stream().filter(p -> !usedNumbers.contains(p.partNumber())).toList();
      deleteUpload(c, uploadId);
      long size = used.stream().mapToLong(Part::size).sum();
      S3Object object = new S3Object(bucket, key, cid, size, Etags.multipart(used), upload.attributes(),
          Instant.ofEpochMilli(now), used.stream().map(Part::size).toList());
      Optional<S3Object> replaced = writeObject(c, keyBytes, object, json(upload.attributes().userMetadata()));
      // Every part's own root goes: the object's DAG (and its pin) now holds the bytes.
      List<String> candidates = new ArrayList<>(stored.values().stream().map(Part::cid).toList());
      replaced.ifPresent(r -> candidates.add(r.cid()));
      return new CompletedUpload(object, used, discarded, replaced, unreferenced(c, candidates));
    });
  }

  @Override
  public AbortedUpload abortMultipartUpload(String bucket, String key, String uploadId) throws S3MetadataException {
    byte[] keyBytes = ObjectKeys.check(key);
    return transaction("abort a multipart upload in", true, c -> {
      MultipartUpload upload = upload(c, bucket, keyBytes, uploadId, dialect.forUpdate());
      List<Part> parts = List.copyOf(storedParts(c, uploadId).values());
      deleteUpload(c, uploadId);
      return new AbortedUpload(upload, parts, unreferenced(c, parts.stream().map(Part::cid).toList()));
    });
  }

  private static void deleteUpload(Connection c, String uploadId) throws SQLException {
    for (String sql : List.of("DELETE FROM s3_parts WHERE upload_id = ?", "DELETE FROM s3_uploads WHERE upload_id = ?")) {
      try (PreparedStatement st = c.prepareStatement(sql)) {
        st.setString(1, uploadId);
        st.executeUpdate();
      }
    }
  }

  /** All parts of the upload by number (at most 10,000 rows of a few fields). */
  private static Map<Integer, Part> storedParts(Connection c, String uploadId) throws SQLException {
    Map<Integer, Part> out = new LinkedHashMap<>();
    for (Part p : parts(c, uploadId, 0, MAX_PART_NUMBER)) {
      out.put(p.partNumber(), p);
    }
    return out;
  }

  private static void checkOrder(List<CompletedPart> parts) throws S3MetadataException {
    if (parts == null || parts.isEmpty()) {
      throw new S3MetadataException(MALFORMED_XML, "a CompleteMultipartUpload request names at least one part");
    }
    for (int i = 1; i < parts.size(); i++) {
      if (parts.get(i).partNumber() <= parts.get(i - 1).partNumber()) {
        throw new S3MetadataException(INVALID_PART_ORDER, "The list of parts was not in ascending order: part "
            + parts.get(i).partNumber() + " follows part " + parts.get(i - 1).partNumber());
      }
    }
  }

  /** The stored parts the request names, in its order, after S3's checks (order checked before). */
  private static List<Part> chooseParts(List<CompletedPart> requested, Map<Integer, Part> stored) throws S3MetadataException {
    List<Part> out = new ArrayList<>(requested.size());
    for (CompletedPart want : requested) {
      Part have = stored.get(want.partNumber());
      if (have == null || want.etag() == null || !Etags.unquote(want.etag()).equalsIgnoreCase(have.etag())) {
        throw new S3MetadataException(INVALID_PART, "One or more of the specified parts could not be found or its "
            + "entity tag did not match: part " + want.partNumber());
      }
      out.add(have);
    }
    for (int i = 0; i < out.size() - 1; i++) {
      if (out.get(i).size() < MIN_PART_SIZE) {
        throw new S3MetadataException(ENTITY_TOO_SMALL, "Your proposed upload is smaller than the minimum allowed size: part "
            + out.get(i).partNumber() + " has " + out.get(i).size() + " bytes; every part but the last has at least "
            + MIN_PART_SIZE);
      }
    }
    return out;
  }

  // ---- plumbing ---------------------------------------------------------------------------

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException, S3MetadataException;
  }

  /**
   * Runs {@code work} on a pooled connection: a write as one transaction (committed, or rolled
   * back on any failure, and run again when it lost a race the database reports), a read in
   * auto-commit.
   */
  private <T> T transaction(String what, boolean write, Work<T> work) throws S3MetadataException {
    for (int attempt = 1; ; attempt++) {
      Connection c = pool.borrow();
      boolean broken = false;
      try {
        if (!write) {
          return work.run(c);
        }
        c.setAutoCommit(false);
        boolean committed = false;
        try {
          T result = work.run(c);
          c.commit();
          committed = true;
          return result;
        } finally {
          if (!committed) {
            broken |= !rollback(c);
          }
          broken |= !autoCommit(c);
        }
      } catch (SQLException e) {
        broken |= dialect.connectionBroken(e);
        if (dialect.retryable(e) && attempt < MAX_ATTEMPTS) {
          pause(attempt);
          continue;
        }
        throw new S3MetadataException(INTERNAL_ERROR, "cannot " + what + " " + description + ": " + e.getMessage(), e);
      } finally {
        pool.release(c, broken);
      }
    }
  }

  private static boolean rollback(Connection c) {
    try {
      c.rollback();
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  private static boolean autoCommit(Connection c) {
    try {
      c.setAutoCommit(true);
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  /** A short random pause, so transactions that collided do not collide again in step. */
  private static void pause(int attempt) throws S3MetadataException {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(1, 2L + 4L * attempt));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new S3MetadataException(S3MetadataException.SERVICE_UNAVAILABLE, "interrupted");
    }
  }

  private static void setNullable(PreparedStatement st, int index, String value) throws SQLException {
    if (value == null) {
      st.setNull(index, Types.VARCHAR);
    } else {
      st.setString(index, value);
    }
  }

  private static String json(Map<String, String> map) {
    try {
      return JSON.writeValueAsString(map);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write user metadata as JSON", e);
    }
  }

  private static Map<String, String> map(String json) throws SQLException {
    try {
      return JSON.readValue(json, STRING_MAP);
    } catch (JsonProcessingException e) {
      throw new SQLException("corrupt user metadata in the database: " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  @Override
  public String toString() {
    return "JdbcS3Metadata[" + description + "]";
  }
}
