package io.canopy.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.canopy.content.block.Block;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.Importer;
import io.canopy.multiformats.Cid;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A storage node whose disk fills up midway through a deal: a real 1 MiB tmpfs (needs root, as CI
 * runs; elsewhere the test is skipped, visibly). The deal fails with the disk's error, no block
 * on disk is torn, and the node keeps holding and serving what it already had.
 */
class DiskFullTest {
  @TempDir Path dir;
  private Path mount;
  private StorageTestNode storage;
  private StorageTestNode owner;

  @AfterEach
  void tearDown() throws Exception {
    if (owner != null) {
      owner.close();
    }
    if (storage != null) {
      storage.close();
    }
    if (mount != null) {
      new ProcessBuilder("umount", mount.toString()).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aFullDiskFailsTheDealCleanlyAndTheNodeKeepsServing() throws Exception {
    Path small = Files.createDirectories(dir.resolve("small"));
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small.toString()).redirectErrorStream(true).start();
    boolean mounted = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    assumeThat(mounted).as("mounting a tmpfs needs root").isTrue();
    mount = small;

    StorageConfig config = StorageConfig.builder().capacityBytes(64L << 20).build(); // the operator promised more than the disk has
    storage = new StorageTestNode(dir.resolve("storage"), small, true, config); // the block disk fills; the databases live elsewhere
    owner = new StorageTestNode(dir.resolve("owner"), false, config);
    owner.dht.bootstrap(List.of(storage.addr())).get(10, TimeUnit.SECONDS);
    StorageNetworkTest.waitFor(Duration.ofSeconds(10), () -> !owner.dht.findProviders(StorageRole.SERVICE_KEY, 8).join().isEmpty());

    Cid smallFile = importAt(owner, 100_000, 1);
    DealStatus first = owner.role.deals().create(smallFile, 1, Duration.ofHours(1), 1);
    assertThat(first.deal().state()).as(first.deal().reason()).isEqualTo(DealState.ACTIVE);

    Cid bigFile = importAt(owner, 3 * 1024 * 1024, 2);
    DealStatus second = owner.role.deals().create(bigFile, 1, Duration.ofHours(1), 1);

    assertThat(second.deal().state()).isEqualTo(DealState.FAILED);
    assertThat(second.deal().reason()).containsIgnoringCase("space");
    assertThat(storage.pins.isPinned(bigFile)).isFalse();
    assertThat(storage.dealStore.committedBytes()).isEqualTo(first.deal().deal().size());
    try (Stream<Cid> keys = storage.blocks.keys()) {
      for (Cid cid : keys.toList()) {
        new Block(cid, storage.blocks.get(cid)).verify(); // nothing torn
      }
    }
    // Still serving: the first deal checks out and its file reads back from the owner's side.
    owner.role.deals().repairOnce();
    assertThat(owner.role.deals().status(first.deal().deal().id()).orElseThrow().activeReplicas()).isEqualTo(1);
    owner.blocks.delete(smallFile);
    assertThat(owner.read(smallFile)).hasSize(100_000);
  }

  private static Cid importAt(StorageTestNode node, int size, long seed) throws Exception {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return new Importer(node.blocks::put, ImportOptions.defaults()).importFile(new ByteArrayInputStream(data)).cid();
  }
}
