package io.canopy.validator.poa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.content.bitswap.Bitswap;
import io.canopy.content.bitswap.BitswapConfig;
import io.canopy.content.block.Block;
import io.canopy.content.blockstore.FileBlockstore;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.pin.PinStore;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.ChallengeDerivation;
import io.canopy.protocol.poa.HeldDeal;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.Proof;
import io.canopy.protocol.poa.Verdict;
import io.canopy.protocol.storage.Deal;
import io.canopy.storage.DealStore;
import io.canopy.storage.GcGate;
import io.canopy.storage.LocalContentStore;
import io.canopy.storage.StorageConfig;
import io.canopy.storage.StorageRole;
import io.canopy.storage.poa.PoaProver;
import io.canopy.storage.poa.ProofFailure;
import io.canopy.storage.poa.ProofVerifier;
import io.canopy.validator.poa.PoaFixtures.Dag;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Held-deal reports over real hosts on 127.0.0.1 (spec/proofs.md §5.6): a storage node with
 * more than a page of deals reports them all, sorted, with the file size of each root; the
 * validator drops a deal whose owner signature is forged and one that has ended; a peer outside
 * the validator set is refused; a deal still being fetched, or with a directory root, is not
 * reported; and a challenge with a wrong file size fails with WRONG_FILE_SIZE.
 */
class DealReportsTest {
  private static final EpochClock EPOCHS = new EpochClock(0, 60_000);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int BULK = 1_100;

  private static Host host(Ed25519PrivateKey key) throws InterruptedException {
    return new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
  }

