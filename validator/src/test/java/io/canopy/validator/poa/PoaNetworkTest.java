package io.canopy.validator.poa;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.bitswap.Bitswap;
import io.canopy.content.bitswap.BitswapConfig;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.pin.PinStore;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.Verdict;
import io.canopy.protocol.storage.Deal;
import io.canopy.storage.DealStore;
import io.canopy.storage.GcGate;
import io.canopy.storage.LocalContentStore;
import io.canopy.storage.StorageConfig;
import io.canopy.storage.StorageRole;
import io.canopy.validator.poa.PoaFixtures.Dag;
import io.canopy.validator.poa.PoaFixtures.Leaf;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end over real hosts on 127.0.0.1: a storage node (StorageRole serving storage, hence
 * {@code /canopy/poa/1.0.0}) that holds a deal's DAG answers a validator's challenge and passes;
 * after it deletes half the leaves it fails; a challenge for a deal it does not hold fails with
 * the node's refusal.
 */
class PoaNetworkTest {
  private static final EpochClock EPOCHS = new EpochClock(0, 60_000);

  @Test
  void heldDagPassesAndDeletedLeavesFail(@TempDir Path dir) throws Exception {
    SecureRandom random = new SecureRandom();
    Ed25519PrivateKey nodeKey = Ed25519PrivateKey.generate(random);
    Ed25519PrivateKey ownerKey = Ed25519PrivateKey.generate(random);
    Ed25519PrivateKey validatorKey = Ed25519PrivateKey.generate(random);
    Host node = new Host(HostConfig.builder(nodeKey).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    Host validator = new Host(HostConfig.builder(validatorKey).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    FileBlockstore blocks = FileBlockstore.open(dir.resolve("blocks"));
    try (PinStore pins = new PinStore(dir.resolve("canopy.db"), blocks);
         DealStore deals = new DealStore(dir.resolve("deals.db"));
         Bitswap bitswap = new Bitswap(node, blocks, BitswapConfig.DEFAULT).start();
         StorageRole role = new StorageRole(node, nodeKey, new LocalContentStore(blocks, pins), deals, bitswap, null,
             StorageConfig.defaults(), true, Clock.systemUTC(), new GcGate(), EPOCHS).start()) {
      Dag dag = PoaFixtures.file(blocks, 300L * 1024 + 17, 1024, true, 50); // 301 leaves: three levels
      pins.pinRecursive(dag.root());
      long now = System.currentTimeMillis();
      Deal deal = new Deal("deal-e2e", ownerKey.peerId(), dag.root(), dag.dagSize(), 3, now - 1_000, now + 3_600_000, 1);
      assertThat(deals.reserve(deal, deal.sign(ownerKey), StorageConfig.DEFAULT_CAPACITY_BYTES)).isTrue();
      deals.markHolding(deal.id());

      validator.connect(node.listenAddrs().get(0).withPeerId(node.peerId())).get(10, TimeUnit.SECONDS);
      StorageChallenger challenger = new StorageChallenger(validator, validatorKey, Clock.systemUTC(), StorageChallenger.Config.DEFAULT);
      StorageChallenger.Target target = new StorageChallenger.Target(deal.id(), dag.root(), dag.fileSize(), dag.dagSize());
      long epoch = EPOCHS.epochAt(System.currentTimeMillis());

      Verdict pass = challenger.challenge(node.peerId(), epoch, PoaFixtures.beacon(1), target).get(30, TimeUnit.SECONDS);
      assertThat(pass.result()).as(pass.reason()).isEqualTo(Verdict.Result.PASS);
      assertThat(pass.verify()).isTrue();
      assertThat(pass.validator()).isEqualTo(validatorKey.peerId());
      assertThat(pass.proofBytes()).isGreaterThan(20 * 1024);

      Verdict notHeld = challenger.challenge(node.peerId(), epoch, PoaFixtures.beacon(1),
          new StorageChallenger.Target("no-such-deal", dag.root(), dag.fileSize(), dag.dagSize())).get(30, TimeUnit.SECONDS);
      assertThat(notHeld.result()).isEqualTo(Verdict.Result.FAIL);
      assertThat(notHeld.reason()).contains("NOT_HOLDING");

      List<Leaf> leaves = PoaFixtures.leaves(blocks, dag.root());
      for (int i = 0; i < leaves.size(); i += 2) {
        blocks.delete(leaves.get(i).cid());
      }
      Verdict fail = challenger.challenge(node.peerId(), epoch, PoaFixtures.beacon(2), target).get(30, TimeUnit.SECONDS);
      assertThat(fail.result()).as(fail.reason()).isEqualTo(Verdict.Result.FAIL);
      assertThat(fail.reason()).contains("NOT_HOLDING", "MISSING_BLOCK");
      assertThat(fail.verify()).isTrue();
    } finally {
      validator.close();
      node.close();
    }
  }
}
