package io.canopy.content.pin;

import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.dag.DagWalker;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multihash;
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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Recursive and direct pins, persisted in the node's SQLite database (table {@code pins}; other
 * components keep their own tables in the same file). Indirect pins are not stored: they are the
 * blocks reachable from recursive pins, found by walking the DAGs in the {@link Blockstore}.
 *
 * <p>Pins are keyed by the CID exactly as given, so a CIDv0 pin is listed as v0, and pinning the v0
 * and the v1 of one DAG makes two pins (as in Kubo). A CID has at most one stored pin: pinning
 * recursively replaces a direct pin, and pinning directly what is pinned recursively is refused.
 *
 * <p>Thread-safe: one JDBC connection, used under this object's lock.
 */
public final class PinStore implements AutoCloseable {
  /** How long a write waits for another connection to the same database (WAL allows one writer). */
  private static final int BUSY_TIMEOUT_MILLIS = 5_000;

  private static final String CREATE_TABLE = """
      CREATE TABLE IF NOT EXISTS pins (
        cid  TEXT PRIMARY KEY,  -- the CID as given: base58btc for v0, base32 for v1
        type TEXT NOT NULL CHECK (type IN ('recursive', 'direct'))
      )""";

  private final Path database;
  private final Blockstore blocks;
  private final Connection db;

  /** Opens (creating if needed) the database file and the {@code pins} table. */
  public PinStore(Path database, Blockstore blocks) throws IOException {
    this.database = database;
    this.blocks = blocks;
    Path parent = database.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try {
      db = DriverManager.getConnection("jdbc:sqlite:" + database.toAbsolutePath());
    } catch (SQLException e) {
      throw failure("open", e);
    }
    try (Statement st = db.createStatement()) {
      st.execute("PRAGMA busy_timeout = " + BUSY_TIMEOUT_MILLIS);
      // WAL: readers never block the writer, and a crash leaves the last committed state.
      try (ResultSet rs = st.executeQuery("PRAGMA journal_mode = WAL")) {
        String mode = rs.next() ? rs.getString(1) : "";
        if (!"wal".equalsIgnoreCase(mode)) {
          throw new IOException("pin database " + database + " did not switch to WAL mode (got '" + mode + "')");
        }
      }
      st.execute(CREATE_TABLE);
    } catch (SQLException | IOException e) {
      closeQuietly();
      throw e instanceof IOException io ? io : failure("create the pins table in", (SQLException) e);
    }
  }

  /**
   * Pins {@code cid} and everything reachable from it. The whole DAG must already be in the
   * blockstore: pinning what is not there would promise data the node does not hold. A no-op if
   * already pinned recursively; replaces a direct pin.
   *
   * @throws PinException naming the first missing (or unreadable) block, in depth-first order
   */
  public synchronized void pinRecursive(Cid cid) throws IOException {
    if (storedType(cid).orElse(null) == PinType.RECURSIVE) {
      return;
    }
    DagWalker.over(blocks).walk(cid, new DagWalker.Visitor() {
      @Override
      public boolean visit(Cid block, byte[] data) {
        return true;
      }

      @Override
      public boolean unresolved(Cid block, Exception cause) throws PinException {
        String why = cause instanceof BlockNotFoundException
            ? "block " + block + " of its DAG is not in the local store"
            : cause.getMessage();
        throw new PinException("cannot pin " + cid + " recursively: " + why, cause);
      }
    });
    blocks.sync(); // the pin is recorded only once the blocks it protects are durable
    upsert(cid, PinType.RECURSIVE);
  }

  /**
   * Pins a DAG that the caller has just written in full to this store (an import), without
   * walking it again to check that every block is there: after a 1 GiB add that walk would read
   * the whole file back. Everything else goes through {@link #pinRecursive}.
   */
  public synchronized void pinRecursiveJustWritten(Cid cid) throws IOException {
    if (!blocks.has(cid)) {
      throw new PinException("cannot pin " + cid + " recursively: its root block is not in the local store");
    }
    blocks.sync();
    upsert(cid, PinType.RECURSIVE);
  }

  /**
   * Pins this block alone. It must be in the blockstore. A no-op if already pinned directly.
   *
   * @throws PinException if the block is missing or {@code cid} is already pinned recursively
   */
  public synchronized void pinDirect(Cid cid) throws IOException {
    PinType current = storedType(cid).orElse(null);
    if (current == PinType.DIRECT) {
      return;
    }
    if (current == PinType.RECURSIVE) {
      throw new PinException(cid + " is already pinned recursively");
    }
    if (!blocks.has(cid)) {
      throw new PinException("cannot pin " + cid + " directly: block " + cid + " is not in the local store");
    }
    blocks.sync();
    upsert(cid, PinType.DIRECT);
  }

  /**
   * Removes the recursive or direct pin on {@code cid} (exactly this CID).
   *
   * @throws PinException if there is none; an indirect pin cannot be removed on its own
   */
  public synchronized void unpin(Cid cid) throws IOException {
    try (PreparedStatement st = db.prepareStatement("DELETE FROM pins WHERE cid = ?")) {
      st.setString(1, cid.toString());
      if (st.executeUpdate() == 0) {
        throw new PinException(cid + " is not pinned or pinned indirectly");
      }
    } catch (SQLException e) {
      throw failure("unpin " + cid + " in", e);
    }
  }