  @Test
  void nodeReportsItsHeldDealsToValidatorsOnly(@TempDir Path dir) throws Exception {
    Ed25519PrivateKey nodeKey = Ed25519PrivateKey.generate(RANDOM);
    Ed25519PrivateKey ownerKey = Ed25519PrivateKey.generate(RANDOM);
    Ed25519PrivateKey otherKey = Ed25519PrivateKey.generate(RANDOM);
    Ed25519PrivateKey validatorKey = Ed25519PrivateKey.generate(RANDOM);
    Ed25519PrivateKey strangerKey = Ed25519PrivateKey.generate(RANDOM);
    Host node = host(nodeKey);
    Host validator = host(validatorKey);
    Host stranger = host(strangerKey);
    FileBlockstore blocks = FileBlockstore.open(dir.resolve("blocks"));
    Set<PeerId> validatorSet = Set.of(validatorKey.peerId());
    try (PinStore pins = new PinStore(dir.resolve("canopy.db"), blocks);
         DealStore deals = new DealStore(dir.resolve("deals.db"));
         Bitswap bitswap = new Bitswap(node, blocks, BitswapConfig.DEFAULT).start();
         StorageRole role = new StorageRole(node, nodeKey, new LocalContentStore(blocks, pins), deals, bitswap, null,
             StorageConfig.defaults(), true, Clock.systemUTC(), new GcGate(), EPOCHS, validatorSet::contains).start()) {
      // Three file roots of three kinds: DAG-PB with raw leaves (three levels), DAG-PB with DAG-PB leaves, one raw block.
      Dag tree = PoaFixtures.file(blocks, 300L * 1024 + 17, 1024, true, 50);
      Dag pbLeaves = PoaFixtures.file(blocks, 5_000, 1024, false, 51);
      Block raw = PoaFixtures.rawBlock(new byte[777]);
      blocks.put(raw);
      Block directory = Block.of(1, Multicodec.DAG_PB, Multicodec.SHA2_256, DagPb.encode(PbNode.of(UnixFsData.directory().encode(), List.of())));
      blocks.put(directory);
      Cid lost = PoaFixtures.rawBlock(new byte[] {1, 2, 3}).cid(); // never stored
      Map<Cid, Long> fileSizes = Map.of(tree.root(), tree.fileSize(), pbLeaves.root(), pbLeaves.fileSize(), raw.cid(), 777L);
      List<Cid> roots = List.of(tree.root(), pbLeaves.root(), raw.cid());
      assertThat(tree.fileSize()).isEqualTo(300L * 1024 + 17);

      long now = System.currentTimeMillis();
      List<String> expected = new ArrayList<>();
      Function<String, Deal> dealOn = id -> new Deal(id, ownerKey.peerId(), roots.get(Math.floorMod(id.hashCode(), 3)), 100, 3,
          now - 1_000, now + 3_600_000, 5);
      // Ids whose UTF-16 order differs from their UTF-8 order, and many plain ones.
      List<String> ids = new ArrayList<>(List.of("\uFFFD-x", "\uD83D\uDE00-y", "é", "Z", "a"));
      for (int i = 0; i < BULK; i++) {
        ids.add("deal-" + Integer.toString(i * 7919 % 100_003, 36));
      }
      for (String id : ids) {
        Deal d = dealOn.apply(id);
        hold(deals, d, d.sign(ownerKey));
        expected.add(id);
      }
      expected.sort(PoaMessage.DealsRequest.ID_ORDER);

      // Reported but dropped by the validator: a forged owner signature, a deal that has ended.
      Deal forged = dealOn.apply("deal-forged");
      hold(deals, forged, otherKey.sign(forged.encode()));
      Deal ended = new Deal("deal-ended", ownerKey.peerId(), raw.cid(), 100, 3, now - 10_000, now - 5_000, 5);
      hold(deals, ended, ended.sign(ownerKey));
      // Not reported at all: still being fetched, a directory root (§5.2.3), a root block the node lacks.
      Deal fetching = dealOn.apply("deal-fetching");
      assertThat(deals.reserve(fetching, fetching.sign(ownerKey), Long.MAX_VALUE / 4)).isTrue();
      Deal dir1 = new Deal("deal-directory", ownerKey.peerId(), directory.cid(), 100, 3, now - 1_000, now + 3_600_000, 5);
      hold(deals, dir1, dir1.sign(ownerKey));
      Deal gone = new Deal("deal-lost", ownerKey.peerId(), lost, 100, 3, now - 1_000, now + 3_600_000, 5);
      hold(deals, gone, gone.sign(ownerKey));

      validator.connect(node.listenAddrs().get(0).withPeerId(node.peerId())).get(10, TimeUnit.SECONDS);
      stranger.connect(node.listenAddrs().get(0).withPeerId(node.peerId())).get(10, TimeUnit.SECONDS);

      DealReports.Report report = DealReports.report(validator, node.peerId(), Clock.systemUTC(), DealReports.DEFAULT_MAX_DEALS,
          DealReports.DEFAULT_PAGE_TIMEOUT).get(60, TimeUnit.SECONDS);
      assertThat(report.node()).isEqualTo(node.peerId());
      assertThat(report.pages()).isEqualTo(2); // 1,107 reported deals: 1,000 + 107
      assertThat(report.deals()).extracting(HeldDeal::dealId).containsExactlyElementsOf(expected);
      for (HeldDeal d : report.deals()) {
        assertThat(d.verify()).isTrue();
        assertThat(d.fileSize()).as(d.dealId()).isEqualTo(fileSizes.get(d.deal().root()));
        assertThat(d.deal()).isEqualTo(dealOn.apply(d.dealId()));
      }
      assertThat(report.rejected()).hasSize(2);
      assertThat(report.rejected()).anySatisfy(r -> assertThat(r).contains("deal-forged", "owner's signature does not verify"));
      assertThat(report.rejected()).anySatisfy(r -> assertThat(r).contains("deal-ended", "ended at"));
      assertThat(String.join("\n", report.rejected())).doesNotContain("deal-fetching", "deal-directory", "deal-lost");

      List<HeldDeal> fetched = DealReports.fetch(validator, node.peerId(), Clock.systemUTC()).get(60, TimeUnit.SECONDS);
      assertThat(fetched).isEqualTo(report.deals());

      // A peer outside the validator set is refused, with the reason.
      assertThatThrownBy(() -> DealReports.fetch(stranger, node.peerId(), Clock.systemUTC()).get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(DealReports.ReportException.class)
          .hasMessageContaining("REFUSED BAD_SIGNATURE")
          .hasMessageContaining(strangerKey.peerId() + " is not a validator");

      // A challenge with the reported file size passes; one with another file size fails, saying why.
      StorageChallenger challenger = new StorageChallenger(validator, validatorKey, Clock.systemUTC(), StorageChallenger.Config.DEFAULT);
      long epoch = EPOCHS.epochAt(System.currentTimeMillis());
      for (Cid root : roots) {
        HeldDeal d = report.deals().stream().filter(h -> h.deal().root().equals(root)).findFirst().orElseThrow();
        Verdict pass = challenger.challenge(node.peerId(), epoch, PoaFixtures.beacon(1),
            new StorageChallenger.Target(d.dealId(), root, d.fileSize(), d.deal().size())).get(30, TimeUnit.SECONDS);
        assertThat(pass.result()).as(pass.reason()).isEqualTo(Verdict.Result.PASS);
        for (long wrong : new long[] {d.fileSize() + 1, d.fileSize() - 1}) {
          Verdict fail = challenger.challenge(node.peerId(), epoch, PoaFixtures.beacon(2),
              new StorageChallenger.Target(d.dealId(), root, wrong, 0)).get(30, TimeUnit.SECONDS);
          assertThat(fail.result()).as(fail.reason()).isEqualTo(Verdict.Result.FAIL);
          assertThat(fail.reason()).contains("WRONG_FILE_SIZE", "holds " + d.fileSize() + " bytes", "the deal says " + wrong);
          assertThat(fail.verify()).isTrue();
        }
      }
    } finally {
      stranger.close();
      validator.close();
      node.close();
    }
  }

  /** A node that proves a file against its true size cannot pass off that proof for another claimed size. */
  @Test
  void proofVerificationChecksTheRootsFileSize() throws Exception {
    Dag dag = PoaFixtures.file(40_000, 1024, 60);
    Ed25519PrivateKey nodeKey = Ed25519PrivateKey.generate(RANDOM);
    PoaProver prover = new PoaProver(nodeKey.peerId(), dag.store(), id -> Optional.of(dag.root()), EPOCHS, Clock.systemUTC(), p -> true);
    long[] offsets = ChallengeDerivation.offsets(PoaFixtures.beacon(3), "d", nodeKey.peerId(), dag.fileSize() - 1, 20);
    Proof proof = prover.prove(dag.root(), dag.fileSize(), offsets);
    assertThat(ProofVerifier.verify(dag.root(), dag.fileSize(), offsets, proof).passed()).isTrue();
    for (long claimed : new long[] {dag.fileSize() - 1, dag.fileSize() + 1, 2 * dag.fileSize()}) {
      ProofVerifier.Outcome outcome = ProofVerifier.verify(dag.root(), claimed, offsets, proof);
      assertThat(outcome.failure()).isEqualTo(ProofFailure.WRONG_FILE_SIZE);
      assertThat(outcome.reason()).startsWith("WRONG_FILE_SIZE").contains("holds " + dag.fileSize() + " bytes", "the deal says " + claimed);
    }
  }

  /** The paging rules, against a node that answers whatever the test says. */
  @Test
  void clientDropsRepeatsAndOutOfOrderDealsAndStopsAMisbehavingNode() throws Exception {
    Ed25519PrivateKey ownerKey = Ed25519PrivateKey.generate(RANDOM);
    Ed25519PrivateKey nodeKey = Ed25519PrivateKey.generate(RANDOM);
    Ed25519PrivateKey validatorKey = Ed25519PrivateKey.generate(RANDOM);
    Cid root = PoaFixtures.rawBlock(new byte[10]).cid();
    long now = System.currentTimeMillis();
    Function<String, HeldDeal> held = id -> {
      Deal d = new Deal(id, ownerKey.peerId(), root, 10, 1, now - 1_000, now + 3_600_000, 1);
      return new HeldDeal(d, d.sign(ownerKey), 10);
    };
    Map<String, PoaMessage> pages = new ConcurrentHashMap<>();
    AtomicInteger asked = new AtomicInteger();
    Host node = host(nodeKey);
    Host validator = host(validatorKey);
    node.registerProtocol(PoaMessage.PROTOCOL_ID, UnaryRpc.serve(4096, Duration.ofSeconds(10), (connection, request) -> {
      asked.incrementAndGet();
      String after = ((PoaMessage.DealsRequest) PoaCodec.decode(request, 0)).after();
      PoaMessage reply = pages.getOrDefault(after, new PoaMessage.Refused(PoaMessage.Code.INTERNAL, "no page after " + after));
      return CompletableFuture.completedFuture(PoaCodec.encode(reply));
    }));
    try {
      validator.connect(node.listenAddrs().get(0).withPeerId(node.peerId())).get(10, TimeUnit.SECONDS);
      pages.put("", new PoaMessage.Deals(List.of(held.apply("a"), held.apply("c"), held.apply("c"), held.apply("b")), true));
      pages.put("c", new PoaMessage.Deals(List.of(held.apply("a"), held.apply("d")), false));
      DealReports.Report r = DealReports.report(validator, node.peerId(), Clock.systemUTC(), 100, Duration.ofSeconds(10))
          .get(30, TimeUnit.SECONDS);
      assertThat(r.deals()).extracting(HeldDeal::dealId).containsExactly("a", "c", "d");
      assertThat(r.rejected()).containsExactly("deal c: reported twice", "deal b: out of order, not after c", "deal a: reported twice");
      assertThat(r.pages()).isEqualTo(2);

      // A cap on the deals of one report.
      assertThatThrownBy(() -> DealReports.report(validator, node.peerId(), Clock.systemUTC(), 5, Duration.ofSeconds(10))
          .get(30, TimeUnit.SECONDS)).cause().isInstanceOf(DealReports.ReportException.class).hasMessageContaining("more than 5 deals");

      // "More follows" with nothing new would page forever.
      pages.put("", new PoaMessage.Deals(List.of(), true));
      assertThatThrownBy(() -> DealReports.report(validator, node.peerId(), Clock.systemUTC(), 100, Duration.ofSeconds(10))
          .get(30, TimeUnit.SECONDS)).cause().isInstanceOf(DealReports.ReportException.class).hasMessageContaining("brought no new deal");

      // An answer that is not a page.
      pages.put("", new PoaMessage.ProofReply(new Proof(List.of())));
      assertThatThrownBy(() -> DealReports.report(validator, node.peerId(), Clock.systemUTC(), 100, Duration.ofSeconds(10))
          .get(30, TimeUnit.SECONDS)).cause().isInstanceOf(DealReports.ReportException.class).hasMessageContaining("ProofReply");
      assertThat(asked.get()).isEqualTo(6);
    } finally {
      validator.close();
      node.close();
    }
  }

  private static void hold(DealStore deals, Deal deal, byte[] ownerSignature) throws Exception {
    assertThat(deals.reserve(deal, ownerSignature, Long.MAX_VALUE / 4)).isTrue();
    deals.markHolding(deal.id());
  }
}
