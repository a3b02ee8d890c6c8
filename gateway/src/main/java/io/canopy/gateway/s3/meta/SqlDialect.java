package io.canopy.gateway.s3.meta;

import java.sql.SQLException;

/**
 * The few places where SQLite and PostgreSQL differ for this schema. Everything else is the same
 * portable SQL ({@code INSERT ... ON CONFLICT}, {@code LIMIT}, {@code UNION ALL}).
 */
public enum SqlDialect {
  /**
   * One embedded file in WAL mode. Writes are serialized (one connection per store, {@code BEGIN
   * IMMEDIATE} across processes), so row locks are not needed and do not exist.
   */
  SQLITE("BLOB", "TEXT", "", "", null),
  /**
   * Shared by several gateways at READ COMMITTED: rows a transaction decides on are locked ({@code
   * FOR UPDATE} / {@code FOR SHARE}); races the locks cannot stop (two inserts of one new key, a
   * write into a bucket being deleted) surface as constraint violations and the transaction is run
   * again, when its checks then give the right S3 error.
   */
  POSTGRESQL("BYTEA", "TEXT COLLATE \"C\"", " FOR UPDATE", " FOR SHARE", "SELECT pg_advisory_xact_lock(4751300411)");

  private final String bytesType;
  private final String asciiTextType;
  private final String forUpdate;
  private final String forShare;
  private final String schemaLock;

  SqlDialect(String bytesType, String asciiTextType, String forUpdate, String forShare, String schemaLock) {
    this.bytesType = bytesType;
    this.asciiTextType = asciiTextType;
    this.forUpdate = forUpdate;
    this.forShare = forShare;
    this.schemaLock = schemaLock;
  }

  /** The dialect of a JDBC URL ({@code jdbc:sqlite:...} or {@code jdbc:postgresql:...}). */
  public static SqlDialect ofJdbcUrl(String url) {
    if (url.startsWith("jdbc:sqlite:")) {
      return SQLITE;
    }
    if (url.startsWith("jdbc:postgresql:")) {
      return POSTGRESQL;
    }
    throw new IllegalArgumentException("unsupported database URL (want jdbc:sqlite: or jdbc:postgresql:): " + url);
  }

  /** Column type of object keys: raw UTF-8 bytes, compared byte-wise (memcmp) in both. */
  String bytesType() {
    return bytesType;
  }

  /** Column type of names and ids that must sort byte-wise too (bucket names, upload ids). */
  String asciiTextType() {
    return asciiTextType;
  }

  /** Suffix locking the selected rows against concurrent writers, until commit. */
  String forUpdate() {
    return forUpdate;
  }

  /** Suffix locking the selected rows against deletion and update, shared with other readers. */
  String forShare() {
    return forShare;
  }

  /** A statement that serializes schema creation between gateways starting together, or null. */
  String schemaLock() {
    return schemaLock;
  }

  /** Whether the transaction that failed with {@code e} should simply run again. */
  boolean retryable(SQLException e) {
    if (this == POSTGRESQL) {
      String state = e.getSQLState();
      return "40001".equals(state)    // serialization_failure
          || "40P01".equals(state)    // deadlock_detected
          || "23505".equals(state)    // unique_violation: a concurrent insert of the same new row
          || "23503".equals(state);   // foreign_key_violation: the bucket or upload went meanwhile
    }
    int primary = e.getErrorCode() & 0xff;
    return primary == 5 || primary == 6; // SQLITE_BUSY, SQLITE_LOCKED (after busy_timeout)
  }

  /** Whether the connection that threw {@code e} should be dropped rather than reused. */
  boolean connectionBroken(SQLException e) {
    String state = e.getSQLState();
    return state != null && state.startsWith("08"); // connection exception class
  }
}
