package io.canopy.content.pin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.Block;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.dag.TestBlocks;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PinStoreTest {
  @TempDir Path home;
  FileBlockstore blocks;
  PinStore pins;

  final Block a = TestBlocks.raw("alpha");
  final Block b = TestBlocks.raw("beta");
  final Block c = TestBlocks.raw("gamma");
  final Block sub = TestBlocks.node(c, a);
  final Block root = TestBlocks.node(0, sub, b); // a CIDv0 root, as `ipfs add` makes

  @BeforeEach
  void open() throws IOException {
    blocks = FileBlockstore.open(home.resolve("blocks"));
    for (Block block : List.of(a, b, c, sub, root)) {
      blocks.put(block);
    }
    pins = new PinStore(home.resolve("canopy.db"), blocks);
  }

  @AfterEach
  void close() throws IOException {
    pins.close();
  }

  @Test
  void recursivePinKeepsTheCidAsGivenAndMakesItsDagIndirect() throws IOException {
    pins.pinRecursive(root.cid());

    assertThat(pins.list(PinType.RECURSIVE)).containsExactly(new Pin(root.cid(), PinType.RECURSIVE));
    assertThat(pins.list(PinType.RECURSIVE).get(0).cid().version()).isZero();
    assertThat(pins.list(PinType.INDIRECT)).extracting(Pin::cid).containsExactly(sub.cid(), c.cid(), a.cid(), b.cid());
    assertThat(pins.list(PinType.DIRECT)).isEmpty();
    assertThat(pins.isPinned(a.cid())).isTrue();
    assertThat(pins.pinType(a.cid())).contains(PinType.INDIRECT);
    assertThat(pins.pinType(root.cid())).contains(PinType.RECURSIVE);
  }

  @Test
  void recursivePinningNeedsTheWholeDagAndNamesTheFirstMissingBlock() throws IOException {
    blocks.delete(c.cid());
    blocks.delete(b.cid());

    assertThatThrownBy(() -> pins.pinRecursive(root.cid()))
        .isInstanceOf(PinException.class)
        .hasMessageContaining("cannot pin " + root.cid() + " recursively")
        .hasMessageContaining("block " + c.cid() + " of its DAG is not in the local store");
    assertThat(pins.list(PinType.ALL)).isEmpty();
  }

  @Test
  void pinOfAJustWrittenDagSkipsTheWalkButStillNeedsItsRoot() throws IOException {
    pins.pinRecursiveJustWritten(root.cid());
    assertThat(pins.list(PinType.RECURSIVE)).containsExactly(new Pin(root.cid(), PinType.RECURSIVE));
    assertThat(pins.list(PinType.INDIRECT)).extracting(Pin::cid).contains(a.cid(), b.cid());

    Block absent = TestBlocks.raw("never stored");
    assertThatThrownBy(() -> pins.pinRecursiveJustWritten(absent.cid()))
        .isInstanceOf(PinException.class)
        .hasMessageContaining(absent.cid().toString());
  }

  @Test
  void directPinCoversOneBlockOnly() throws IOException {
    pins.pinDirect(sub.cid());

    assertThat(pins.list(PinType.ALL)).containsExactly(new Pin(sub.cid(), PinType.DIRECT));
    assertThat(pins.isPinned(sub.cid())).isTrue();
    assertThat(pins.isPinned(c.cid())).isFalse();
  }

  @Test
  void directPinNeedsTheBlock() throws IOException {
    Block absent = TestBlocks.raw("absent");

    assertThatThrownBy(() -> pins.pinDirect(absent.cid()))
        .isInstanceOf(PinException.class)
        .hasMessageContaining(absent.cid().toString())
        .hasMessageContaining("not in the local store");
  }

  @Test
  void recursiveReplacesDirectButNotTheOtherWayRound() throws IOException {
    pins.pinDirect(root.cid());
    pins.pinRecursive(root.cid());

    assertThat(pins.list(PinType.RECURSIVE)).extracting(Pin::cid).containsExactly(root.cid());
    assertThat(pins.list(PinType.DIRECT)).isEmpty();
    assertThatThrownBy(() -> pins.pinDirect(root.cid()))
        .isInstanceOf(PinException.class)
        .hasMessage(root.cid() + " is already pinned recursively");
  }

  @Test
  void pinningTwiceIsANoOp() throws IOException {
    pins.pinRecursive(root.cid());
    pins.pinRecursive(root.cid());
    pins.pinDirect(b.cid());
    pins.pinDirect(b.cid());

    assertThat(pins.list(PinType.RECURSIVE)).hasSize(1);
    assertThat(pins.list(PinType.DIRECT)).hasSize(1);
  }

  @Test
  void unpinRemovesOnlyExplicitPinsLikeKubo() throws IOException {
    pins.pinRecursive(root.cid());

    assertThatThrownBy(() -> pins.unpin(a.cid()))
        .isInstanceOf(PinException.class)
        .hasMessage(a.cid() + " is not pinned or pinned indirectly");
    assertThatThrownBy(() -> pins.unpin(root.cid().toV1()))
        .as("pins are keyed by the CID as given")
        .isInstanceOf(PinException.class);

    pins.unpin(root.cid());
    assertThat(pins.list(PinType.ALL)).isEmpty();
    assertThat(pins.isPinned(a.cid())).isFalse();
  }

  @Test
  void listAllGivesEachCidOnceWithItsStrongestType() throws IOException {
    pins.pinRecursive(root.cid());
    pins.pinRecursive(sub.cid()); // also reachable from root
    pins.pinDirect(b.cid()); // also reachable from root

    assertThat(pins.list(PinType.ALL)).containsExactly(
        new Pin(root.cid(), PinType.RECURSIVE),
        new Pin(sub.cid(), PinType.RECURSIVE),
        new Pin(b.cid(), PinType.DIRECT),
        new Pin(c.cid(), PinType.INDIRECT),
        new Pin(a.cid(), PinType.INDIRECT));
    assertThat(pins.list(PinType.INDIRECT)).extracting(Pin::cid).containsExactly(c.cid(), a.cid());
  }

  @Test
  void indirectPinsCountByMultihashWhateverCidVersionAsks() throws IOException {
    pins.pinRecursive(root.cid());

    Cid rawOfSub = Cid.v1(Multicodec.RAW, sub.cid().multihash());
    assertThat(pins.pinType(rawOfSub)).contains(PinType.INDIRECT);
    assertThat(pins.pinType(TestBlocks.raw("unrelated").cid())).isEmpty();
  }

  @Test
  void aBlockLostFromAPinnedDagIsStillListedAsPinned() throws IOException {
    pins.pinRecursive(root.cid());
    blocks.delete(sub.cid()); // lost behind the pin store's back

    assertThat(pins.list(PinType.INDIRECT)).extracting(Pin::cid).containsExactly(sub.cid(), b.cid());
    assertThat(pins.isPinned(sub.cid())).isTrue();
  }

  @Test
  void pinsPersistInWalModeInThePinsTable() throws Exception {
    pins.pinRecursive(root.cid());
    pins.pinDirect(c.cid());
    pins.close();

    pins = new PinStore(home.resolve("canopy.db"), blocks);
    assertThat(pins.list(PinType.RECURSIVE)).extracting(Pin::cid).containsExactly(root.cid());
    assertThat(pins.list(PinType.DIRECT)).extracting(Pin::cid).containsExactly(c.cid());

    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("canopy.db"));
        Statement st = db.createStatement()) {
      try (ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("wal");
      }
      try (ResultSet rs = st.executeQuery("SELECT cid, type FROM pins ORDER BY rowid")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo(root.cid().toString()).startsWith("Qm");
        assertThat(rs.getString(2)).isEqualTo("recursive");
      }
    }
  }

  @Test
  void otherTablesInTheSameDatabaseAreLeftAlone() throws Exception {
    pins.pinDirect(a.cid());
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("canopy.db"));
        Statement st = db.createStatement()) {
      st.execute("CREATE TABLE deals (id TEXT PRIMARY KEY)");
      st.execute("INSERT INTO deals VALUES ('d1')");
    }
    pins.close();

    pins = new PinStore(home.resolve("canopy.db"), blocks);
    assertThat(pins.list(PinType.DIRECT)).extracting(Pin::cid).containsExactly(a.cid());
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("canopy.db"));
        Statement st = db.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM deals")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }
  }
}
