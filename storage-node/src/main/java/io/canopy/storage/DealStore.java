package io.canopy.storage;

import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.protocol.storage.Deal;
import io.canopy.protocol.storage.HoldingAck;
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
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The deals a node knows, in SQLite (WAL): deals it holds for others ({@code held}), deals it
 * owns ({@code owned}) and where their replicas are ({@code replicas}). One connection, guarded
 * by this object's monitor; every method is one short transaction.
 */
public final class DealStore implements AutoCloseable {
  /** A deal this node holds (or is fetching) for its owner. */
  public record HeldDeal(Deal deal, byte[] ownerSignature, HeldState state) {}

  public enum HeldState { FETCHING, HOLDING }

  /** A deal this node owns, and what became of it. */
  public record OwnedDeal(Deal deal, byte[] ownerSignature, DealState state, String reason, String purpose) {}

  /** Where one replica of an owned deal is. */
  public record Replica(String dealId, PeerId node, List<Multiaddr> addrs, ReplicaState state, long placedMillis,
                        long lastSeenMillis, int failedChecks, HoldingAck lastAck) {}

  public enum ReplicaState { ACTIVE, LOST, RELEASED }

  private static final String[] SCHEMA = {
      """
      CREATE TABLE IF NOT EXISTS held (
        id        TEXT PRIMARY KEY,
        deal      BLOB NOT NULL,      -- Deal.encode()
        owner_sig BLOB NOT NULL,
        root      TEXT NOT NULL,
        size      INTEGER NOT NULL,
        end_ms    INTEGER NOT NULL,
        state     TEXT NOT NULL CHECK (state IN ('FETCHING', 'HOLDING'))
      )""",
      """
      CREATE TABLE IF NOT EXISTS owned (
        id        TEXT PRIMARY KEY,
        deal      BLOB NOT NULL,
        owner_sig BLOB NOT NULL,
        end_ms    INTEGER NOT NULL,
        state     TEXT NOT NULL,
        reason    TEXT NOT NULL DEFAULT '',
        created_ms INTEGER NOT NULL,
        root      TEXT,                 -- the deal's root CID, to find a root's deals
        purpose   TEXT NOT NULL DEFAULT '' -- who made it: '' for a user's deal, e.g. 's3' for the gateway's
      )""",
      """
      CREATE TABLE IF NOT EXISTS replicas (
        deal         TEXT NOT NULL REFERENCES owned(id),
        node         TEXT NOT NULL,
        addrs        TEXT NOT NULL,   -- space-separated multiaddrs
        state        TEXT NOT NULL CHECK (state IN ('ACTIVE', 'LOST', 'RELEASED')),
        placed_ms    INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        failed       INTEGER NOT NULL DEFAULT 0,
        ack          BLOB,
        PRIMARY KEY (deal, node)
      )"""
  };

  private final Path file;
  private final Connection db;