  /**
   * The pins of one type, or every pin with {@link PinType#ALL}: recursive pins first, then direct,
   * then indirect, each CID once with its strongest type. Recursive and direct pins come in the
   * order they were made; indirect ones in depth-first order under each recursive pin. A block
   * missing from a pinned DAG is still listed (its parent names it) but cannot be descended into.
   */
  public synchronized List<Pin> list(PinType filter) throws IOException {
    List<Pin> out = new ArrayList<>();
    if (filter == PinType.RECURSIVE || filter == PinType.ALL) {
      stored(PinType.RECURSIVE).forEach(c -> out.add(new Pin(c, PinType.RECURSIVE)));
    }
    if (filter == PinType.DIRECT || filter == PinType.ALL) {
      stored(PinType.DIRECT).forEach(c -> out.add(new Pin(c, PinType.DIRECT)));
    }
    if (filter == PinType.INDIRECT || filter == PinType.ALL) {
      indirect().forEach(c -> out.add(new Pin(c, PinType.INDIRECT)));
    }
    return out;
  }

  /** Whether {@code cid} is pinned in any way; see {@link #pinType}. */
  public boolean isPinned(Cid cid) throws IOException {
    return pinType(cid).isPresent();
  }

  /**
   * How {@code cid} is pinned: RECURSIVE or DIRECT if this exact CID was pinned so, else INDIRECT if
   * a block with its multihash is reachable from a recursive pin (the block is then safe from GC
   * whichever CID names it), else empty. Walks the pinned DAGs, so it costs a read of their blocks.
   */
  public synchronized Optional<PinType> pinType(Cid cid) throws IOException {
    Optional<PinType> stored = storedType(cid);
    if (stored.isPresent()) {
      return stored;
    }
    Multihash wanted = cid.multihash();
    boolean finished = DagWalker.over(blocks).walk(stored(PinType.RECURSIVE), new DagWalker.Visitor() {
      @Override
      public boolean visit(Cid block, byte[] data) {
        return !block.multihash().equals(wanted);
      }

      @Override
      public boolean unresolved(Cid block, Exception cause) {
        return !block.multihash().equals(wanted);
      }
    });
    return finished ? Optional.empty() : Optional.of(PinType.INDIRECT);
  }

  /** Reachable from a recursive pin and not itself pinned recursively or directly. */
  private List<Cid> indirect() throws IOException {
    Set<Cid> explicit = new HashSet<>(stored(PinType.RECURSIVE));
    explicit.addAll(stored(PinType.DIRECT));
    List<Cid> found = new ArrayList<>();
    DagWalker.over(blocks).walk(stored(PinType.RECURSIVE), new DagWalker.Visitor() {
      @Override
      public boolean visit(Cid block, byte[] data) {
        if (!explicit.contains(block)) {
          found.add(block);
        }
        return true;
      }

      @Override
      public boolean unresolved(Cid block, Exception cause) {
        // A missing block is still pinned (never visited); an undecodable one was visited already.
        if (cause instanceof BlockNotFoundException && !explicit.contains(block)) {
          found.add(block);
        }
        return true;
      }
    });
    return found;
  }

  private Optional<PinType> storedType(Cid cid) throws IOException {
    try (PreparedStatement st = db.prepareStatement("SELECT type FROM pins WHERE cid = ?")) {
      st.setString(1, cid.toString());
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? Optional.of(PinType.valueOf(rs.getString(1).toUpperCase(Locale.ROOT))) : Optional.empty();
      }
    } catch (SQLException e) {
      throw failure("read the pin of " + cid + " from", e);
    }
  }

  private List<Cid> stored(PinType type) throws IOException {
    try (PreparedStatement st = db.prepareStatement("SELECT cid FROM pins WHERE type = ? ORDER BY rowid")) {
      st.setString(1, columnValue(type));
      try (ResultSet rs = st.executeQuery()) {
        List<Cid> out = new ArrayList<>();
        while (rs.next()) {
          out.add(Cid.parse(rs.getString(1)));
        }
        return out;
      }
    } catch (SQLException e) {
      throw failure("list " + columnValue(type) + " pins from", e);
    }
  }

  private void upsert(Cid cid, PinType type) throws IOException {
    String sql = "INSERT INTO pins (cid, type) VALUES (?, ?) ON CONFLICT (cid) DO UPDATE SET type = excluded.type";
    try (PreparedStatement st = db.prepareStatement(sql)) {
      st.setString(1, cid.toString());
      st.setString(2, columnValue(type));
      st.executeUpdate();
    } catch (SQLException e) {
      throw failure("pin " + cid + " in", e);
    }
  }

  private static String columnValue(PinType type) {
    return type.name().toLowerCase(Locale.ROOT);
  }

  private IOException failure(String what, SQLException e) {
    return new IOException("cannot " + what + " pin database " + database + ": " + e.getMessage(), e);
  }

  private void closeQuietly() {
    try {
      db.close();
    } catch (SQLException ignored) {
      // already failing; the first error is the one to report
    }
  }

  /** Releases the database connection. Idempotent. */
  @Override
  public synchronized void close() throws IOException {
    try {
      db.close();
    } catch (SQLException e) {
      throw failure("close", e);
    }
  }
}
