package io.canopy.storage.poa;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.epoch.Beacon;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.Challenge;
import io.canopy.protocol.poa.ChallengeDerivation;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.PoaMessage.Code;
import io.canopy.protocol.poa.Proof;
import io.canopy.storage.poa.TestDags.Dag;
import io.canopy.storage.poa.TestDags.Leaf;
import io.canopy.testing.MutableClock;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PoaProverTest {
  private static final Ed25519PrivateKey VALIDATOR = Ed25519PrivateKey.generate(new SecureRandom());
  private static final Ed25519PrivateKey NODE = Ed25519PrivateKey.generate(new SecureRandom());
  private static final EpochClock EPOCHS = new EpochClock(0, 60_000);
  private final MutableClock clock = new MutableClock(Instant.ofEpochMilli(10 * 60_000 + 5));
  private static final long EPOCH = 10;

  private PoaProver prover(Dag dag, String dealId) {
    return new PoaProver(NODE.peerId(), dag.store(), id -> id.equals(dealId) ? Optional.of(dag.root()) : Optional.empty(), EPOCHS, clock,
        p -> true);
  }

  private Challenge challenge(Dag dag, String dealId, long epoch, long seed) {
    Beacon beacon = beacon(seed);
    long[] offsets = ChallengeDerivation.offsets(beacon, dealId, NODE.peerId(), dag.fileSize(), 20);
    return Challenge.sign(VALIDATOR, epoch, dealId, dag.root(), NODE.peerId(), dag.fileSize(), offsets, clock.millis(), clock.millis() + 10_000);
  }

  static Beacon beacon(long seed) {
    byte[] b = new byte[32];
    new Random(seed).nextBytes(b);
    return Beacon.of(b);
  }

  private static void assertRoundTrips(Dag dag, int expectedMinDepth) throws Exception {
    PoaProverTest t = new PoaProverTest();
    PoaProver prover = t.prover(dag, "deal");
    for (long seed = 0; seed < 25; seed++) {
      Challenge c = t.challenge(dag, "deal", EPOCH, seed);
      PoaMessage reply = prover.answer(VALIDATOR.peerId(), c);
      assertThat(reply).as("seed %d", seed).isInstanceOf(PoaMessage.ProofReply.class);
      Proof proof = ((PoaMessage.ProofReply) reply).proof();
      assertThat(ProofVerifier.verify(c, proof.encode())).isEqualTo(ProofVerifier.Outcome.PASS);
      // Each drawn offset's path is in the proof, ending at the leaf that holds the byte.
      for (long offset : c.offsets()) {
        List<Cid> path = LeafPath.walk(dag.root(), dag.fileSize(), offset, cid -> dag.store().get(cid));
        assertThat(path.size()).isGreaterThanOrEqualTo(expectedMinDepth);
        Leaf leaf = TestDags.leaves(dag.store(), dag.root()).stream().filter(l -> l.cid().equals(path.get(path.size() - 1))).findFirst()
            .orElseThrow();
        assertThat(offset).isBetween(leaf.start(), leaf.start() + leaf.size() - 1);
      }
    }
  }

  @Test
  void multiLevelFileWithRawLeavesRoundTrips() throws Exception {
    Dag dag = TestDags.file(400 * 1024 + 123, 1024, true, 1, 1); // 401 leaves > 174: three levels
    assertThat(TestDags.leaves(dag.store(), dag.root())).hasSize(401);
    assertRoundTrips(dag, 3);
  }

  @Test
  void multiLevelCidV0FileWithDagPbLeavesRoundTrips() throws Exception {
    Dag dag = TestDags.file(200 * 1024 + 7, 1024, false, 0, 2);
    assertThat(dag.root().version()).isZero();
    assertThat(TestDags.leaves(dag.store(), dag.root()).get(0).cid().codec()).isEqualTo(Multicodec.DAG_PB.code());
    assertRoundTrips(dag, 3);
  }

  @Test
  void singleBlockFilesRoundTripAndEveryDrawHitsTheOneLeaf() throws Exception {
    Dag raw = TestDags.file(1000, 262_144, true, 1, 3); // the root is one raw block
    assertThat(raw.root().codec()).isEqualTo(Multicodec.RAW.code());
    assertRoundTrips(raw, 1);
    Dag pb = TestDags.file(1000, 262_144, false, 0, 4); // one CIDv0 dag-pb File node with inline data
    assertThat(pb.root().codec()).isEqualTo(Multicodec.DAG_PB.code());
    assertRoundTrips(pb, 1);
    Challenge c = new PoaProverTest().challenge(pb, "deal", EPOCH, 9);
    Proof proof = ((PoaMessage.ProofReply) new PoaProverTest().prover(pb, "deal").answer(VALIDATOR.peerId(), c)).proof();
    assertThat(proof.blocks()).hasSize(1);
  }

  @Test
  void emptyFileIsProvedByItsRootAlone() throws Exception {
    Dag empty = TestDags.file(0, 1024, false, 0, 5);
    PoaProver prover = prover(empty, "deal");
    Challenge c = Challenge.sign(VALIDATOR, EPOCH, "deal", empty.root(), NODE.peerId(), 0, new long[0], 1, 2);
    Proof proof = ((PoaMessage.ProofReply) prover.answer(VALIDATOR.peerId(), c)).proof();
    assertThat(proof.blocks()).hasSize(1);
    assertThat(ProofVerifier.verify(c, proof.encode()).passed()).isTrue();
  }

  @Test
  void refusesWithReasons() throws Exception {
    Dag dag = TestDags.file(50 * 1024, 1024, true, 1, 6);
    PoaProver prover = prover(dag, "deal");
    Challenge good = challenge(dag, "deal", EPOCH, 1);
    assertThat(prover.answer(VALIDATOR.peerId(), good)).isInstanceOf(PoaMessage.ProofReply.class);

    // Another node's challenge.
    Challenge other = Challenge.sign(VALIDATOR, EPOCH, "deal", dag.root(), VALIDATOR.peerId(), dag.fileSize(), good.offsets(), 1, 2);
    assertThat(code(prover.answer(VALIDATOR.peerId(), other))).isEqualTo(Code.WRONG_NODE);
    // A forged validator signature (another key's signature under the validator's name).
    Challenge forged = new Challenge(good.epoch(), good.dealId(), good.root(), good.node(), good.fileSize(), good.offsets(),
        good.issuedMillis(), good.deadlineMillis(), good.validator(), NODE.sign(good.signedBytes()));
    assertThat(code(prover.answer(VALIDATOR.peerId(), forged))).isEqualTo(Code.BAD_SIGNATURE);
    // A valid challenge relayed by someone else than its validator.
    assertThat(code(prover.answer(NODE.peerId(), good))).isEqualTo(Code.BAD_SIGNATURE);
    // Replays: a challenge of an epoch other than the current one ± 1.
    assertThat(prover.answer(VALIDATOR.peerId(), challenge(dag, "deal", EPOCH - 1, 1))).isInstanceOf(PoaMessage.ProofReply.class);
    assertThat(prover.answer(VALIDATOR.peerId(), challenge(dag, "deal", EPOCH + 1, 1))).isInstanceOf(PoaMessage.ProofReply.class);
    PoaMessage replay = prover.answer(VALIDATOR.peerId(), challenge(dag, "deal", EPOCH - 2, 1));
    assertThat(code(replay)).isEqualTo(Code.WRONG_EPOCH);
    assertThat(((PoaMessage.Refused) replay).reason()).contains("epoch 8", "current epoch is 10");
    clock.advance(Duration.ofMinutes(2));
    assertThat(code(prover.answer(VALIDATOR.peerId(), good))).isEqualTo(Code.WRONG_EPOCH);
    clock.advance(Duration.ofMinutes(-2));
    // A deal not held here, and a held deal under another root.
    assertThat(code(prover.answer(VALIDATOR.peerId(), challenge(dag, "other-deal", EPOCH, 1)))).isEqualTo(Code.NOT_HOLDING);
    Dag another = TestDags.file(50 * 1024, 1024, true, 1, 7);
    Challenge wrongRoot = Challenge.sign(VALIDATOR, EPOCH, "deal", another.root(), NODE.peerId(), another.fileSize(), good.offsets(), 1, 2);
    assertThat(code(prover.answer(VALIDATOR.peerId(), wrongRoot))).isEqualTo(Code.NOT_HOLDING);
    // Undecodable bytes.
    PoaMessage malformed = PoaCodec.decode(prover.answer(VALIDATOR.peerId(), new byte[] {0x0a, 0x05, 0x01}), 0);
    assertThat(code(malformed)).isEqualTo(Code.MALFORMED);
    // A lost leaf: the node refuses rather than fetching it from anywhere.
    List<Leaf> leaves = TestDags.leaves(dag.store(), dag.root());
    for (Leaf l : leaves) {
      dag.store().delete(l.cid());
    }
    PoaMessage lost = prover.answer(VALIDATOR.peerId(), good);
    assertThat(code(lost)).isEqualTo(Code.NOT_HOLDING);
    assertThat(((PoaMessage.Refused) lost).reason()).startsWith("MISSING_BLOCK");
  }

  @Test
  void directoryRootsAreRefusedAsUnsupported() throws Exception {
    Dag file = TestDags.file(5000, 1024, true, 1, 8);
    MemoryBlockstore store = file.store();
    byte[] dir = DagPb.encode(PbNode.of(UnixFsData.directory().encode(), List.of(PbLink.of(file.root(), "a.bin", 6000))));
    Block dirBlock = Block.of(1, Multicodec.DAG_PB, Multicodec.SHA2_256, dir);
    store.put(dirBlock);
    Dag asDir = new Dag(store, dirBlock.cid(), 5000, file.content());
    Challenge c = challenge(asDir, "deal", EPOCH, 3);
    PoaMessage reply = prover(asDir, "deal").answer(VALIDATOR.peerId(), c);
    assertThat(code(reply)).isEqualTo(Code.UNSUPPORTED);
  }

  @Test
  void countsProofsGivenAndRefusedPerChallengeEpochForValidatorsChallengesOnly() throws Exception {
    Dag dag = TestDags.file(20 * 1024, 1024, true, 1, 9);
    PoaProver prover = prover(dag, "deal");
    Challenge good = challenge(dag, "deal", EPOCH, 1);
    prover.answer(VALIDATOR.peerId(), good);
    prover.answer(VALIDATOR.peerId(), challenge(dag, "deal", EPOCH - 1, 2));
    prover.answer(VALIDATOR.peerId(), challenge(dag, "deal", EPOCH + 1, 3));
    assertThat(code(prover.answer(VALIDATOR.peerId(), challenge(dag, "not-held", EPOCH, 4)))).isEqualTo(Code.NOT_HOLDING);
    assertThat(code(prover.answer(VALIDATOR.peerId(), challenge(dag, "deal", EPOCH - 2, 5)))).isEqualTo(Code.WRONG_EPOCH);
    // Not a validator's challenge to this node: not counted (anyone could send them, for any epoch).
    assertThat(code(prover.answer(NODE.peerId(), good))).isEqualTo(Code.BAD_SIGNATURE);
    Challenge forged = new Challenge(EPOCH + 20, good.dealId(), good.root(), good.node(), good.fileSize(), good.offsets(),
        good.issuedMillis(), good.deadlineMillis(), good.validator(), NODE.sign(good.signedBytes()));
    assertThat(code(prover.answer(VALIDATOR.peerId(), forged))).isEqualTo(Code.BAD_SIGNATURE);
    Challenge other = Challenge.sign(VALIDATOR, EPOCH, "deal", dag.root(), VALIDATOR.peerId(), dag.fileSize(), good.offsets(), 1, 2);
    assertThat(code(prover.answer(VALIDATOR.peerId(), other))).isEqualTo(Code.WRONG_NODE);

    assertThat(prover.proofCounts()).containsExactly(
        new PoaProver.EpochProofs(EPOCH - 2, 0, 1),
        new PoaProver.EpochProofs(EPOCH - 1, 1, 0),
        new PoaProver.EpochProofs(EPOCH, 1, 1),
        new PoaProver.EpochProofs(EPOCH + 1, 1, 0));

    // Only the last KEPT_EPOCHS epochs are kept, however long the node runs.
    for (int i = 0; i < PoaProver.KEPT_EPOCHS + 10; i++) {
      clock.advance(Duration.ofMinutes(1));
      long epoch = EPOCHS.epochAt(clock.millis());
      assertThat(prover.answer(VALIDATOR.peerId(), challenge(dag, "deal", epoch, 100 + i))).isInstanceOf(PoaMessage.ProofReply.class);
    }
    List<PoaProver.EpochProofs> kept = prover.proofCounts();
    assertThat(kept).hasSize(PoaProver.KEPT_EPOCHS);
    long last = EPOCHS.epochAt(clock.millis());
    assertThat(kept.get(kept.size() - 1)).isEqualTo(new PoaProver.EpochProofs(last, 1, 0));
    assertThat(kept.get(0).epoch()).isEqualTo(last - PoaProver.KEPT_EPOCHS + 1);
  }

  private static Code code(PoaMessage m) {
    assertThat(m).isInstanceOf(PoaMessage.Refused.class);
    return ((PoaMessage.Refused) m).code();
  }
}
