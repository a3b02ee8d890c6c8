package io.canopy.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.storage.kubo.KuboContentStore;
import io.canopy.storage.kubo.KuboDialect;
import io.canopy.storage.kubo.KuboRpcClient;
import io.canopy.storage.kubo.KuboRpcError;
import io.canopy.storage.kubo.KuboRpcException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The existing-IPFS-daemon backend against a real Kubo-RPC server: js-ipfs 0.66.1 ({@code jsipfs
 * daemon}, see {@link KuboRpcJsIpfsDaemon}), since Kubo's npm package needs to download its binary.
 * One daemon for the class; the last test stops it.
 */
@Tag("interop")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KuboRpcInteropTest {
  private static final long SEED = 0x1F5D_AE40L;

  private KuboRpcJsIpfsDaemon daemon;
  private KuboContentStore store;

  @BeforeAll
  void startDaemon() throws IOException {
    daemon = KuboRpcJsIpfsDaemon.start();
    store = KuboContentStore.open(daemon.config().localLookupTimeout(Duration.ofSeconds(1)).build());
  }

  @AfterAll
  void stopDaemon() {
    if (store != null) {
      store.close();
    }
    if (daemon != null) {
      daemon.close();
    }
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  /** A file imported by Canopy straight into the daemon; the CIDs of every block written. */
  private record Imported(Cid root, byte[] content, List<Cid> blocks) {}

  private Imported importInto(byte[] content, ImportOptions options) throws IOException {
    List<Cid> written = new CopyOnWriteArrayList<>();
    Importer importer = new Importer(block -> {
      store.blocks().put(block);
      written.add(block.cid());
    }, options);
    Cid root = importer.importFile(new ByteArrayInputStream(content)).cid();
    return new Imported(root, content, List.copyOf(written));
  }

  private byte[] exportFrom(Cid root) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Exporter(store.blocks()).cat(root, 0, -1, out);
    return out.toByteArray();
  }

  @Test
  @Order(1)
  void theDaemonIsRecognisedAsJsIpfs() throws IOException {
    KuboRpcClient.Version version = store.client().version();

    assertThat(version.dialect()).isEqualTo(KuboDialect.JS_IPFS);
    assertThat(version.version()).isEqualTo("0.18.1"); // ipfs-core's version, which js-ipfs reports
    assertThat(store.client().id().agentVersion()).startsWith("js-ipfs/");
  }

  @Test
  @Order(2)
  void blockPutNamesEveryKindOfBlockExactlyAsCanopyDoes() throws IOException {
    byte[] bytes = "canopy block".getBytes(StandardCharsets.UTF_8);
    List<Block> blocks = List.of(
        Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, bytes),
        Block.of(0, Multicodec.DAG_PB, Multicodec.SHA2_256, new byte[] {0x0a, 0x02, 0x08, 0x01}),
        Block.of(1, Multicodec.DAG_PB, Multicodec.SHA2_256, new byte[] {0x0a, 0x02, 0x08, 0x01}),
        Block.of(1, Multicodec.RAW, Multicodec.SHA2_512, bytes),
        Block.of(1, Multicodec.DAG_CBOR, Multicodec.SHA2_256, new byte[] {(byte) 0xa0}));
    for (Block block : blocks) {
      assertThat(store.client().blockPut(block)).as("CID js-ipfs reports for %s", block.cid()).isEqualTo(block.cid());
      assertThat(store.blocks().get(block.cid())).isEqualTo(block.data());
      assertThat(store.blocks().size(block.cid())).isEqualTo(block.data().length);
    }
  }

  @Test
  @Order(3)
  void kubosModernBlockPutArgumentsAreIgnoredByJsIpfs() throws IOException {
    Block block = Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, "raw, please".getBytes(StandardCharsets.UTF_8));
    try (KuboRpcClient kuboSpeaker = new KuboRpcClient(daemon.config().dialect(KuboDialect.KUBO).build())) {
      // cid-codec=raw is dropped by js-ipfs, which answers with its default, a dag-pb CIDv0: the
      // client notices instead of recording a CID that is not ours
      assertThatThrownBy(() -> kuboSpeaker.blockPut(block))
          .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.MALFORMED_RESPONSE))
          .hasMessageContaining("instead of " + block.cid());
    }
  }

  @Test
  @Order(4)
  void aDagImportedByCanopyIsPinnedReadBackUnpinnedAndCollected() throws IOException {
    long before = store.usedBytes();
    Imported v0 = importInto(randomBytes(4 * 262_144 + 1234, SEED), ImportOptions.defaults());
    Imported v1 = importInto(randomBytes(600_000, SEED + 1), ImportOptions.builder().cidVersion(1).build());
    assertThat(v0.root().version()).isZero();
    assertThat(v0.blocks()).hasSize(6);
    assertThat(v1.root().version()).isEqualTo(1);

    store.pinRecursive(v0.root());
    store.pinRecursive(v1.root());

    assertThat(store.isPinned(v0.root())).isTrue();
    assertThat(store.isPinned(v1.root())).isTrue();
    assertThat(exportFrom(v0.root())).isEqualTo(v0.content());
    assertThat(exportFrom(v1.root())).isEqualTo(v1.content());
    long afterImport = store.usedBytes();
    assertThat(afterImport).isGreaterThanOrEqualTo(before + v0.content().length + v1.content().length);
    store.collectGarbage();
    for (Cid cid : v0.blocks()) {
      assertThat(store.blocks().has(cid)).as("pinned block %s survives gc", cid).isTrue();
    }

    store.unpin(v0.root());
    assertThat(store.isPinned(v0.root())).isFalse();
    assertThat(store.collectGarbage()).isGreaterThanOrEqualTo(v0.blocks().size());
    for (Cid cid : v0.blocks()) {
      assertThat(store.blocks().has(cid)).as("unpinned block %s is collected", cid).isFalse();
    }
    assertThat(exportFrom(v1.root())).isEqualTo(v1.content());
    long afterFirstGc = store.usedBytes();
    assertThat(afterFirstGc).isLessThanOrEqualTo(afterImport - v0.content().length);

    store.unpin(v1.root());
    store.unpin(v1.root()); // not pinned any more: a no-op
    assertThat(store.collectGarbage()).isGreaterThanOrEqualTo(v1.blocks().size());
    assertThat(store.blocks().has(v1.root())).isFalse();
    assertThat(store.usedBytes()).isLessThanOrEqualTo(afterFirstGc - v1.content().length);
    try (Stream<Cid> keys = store.blocks().keys()) {
      List<Cid> left = keys.toList();
      for (Cid cid : v1.blocks()) {
        assertThat(left).doesNotContain(Cid.v1(Multicodec.RAW, cid.multihash()));
      }
    }
  }

  @Test
  @Order(5)
  void anAbsentBlockIsNotFound() throws IOException {
    Cid absent = Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, "never stored".getBytes(StandardCharsets.UTF_8)).cid();

    assertThat(store.blocks().has(absent)).isFalse();
    assertThatThrownBy(() -> store.blocks().get(absent)).isInstanceOf(BlockNotFoundException.class).hasMessageContaining(absent.toString());
    assertThatThrownBy(() -> store.blocks().size(absent)).isInstanceOf(BlockNotFoundException.class);
    assertThat(store.isPinned(absent)).isFalse();
  }

  @Test
  @Order(6)
  void blockRmRemovesAndRefusesPinnedBlocks() throws IOException {
    Block block = Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, "pinned leaf".getBytes(StandardCharsets.UTF_8));
    store.blocks().put(block);
    store.pinRecursive(block.cid());

    assertThatThrownBy(() -> store.blocks().delete(block.cid())).isInstanceOf(io.canopy.content.pin.PinException.class).hasMessageContaining("pinned");

    store.unpin(block.cid());
    store.blocks().delete(block.cid());
    store.blocks().delete(block.cid());
    assertThat(store.blocks().has(block.cid())).isFalse();
  }

  @Test
  @Order(100)
  void aStoppedDaemonIsAClearErrorNamingItsUrl() {
    daemon.stop();
    String url = daemon.apiUrl().toString();
    Cid cid = Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, new byte[] {1}).cid();

    assertThatThrownBy(() -> store.blocks().get(cid))
        .isInstanceOfSatisfying(KuboRpcException.class, e -> assertThat(e.error()).isEqualTo(KuboRpcError.UNREACHABLE))
        .hasMessageContaining(url);
    assertThatThrownBy(() -> store.pinRecursive(cid)).isInstanceOf(IOException.class).hasMessageContaining(url);
    assertThatThrownBy(() -> store.usedBytes()).isInstanceOf(IOException.class).hasMessageContaining(url);
  }
}
