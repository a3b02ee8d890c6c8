package io.canopy.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.storage.Deal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The owned-deal lookups by root and purpose, and the upgrade of deal stores made before them. */
class DealStoreTest {
  private static final Ed25519PrivateKey OWNER = Ed25519PrivateKey.generate(new SecureRandom());
  private static final Cid ROOT = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "photo".getBytes(StandardCharsets.UTF_8));
  private static final Cid OTHER = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "film".getBytes(StandardCharsets.UTF_8));

  @TempDir Path tmp;

  private static Deal deal(String id, Cid root) {
    return new Deal(id, OWNER.peerId(), root, 5, 3, 0, 60_000, 0);
  }

  @Test
  void liveDealsAreFoundByRootAndByPurpose() throws Exception {
    try (DealStore store = new DealStore(tmp.resolve("deals.db"))) {
      store.addOwned(deal("user", ROOT), new byte[64], 1, "");
      store.addOwned(deal("s3-a", ROOT), new byte[64], 2, "s3");
      store.addOwned(deal("s3-b", OTHER), new byte[64], 3, "s3");
      store.addOwned(deal("s3-old", ROOT), new byte[64], 4, "s3");
      store.setOwnedState("s3-old", DealState.ENDED, "");
      store.addOwned(deal("s3-failed", OTHER), new byte[64], 5, "s3");
      store.setOwnedState("s3-failed", DealState.FAILED, "no node");

      assertThat(store.liveOwnedDeals(ROOT.toString())).extracting(d -> d.deal().id()).containsExactly("user", "s3-a");
      assertThat(store.liveOwnedDeals(ROOT.toString())).extracting(DealStore.OwnedDeal::purpose).containsExactly("", "s3");
      assertThat(store.liveOwnedDealsFor("s3")).extracting(d -> d.deal().id()).containsExactly("s3-a", "s3-b");
    }
  }

  @Test
  void aStoreFromBeforePurposesGainsThemWithItsRootsFilledIn() throws Exception {
    Path file = tmp.resolve("old.db");
    Deal old = deal("old-deal", ROOT);
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = db.createStatement()) {
      st.execute("""
          CREATE TABLE owned (
            id TEXT PRIMARY KEY, deal BLOB NOT NULL, owner_sig BLOB NOT NULL, end_ms INTEGER NOT NULL,
            state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL)""");
      try (PreparedStatement insert = db.prepareStatement(
          "INSERT INTO owned (id, deal, owner_sig, end_ms, state, created_ms) VALUES (?, ?, ?, ?, 'ACTIVE', 1)")) {
        insert.setString(1, old.id());
        insert.setBytes(2, old.encode());
        insert.setBytes(3, new byte[64]);
        insert.setLong(4, old.endMillis());
        insert.executeUpdate();
      }
    }
    try (DealStore store = new DealStore(file)) {
      assertThat(store.liveOwnedDeals(ROOT.toString())).singleElement().satisfies(d -> {
        assertThat(d.deal().id()).isEqualTo("old-deal");
        assertThat(d.purpose()).isEmpty();
      });
    }
    try (DealStore again = new DealStore(file)) { // opening twice does not add the columns twice
      assertThat(again.ownedDeals()).hasSize(1);
    }
  }
}