  public DealStore(Path file) throws IOException {
    this.file = file;
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
      try (Statement st = db.createStatement()) {
        st.execute("PRAGMA busy_timeout = 5000");
        st.execute("PRAGMA journal_mode = WAL");
        for (String ddl : SCHEMA) {
          st.execute(ddl);
        }
        addOwnedRootAndPurpose(st);
        st.execute("CREATE INDEX IF NOT EXISTS owned_root ON owned (root)");
      }
    } catch (SQLException e) {
      throw failure("open", e);
    }
  }

  /** Deal stores made before owned deals had a root and a purpose gain both columns (root filled in). */
  private void addOwnedRootAndPurpose(Statement st) throws SQLException {
    boolean hasPurpose = false;
    try (ResultSet rs = st.executeQuery("PRAGMA table_info(owned)")) {
      while (rs.next()) {
        hasPurpose |= rs.getString("name").equals("purpose");
      }
    }
    if (hasPurpose) {
      return;
    }
    st.execute("ALTER TABLE owned ADD COLUMN root TEXT");
    st.execute("ALTER TABLE owned ADD COLUMN purpose TEXT NOT NULL DEFAULT ''");
    List<String[]> roots = new ArrayList<>();
    try (ResultSet rs = st.executeQuery("SELECT id, deal FROM owned")) {
      while (rs.next()) {
        roots.add(new String[] {rs.getString(1), Deal.decode(rs.getBytes(2)).root().toString()});
      }
    }
    try (PreparedStatement up = db.prepareStatement("UPDATE owned SET root = ? WHERE id = ?")) {
      for (String[] r : roots) {
        up.setString(1, r[1]);
        up.setString(2, r[0]);
        up.executeUpdate();
      }
    }
  }

  // --- held ---------------------------------------------------------------------------------

  /**
   * Records a deal being fetched if the committed bytes stay within {@code capacity}; false if
   * they would not. Check and insert are one step, so concurrent proposals cannot overbook.
   */
  public synchronized boolean reserve(Deal deal, byte[] ownerSignature, long capacity) throws IOException {
    try {
      if (committedBytes() + deal.size() > capacity) {
        return false;
      }
      try (PreparedStatement st = db.prepareStatement(
          "INSERT INTO held (id, deal, owner_sig, root, size, end_ms, state) VALUES (?, ?, ?, ?, ?, ?, 'FETCHING')")) {
        st.setString(1, deal.id());
        st.setBytes(2, deal.encode());
        st.setBytes(3, ownerSignature);
        st.setString(4, deal.root().toString());
        st.setLong(5, deal.size());
        st.setLong(6, deal.endMillis());
        st.executeUpdate();
      }
      return true;
    } catch (SQLException e) {
      throw failure("reserve a deal in", e);
    }
  }

  public synchronized void markHolding(String dealId) throws IOException {
    update("UPDATE held SET state = 'HOLDING' WHERE id = ?", dealId);
  }

  public synchronized void removeHeld(String dealId) throws IOException {
    update("DELETE FROM held WHERE id = ?", dealId);
  }

  public synchronized Optional<HeldDeal> held(String dealId) throws IOException {
    List<HeldDeal> found = heldWhere("id = ?", dealId);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  public synchronized List<HeldDeal> heldDeals() throws IOException {
    return heldWhere("1 = 1");
  }

  /** Whether another held deal (not {@code exceptDealId}) keeps the same root. */
  public synchronized boolean rootHeldByOther(String root, String exceptDealId) throws IOException {
    try (PreparedStatement st = db.prepareStatement("SELECT 1 FROM held WHERE root = ? AND id <> ? LIMIT 1")) {
      st.setString(1, root);
      st.setString(2, exceptDealId);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next();
      }
    } catch (SQLException e) {
      throw failure("read", e);
    }
  }

  /** Bytes promised to deals held or being fetched. */
  public synchronized long committedBytes() throws IOException {
    try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT COALESCE(SUM(size), 0) FROM held")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw failure("read", e);
    }
  }

  private List<HeldDeal> heldWhere(String condition, String... args) throws IOException {
    try (PreparedStatement st = db.prepareStatement("SELECT deal, owner_sig, state FROM held WHERE " + condition + " ORDER BY id")) {
      for (int i = 0; i < args.length; i++) {
        st.setString(i + 1, args[i]);
      }
      List<HeldDeal> out = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(new HeldDeal(Deal.decode(rs.getBytes(1)), rs.getBytes(2), HeldState.valueOf(rs.getString(3))));
        }
      }
      return out;
    } catch (SQLException e) {
      throw failure("read", e);
    }
  }

  // --- owned --------------------------------------------------------------------------------

  /** Records a deal this node made; {@code purpose} says what for ('' for a user's own deal). */
  public synchronized void addOwned(Deal deal, byte[] ownerSignature, long nowMillis, String purpose) throws IOException {
    try (PreparedStatement st = db.prepareStatement(
        "INSERT INTO owned (id, deal, owner_sig, end_ms, state, created_ms, root, purpose) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      st.setString(1, deal.id());
      st.setBytes(2, deal.encode());
      st.setBytes(3, ownerSignature);
      st.setLong(4, deal.endMillis());
      st.setString(5, DealState.PLACING.name());
      st.setLong(6, nowMillis);
      st.setString(7, deal.root().toString());
      st.setString(8, purpose);
      st.executeUpdate();
    } catch (SQLException e) {
      throw failure("record a deal in", e);
    }
  }

  public synchronized void setOwnedState(String dealId, DealState state, String reason) throws IOException {
    try (PreparedStatement st = db.prepareStatement("UPDATE owned SET state = ?, reason = ? WHERE id = ?")) {
      st.setString(1, state.name());
      st.setString(2, reason == null ? "" : reason);
      st.setString(3, dealId);
      st.executeUpdate();
    } catch (SQLException e) {
      throw failure("update", e);
    }
  }

  public synchronized Optional<OwnedDeal> owned(String dealId) throws IOException {
    List<OwnedDeal> found = ownedWhere("id = ?", dealId);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
  }

  public synchronized List<OwnedDeal> ownedDeals() throws IOException {
    return ownedWhere("1 = 1");
  }

  /** This node's deals for {@code root} that are not over (neither ENDED nor FAILED). */
  public synchronized List<OwnedDeal> liveOwnedDeals(String root) throws IOException {
    return ownedWhere("root = ? AND state NOT IN ('ENDED', 'FAILED')", root);
  }

  /** This node's deals made for {@code purpose} that are not over. */
  public synchronized List<OwnedDeal> liveOwnedDealsFor(String purpose) throws IOException {
    return ownedWhere("purpose = ? AND state NOT IN ('ENDED', 'FAILED')", purpose);
  }

  private List<OwnedDeal> ownedWhere(String condition, String... args) throws IOException {
    try (PreparedStatement st = db.prepareStatement(
        "SELECT deal, owner_sig, state, reason, purpose FROM owned WHERE " + condition + " ORDER BY created_ms, id")) {
      for (int i = 0; i < args.length; i++) {
        st.setString(i + 1, args[i]);
      }
      List<OwnedDeal> out = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.add(new OwnedDeal(Deal.decode(rs.getBytes(1)), rs.getBytes(2), DealState.valueOf(rs.getString(3)), rs.getString(4),
              rs.getString(5)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw failure("read", e);
    }
  }

  // --- replicas -----------------------------------------------------------------------------

  public synchronized void putReplica(Replica r) throws IOException {
    try (PreparedStatement st = db.prepareStatement("""
        INSERT INTO replicas (deal, node, addrs, state, placed_ms, last_seen_ms, failed, ack) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (deal, node) DO UPDATE SET addrs = excluded.addrs, state = excluded.state, placed_ms = excluded.placed_ms,
          last_seen_ms = excluded.last_seen_ms, failed = excluded.failed, ack = excluded.ack""")) {
      st.setString(1, r.dealId());
      st.setString(2, r.node().toString());
      st.setString(3, String.join(" ", r.addrs().stream().map(Multiaddr::toString).toList()));
      st.setString(4, r.state().name());
      st.setLong(5, r.placedMillis());
      st.setLong(6, r.lastSeenMillis());
      st.setInt(7, r.failedChecks());
      st.setBytes(8, r.lastAck() == null ? null : r.lastAck().encode());
      st.executeUpdate();
    } catch (SQLException e) {
      throw failure("record a replica in", e);
    }
  }

  public synchronized List<Replica> replicas(String dealId) throws IOException {
    try (PreparedStatement st = db.prepareStatement(
        "SELECT node, addrs, state, placed_ms, last_seen_ms, failed, ack FROM replicas WHERE deal = ? ORDER BY placed_ms, node")) {
      st.setString(1, dealId);
      List<Replica> out = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          String addrs = rs.getString(2);
          List<Multiaddr> parsed = addrs.isEmpty() ? List.of() : Arrays.stream(addrs.split(" ")).map(Multiaddr::parse).toList();
          byte[] ack = rs.getBytes(7);
          out.add(new Replica(dealId, PeerId.parse(rs.getString(1)), parsed, ReplicaState.valueOf(rs.getString(3)),
              rs.getLong(4), rs.getLong(5), rs.getInt(6), ack == null ? null : HoldingAck.decode(ack)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw failure("read", e);
    }
  }

  private void update(String sql, String arg) throws IOException {
    try (PreparedStatement st = db.prepareStatement(sql)) {
      st.setString(1, arg);
      st.executeUpdate();
    } catch (SQLException e) {
      throw failure("update", e);
    }
  }

  private IOException failure(String action, SQLException e) {
    return new IOException("cannot " + action + " the deal database " + file + ": " + e.getMessage(), e);
  }

  @Override
  public synchronized void close() throws IOException {
    try {
      db.close();
    } catch (SQLException e) {
      throw failure("close", e);
    }
  }
}
