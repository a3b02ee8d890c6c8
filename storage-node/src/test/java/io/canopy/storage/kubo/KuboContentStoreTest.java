package io.canopy.storage.kubo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.exporter.Exporter;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.content.pin.PinException;
import io.canopy.multiformats.Cid;
import io.canopy.storage.ContentStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A whole deal's life in a Kubo stand-in: import, pin, read back, unpin, collect. */
class KuboContentStoreTest {
  private FakeKuboDaemon daemon;
  private KuboContentStore store;

  @BeforeEach
  void start() throws IOException {
    daemon = new FakeKuboDaemon();
    store = KuboContentStore.open(daemon.config().build());
  }

  @AfterEach
  void stop() {
    store.close();
    daemon.close();
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  private ImportResult importFile(byte[] content) throws IOException {
    return new Importer(store.blocks()::put, ImportOptions.defaults()).importFile(new ByteArrayInputStream(content));
  }

  @Test
  void aDagImportedPinnedAndReadBackThenUnpinnedAndCollected() throws IOException {
    byte[] content = randomBytes(3 * 262_144 + 17, 1);
    long before = store.usedBytes();

    ImportResult result = importFile(content);
    Cid root = result.cid();
    assertThat(root.version()).isZero();
    store.pinRecursive(root);

    assertThat(store.isPinned(root)).isTrue();
    assertThat(store.usedBytes()).isGreaterThan(before + content.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Exporter(store.blocks()).cat(root, 0, -1, out);
    assertThat(out.toByteArray()).isEqualTo(content);
    assertThat(store.collectGarbage()).isZero();

    store.unpin(root);
    assertThat(store.isPinned(root)).isFalse();
    assertThat(store.collectGarbage()).isEqualTo(5); // 4 leaves and the root
    assertThat(store.blocks().has(root)).isFalse();
    assertThat(store.usedBytes()).isEqualTo(before);
    try (Stream<Cid> keys = store.blocks().keys()) {
      assertThat(keys.toList()).isEmpty();
    }
  }

  @Test
  void pinningADagWithAMissingBlockIsAPinException() throws IOException {
    Cid root = importFile(randomBytes(2 * 262_144, 2)).cid();
    List<Cid> leaves = store.blocks().keys().filter(k -> !k.multihash().equals(root.multihash())).toList();
    store.blocks().delete(leaves.get(0));

    assertThatThrownBy(() -> store.pinRecursive(root))
        .isInstanceOf(PinException.class)
        .hasMessageContaining(root.toString())
        .hasMessageContaining(daemon.url().toString());
    assertThat(store.isPinned(root)).isFalse();
  }

  @Test
  void unpinningWhatIsNotPinnedIsANoOp() throws IOException {
    Cid root = importFile(new byte[] {1, 2, 3}).cid();

    store.unpin(root);
    store.pinRecursive(root);
    store.unpin(root);
    store.unpin(root);

    assertThat(store.isPinned(root)).isFalse();
  }

  @Test
  void openingAStoreOnAStoppedDaemonNamesItsUrl() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    KuboRpcConfig config = KuboRpcConfig.of("/ip4/127.0.0.1/tcp/" + port);

    assertThatThrownBy(() -> KuboContentStore.open(config))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("http://127.0.0.1:" + port)
        .hasMessageContaining("unreachable");
  }

  @Test
  void aDaemonThatStopsLaterFailsEveryCallClearly() throws IOException {
    ContentStore s = store;
    Cid root = importFile(new byte[] {4, 5, 6}).cid();
    daemon.close();

    assertThatThrownBy(() -> s.blocks().get(root)).isInstanceOf(KuboRpcException.class).hasMessageContaining(daemon.url().toString());
    assertThatThrownBy(() -> s.pinRecursive(root)).isInstanceOf(KuboRpcException.class).hasMessageContaining(daemon.url().toString());
    assertThatThrownBy(s::usedBytes).isInstanceOf(KuboRpcException.class).hasMessageContaining(daemon.url().toString());
  }
}
