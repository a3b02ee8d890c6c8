package io.canopy.validator.ledger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The double-entry ledger (spec/settlement.md §7.2–7.3, §7.7) in SQL: embedded SQLite by default,
 * PostgreSQL by config, one schema (tables {@code ledger_*}) created or migrated on open.
 *
 * <p>Every write is one database transaction: the postings, the balance rows they change and, for
 * a settlement, the settlement record are committed together or not at all. Balances are kept as
 * rows for fast reads and are always equal to the sum of the account's postings ({@code
 * LedgerVerifier} checks that). No account but {@link Accounts#EXTERNAL} may go below zero; a
 * transaction that would take one there is refused and nothing of the write is kept.
 *
 * <p>One connection, used by one thread at a time. SQLite runs in WAL mode with {@code
 * synchronous=FULL} (a commit is on disk when it returns) and {@code BEGIN IMMEDIATE}, so a second
 * process on the same file waits for the first. On PostgreSQL every write takes a transaction
 * advisory lock, so validators sharing one database write one at a time.
 */
public final class Ledger implements AutoCloseable {
  /** 1: postings, balances, settlements. */
  static final int SCHEMA_VERSION = 1;
  static final int SQLITE_BUSY_TIMEOUT_MILLIS = 30_000;
  private static final String PG_WRITE_LOCK = "SELECT pg_advisory_xact_lock(7310422718)";
  private static final int BATCH = 5_000;

  /** The two databases the ledger runs on. */
  public enum Dialect {
    SQLITE("BLOB", "TEXT"),
    POSTGRESQL("BYTEA", "TEXT COLLATE \"C\"");

    final String bytesType;
    final String textType;

    Dialect(String bytesType, String textType) {
      this.bytesType = bytesType;
      this.textType = textType;
    }
  }

  /** The body of a write: everything it posts is committed together, or nothing if it throws. */
  @FunctionalInterface
  public interface WriteBody<T> {
    T run(Tx tx);
  }

  private final Connection connection;
  private final Dialect dialect;
  private final String description;

  private Ledger(Connection connection, Dialect dialect, String description) {
    this.connection = connection;
    this.dialect = dialect;
    this.description = description;
  }

  // ---- opening ----------------------------------------------------------------------------

  /** Opens (creating if needed) the SQLite ledger {@code file}: WAL, synchronous=FULL. */
  public static Ledger openSqlite(Path file) {
    Path path = file.toAbsolutePath();
    try {
      if (path.getParent() != null) {
        Files.createDirectories(path.getParent());
      }
    } catch (IOException e) {
      throw new LedgerException("cannot create the folder of the ledger " + path + ": " + e.getMessage(), e);
    }
    Properties props = new Properties();
    props.setProperty("journal_mode", "WAL");
    props.setProperty("synchronous", "FULL");
    props.setProperty("busy_timeout", Integer.toString(SQLITE_BUSY_TIMEOUT_MILLIS));
    props.setProperty("transaction_mode", "IMMEDIATE");
    try {
      return open(DriverManager.getConnection("jdbc:sqlite:" + path, props), Dialect.SQLITE, "ledger " + path);
    } catch (SQLException e) {
      throw new LedgerException("cannot open the ledger " + path + ": " + e.getMessage(), e);
    }
  }

  /** Connects to the PostgreSQL ledger at {@code jdbcUrl} ({@code jdbc:postgresql://…}). */
  public static Ledger openPostgres(String jdbcUrl) {
    return openPostgres(jdbcUrl, new Properties());
  }

  public static Ledger openPostgres(String jdbcUrl, Properties properties) {
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new LedgerException("not a PostgreSQL JDBC URL: " + redacted(jdbcUrl));
    }
    int query = jdbcUrl.indexOf('?');
    String shown = "ledger PostgreSQL " + (query < 0 ? jdbcUrl : jdbcUrl.substring(0, query));
    try {
      return open(DriverManager.getConnection(jdbcUrl, properties), Dialect.POSTGRESQL, shown);
    } catch (SQLException e) {
      throw new LedgerException("cannot open the " + shown + ": " + e.getMessage(), e);
    }
  }

  private static Ledger open(Connection c, Dialect dialect, String description) {
    Ledger ledger = new Ledger(c, dialect, description);
    try {
      ledger.createSchema();
    } catch (RuntimeException e) {
      ledger.close();
      throw e;
    }
    return ledger;
  }

  private void createSchema() {
    String text = dialect.textType;
    List<String> ddl = List.of(
        "CREATE TABLE IF NOT EXISTS ledger_schema (version INTEGER NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS ledger_postings (
          seq     BIGINT PRIMARY KEY,
          tx      BIGINT NOT NULL,
          epoch   BIGINT NOT NULL,      -- -1: a deposit or withdrawal
          kind    TEXT NOT NULL,
          memo    TEXT NOT NULL,
          account %1$s NOT NULL,
          amount  BIGINT NOT NULL       -- micro-credits into the account; negative: out of it
        )""".formatted(text),
        "CREATE INDEX IF NOT EXISTS ledger_postings_epoch ON ledger_postings (epoch, seq)",
        """
        CREATE TABLE IF NOT EXISTS ledger_balances (
          account %1$s PRIMARY KEY,
          balance BIGINT NOT NULL
        )""".formatted(text),
        """
        CREATE TABLE IF NOT EXISTS ledger_settlements (
          epoch  BIGINT PRIMARY KEY,
          record %1$s NOT NULL,         -- the settlement record's encoding, signatures included
          hash   %1$s NOT NULL          -- SHA-256 of record
        )""".formatted(dialect.bytesType));
    inTransaction(() -> {
      try (Statement st = connection.createStatement()) {
        if (dialect == Dialect.POSTGRESQL) {
          st.execute(PG_WRITE_LOCK);
        }
        for (String sql : ddl) {
          st.execute(sql);
        }
        int version;
        try (ResultSet rs = st.executeQuery("SELECT MAX(version) FROM ledger_schema")) {
          rs.next();
          version = rs.getInt(1);
          if (rs.wasNull()) {
            version = 0;
          }
        }
        if (version == 0) {
          st.executeUpdate("INSERT INTO ledger_schema (version) VALUES (" + SCHEMA_VERSION + ")");
        } else if (version > SCHEMA_VERSION) {
          throw new LedgerException(description + " has schema version " + version + ", newer than this validator's " + SCHEMA_VERSION);
        }
      }
      return null;
    });
  }

  public Dialect dialect() {
    return dialect;
  }

  // ---- deposits and withdrawals ----------------------------------------------------------

  /** Credits {@code amount} micro-credits (> 0) to {@code account} from {@code external}; returns the transaction id. */
  public long deposit(String account, long amount) {
    checkTransferable(account, amount);
    return write(tx -> tx.post(Posting.NO_EPOCH, LedgerTransaction.transfer("deposit", "", Accounts.EXTERNAL, account, amount)));
  }

  /** Pays {@code amount} (> 0) out of {@code account} to {@code external}; refused if the balance is short. */
  public long withdraw(String account, long amount) {
    checkTransferable(account, amount);
    return write(tx -> tx.post(Posting.NO_EPOCH, LedgerTransaction.transfer("withdrawal", "", account, Accounts.EXTERNAL, amount)));
  }

  private static void checkTransferable(String account, long amount) {
    Accounts.check(account);
    if (account.equals(Accounts.EXTERNAL)) {
      throw new LedgerException("deposits and withdrawals move value to and from 'external', not within it");
    }
    if (amount <= 0) {
      throw new LedgerException("amount must be a positive number of micro-credits, not " + amount);
    }
  }

  // ---- reads ------------------------------------------------------------------------------

  /** The account's balance; 0 for an account that never had a posting. */
  public synchronized long balance(String account) {
    Accounts.check(account);
    return read(() -> {
      try (PreparedStatement ps = connection.prepareStatement("SELECT balance FROM ledger_balances WHERE account = ?")) {
        ps.setString(1, account);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? rs.getLong(1) : 0L;
        }
      }
    });
  }

  /** Every balance row, by account name. */
  public synchronized Map<String, Long> balances() {
    return read(() -> {
      Map<String, Long> out = new TreeMap<>();
      try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT account, balance FROM ledger_balances")) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getLong(2));
        }
      }
      return out;
    });
  }

  /** The postings of settled epoch {@code epoch} ({@link Posting#NO_EPOCH}: deposits and withdrawals), in order. */
  public synchronized List<Posting> postings(long epoch) {
    List<Posting> out = new ArrayList<>();
    read(() -> {
      try (PreparedStatement ps = connection.prepareStatement(
          "SELECT seq, tx, epoch, kind, memo, account, amount FROM ledger_postings WHERE epoch = ? ORDER BY seq")) {
        ps.setLong(1, epoch);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(posting(rs));
          }
        }
      }
      return null;
    });
    return out;
  }

  /** Every posting, in ledger order (by seq). */
  public synchronized void forEachPosting(Consumer<Posting> sink) {
    read(() -> {
      try (Statement st = connection.createStatement();
           ResultSet rs = st.executeQuery("SELECT seq, tx, epoch, kind, memo, account, amount FROM ledger_postings ORDER BY seq")) {
        while (rs.next()) {
          sink.accept(posting(rs));
        }
      }
      return null;
    });
  }

  /** The settled epochs, ascending. */
  public synchronized List<Long> epochs() {
    return read(() -> {
      List<Long> out = new ArrayList<>();
      try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT epoch FROM ledger_settlements ORDER BY epoch")) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
      return out;
    });
  }

  public synchronized Optional<StoredRecord> record(long epoch) {
    return read(() -> readRecord(epoch));
  }

  /** The record of the last settled epoch, if any. */
  public synchronized Optional<StoredRecord> lastRecord() {
    return read(this::readLastRecord);
  }

  /** Every settlement record, by epoch. */
  public synchronized List<StoredRecord> records() {
    return read(() -> {
      List<StoredRecord> out = new ArrayList<>();
      try (Statement st = connection.createStatement();
           ResultSet rs = st.executeQuery("SELECT epoch, record, hash FROM ledger_settlements ORDER BY epoch")) {
        while (rs.next()) {
          out.add(new StoredRecord(rs.getLong(1), rs.getBytes(2), rs.getBytes(3)));
        }
      }
      return out;
    });
  }

  /** At most {@code max} settlement records of epochs {@code >= fromEpoch}, ascending (what {@code /canopy/records/1.0.0} serves). */
  public synchronized List<StoredRecord> records(long fromEpoch, int max) {
    if (max <= 0) {
      return List.of();
    }
    return read(() -> {
      List<StoredRecord> out = new ArrayList<>();
      try (PreparedStatement ps = connection.prepareStatement(
          "SELECT epoch, record, hash FROM ledger_settlements WHERE epoch >= ? ORDER BY epoch LIMIT ?")) {
        ps.setLong(1, fromEpoch);
        ps.setInt(2, max);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(new StoredRecord(rs.getLong(1), rs.getBytes(2), rs.getBytes(3)));
          }
        }
      }
      return out;
    });
  }

  private Optional<StoredRecord> readRecord(long epoch) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("SELECT epoch, record, hash FROM ledger_settlements WHERE epoch = ?")) {
      ps.setLong(1, epoch);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new StoredRecord(rs.getLong(1), rs.getBytes(2), rs.getBytes(3))) : Optional.empty();
      }
    }
  }

  private Optional<StoredRecord> readLastRecord() throws SQLException {
    try (Statement st = connection.createStatement();
         ResultSet rs = st.executeQuery("SELECT epoch, record, hash FROM ledger_settlements ORDER BY epoch DESC LIMIT 1")) {
      return rs.next() ? Optional.of(new StoredRecord(rs.getLong(1), rs.getBytes(2), rs.getBytes(3))) : Optional.empty();
    }
  }

  private static Posting posting(ResultSet rs) throws SQLException {
    return new Posting(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getLong(7));
  }

  // ---- writes -----------------------------------------------------------------------------

  /**
   * Runs {@code body} as one database transaction: what it posts and the records it puts are
   * committed together when it returns, and nothing is kept if it throws.
   */
  public synchronized <T> T write(WriteBody<T> body) {
    return inTransaction(() -> {
      if (dialect == Dialect.POSTGRESQL) {
        try (Statement st = connection.createStatement()) {
          st.execute(PG_WRITE_LOCK);
        }
      }
      Tx tx = new Tx();
      T result = body.run(tx);
      tx.flush();
      return result;
    });
  }

  /**
   * A write in progress: reads see its own postings; balances are checked as each transaction is
   * posted and written when the write commits.
   */
  public final class Tx {
    private final Map<String, Long> balances = new HashMap<>();
    private final Map<String, Long> touched = new LinkedHashMap<>();
    private final List<Posting> pending = new ArrayList<>();
    private final List<StoredRecord> records = new ArrayList<>();
    private long nextSeq;
    private long nextTx;

    private Tx() throws SQLException {
      try (Statement st = connection.createStatement();
           ResultSet rs = st.executeQuery("SELECT COALESCE(MAX(seq), 0), COALESCE(MAX(tx), 0) FROM ledger_postings")) {
        rs.next();
        nextSeq = rs.getLong(1) + 1;
        nextTx = rs.getLong(2) + 1;
      }
    }

    /** The balance, including what this write posted so far. */
    public long balance(String account) {
      Long b = balances.get(account);
      if (b != null) {
        return b;
      }
      long stored = sql(() -> {
        try (PreparedStatement ps = connection.prepareStatement("SELECT balance FROM ledger_balances WHERE account = ?")) {
          ps.setString(1, account);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getLong(1) : 0L;
          }
        }
      });
      balances.put(account, stored);
      return stored;
    }

    /**
     * Posts {@code t} in {@code epoch}; refused (a {@link LedgerException}, and the whole write
     * undone) if it would take an account other than {@code external} below zero.
     */
    public long post(long epoch, LedgerTransaction t) {
      Map<String, Long> after = new HashMap<>();
      for (LedgerTransaction.Entry e : t.entries()) {
        long b = after.containsKey(e.account()) ? after.get(e.account()) : balance(e.account());
        after.put(e.account(), Math.addExact(b, e.amount()));
      }
      for (Map.Entry<String, Long> a : after.entrySet()) {
        if (a.getValue() < 0 && !a.getKey().equals(Accounts.EXTERNAL)) {
          throw new LedgerException("insufficient balance: " + t.kind() + (t.memo().isEmpty() ? "" : " " + t.memo()) + " would take "
              + a.getKey() + " to " + a.getValue() + " (balance " + balance(a.getKey()) + ")");
        }
      }
      long id = nextTx++;
      for (LedgerTransaction.Entry e : t.entries()) {
        pending.add(new Posting(nextSeq++, id, epoch, t.kind(), t.memo(), e.account(), e.amount()));
      }
      balances.putAll(after);
      for (String account : after.keySet()) {
        touched.put(account, after.get(account));
      }
      if (pending.size() >= BATCH) {
        flushPostings();
      }
      return id;
    }

    public Optional<StoredRecord> record(long epoch) {
      return sql(() -> readRecord(epoch));
    }

    public Optional<StoredRecord> lastRecord() {
      return sql(Ledger.this::readLastRecord);
    }

    /** Stores a settlement record, committed with this write's postings. */
    public void putRecord(StoredRecord record) {
      records.add(record);
    }

    private void flushPostings() {
      if (pending.isEmpty()) {
        return;
      }
      sql(() -> {
        try (PreparedStatement ps = connection.prepareStatement(
            "INSERT INTO ledger_postings (seq, tx, epoch, kind, memo, account, amount) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
          for (Posting p : pending) {
            ps.setLong(1, p.seq());
            ps.setLong(2, p.tx());
            ps.setLong(3, p.epoch());
            ps.setString(4, p.kind());
            ps.setString(5, p.memo());
            ps.setString(6, p.account());
            ps.setLong(7, p.amount());
            ps.addBatch();
          }
          ps.executeBatch();
        }
        return null;
      });
      pending.clear();
    }

    private void flush() throws SQLException {
      flushPostings();
      try (PreparedStatement ps = connection.prepareStatement(
          "INSERT INTO ledger_balances (account, balance) VALUES (?, ?) "
              + "ON CONFLICT (account) DO UPDATE SET balance = excluded.balance")) {
        int n = 0;
        for (Map.Entry<String, Long> a : touched.entrySet()) {
          ps.setString(1, a.getKey());
          ps.setLong(2, a.getValue());
          ps.addBatch();
          if (++n % BATCH == 0) {
            ps.executeBatch();
          }
        }
        ps.executeBatch();
      }
      try (PreparedStatement ps = connection.prepareStatement("INSERT INTO ledger_settlements (epoch, record, hash) VALUES (?, ?, ?)")) {
        for (StoredRecord r : records) {
          ps.setLong(1, r.epoch());
          ps.setBytes(2, r.encoded());
          ps.setBytes(3, r.hash());
          ps.executeUpdate();
        }
      }
    }
  }

  // ---- plumbing ---------------------------------------------------------------------------

  @FunctionalInterface
  private interface SqlBody<T> {
    T run() throws SQLException;
  }

  private <T> T sql(SqlBody<T> body) {
    try {
      return body.run();
    } catch (SQLException e) {
      throw new LedgerException(description + ": " + e.getMessage(), e);
    }
  }

  private synchronized <T> T read(SqlBody<T> body) {
    return sql(body);
  }

  private <T> T inTransaction(SqlBody<T> body) {
    try {
      connection.setAutoCommit(false);
      try {
        T result = body.run();
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        try {
          connection.rollback();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new LedgerException(description + ": " + e.getMessage(), e);
    }
  }

  /** The URL without its password, for messages. */
  static String redacted(String url) {
    return url.replaceAll("password=[^&]*", "password=***");
  }

  @Override
  public synchronized void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      throw new LedgerException("closing the " + description + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return description;
  }
}
