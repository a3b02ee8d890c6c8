package io.canopy.storage.poa;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.poa.ChallengeDerivation;
import io.canopy.protocol.poa.Proof;
import io.canopy.protocol.poa.ProofBlock;
import io.canopy.storage.poa.ProofVerifier.Outcome;
import io.canopy.storage.poa.TestDags.Dag;
import io.canopy.storage.poa.TestDags.Leaf;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every way of tampering with a proof is refused, with its reason (spec/proofs.md §5.4.2). */
class ProofVerifierTest {
  private static final Ed25519PrivateKey NODE = Ed25519PrivateKey.generate(new SecureRandom());
  private static Dag dag;
  private static Dag other;
  private static long[] offsets;
  private static Proof proof;

  @BeforeAll
  static void setUp() throws Exception {
    dag = TestDags.file(300 * 1024 + 5, 1024, true, 1, 21); // 301 leaves, three levels
    other = TestDags.file(300 * 1024 + 5, 1024, true, 1, 22);
    offsets = draws(dag, "deal", 1);
    proof = prove(dag, offsets);
    assertThat(verify(proof)).isEqualTo(Outcome.PASS);
  }

  private static long[] draws(Dag d, String dealId, long seed) {
    return ChallengeDerivation.offsets(PoaProverTest.beacon(seed), dealId, NODE.peerId(), d.fileSize(), 20);
  }

  private static Proof prove(Dag d, long[] at) throws Exception {
    return new PoaProver(NODE.peerId(), d.store(), id -> java.util.Optional.of(d.root()), PoaProver.DEFAULT_EPOCHS,
        java.time.Clock.systemUTC(), p -> true).prove(d.root(), d.fileSize(), at);
  }

  private static Outcome verify(Proof p) {
    return ProofVerifier.verify(dag.root(), dag.fileSize(), offsets, p);
  }

  private static List<ProofBlock> blocks() {
    return new ArrayList<>(proof.blocks());
  }

  private static int leafIndex() {
    List<ProofBlock> b = proof.blocks();
    for (int i = b.size() - 1; i >= 0; i--) {
      if (b.get(i).cid().codec() == Multicodec.RAW.code()) {
        return i;
      }
    }
    throw new AssertionError("no leaf");
  }

  @Test
  void missingBlock() {
    List<ProofBlock> b = blocks();
    b.remove(leafIndex());
    assertThat(verify(new Proof(b)).failure()).isEqualTo(ProofFailure.MISSING_BLOCK);
    List<ProofBlock> noRoot = blocks();
    noRoot.remove(0);
    Outcome o = verify(new Proof(noRoot));
    assertThat(o.failure()).isEqualTo(ProofFailure.MISSING_BLOCK);
    assertThat(o.reason()).contains(dag.root().toString());
  }

  @Test
  void blockOfAnotherDag() throws Exception {
    Leaf foreign = TestDags.leaves(other.store(), other.root()).get(7);
    byte[] foreignData = other.store().get(foreign.cid());
    // Under its own CID it is junk on no path, and the leaf it replaces is missing.
    List<ProofBlock> b = blocks();
    int i = leafIndex();
    b.set(i, new ProofBlock(foreign.cid(), foreignData));
    assertThat(verify(new Proof(b)).failure()).isEqualTo(ProofFailure.MISSING_BLOCK);
    // Under the replaced leaf's CID its bytes do not hash.
    b.set(i, new ProofBlock(proof.blocks().get(i).cid(), foreignData));
    assertThat(verify(new Proof(b)).failure()).isEqualTo(ProofFailure.BAD_BLOCK_HASH);
  }

  @Test
  void proofOfAnotherDealsDag() throws Exception {
    Proof otherProof = prove(other, offsets);
    assertThat(verify(otherProof).failure()).isEqualTo(ProofFailure.MISSING_BLOCK);
  }

  @Test
  void proofForTheWrongOffsets() throws Exception {
    Proof stale = prove(dag, draws(dag, "deal", 2)); // last epoch's draws, say
    assertThat(verify(stale).failure()).isIn(ProofFailure.MISSING_BLOCK, ProofFailure.EXTRA_BLOCK);
    Proof oneShort = prove(dag, Arrays.copyOf(offsets, 19));
    assertThat(verify(oneShort).passed()).isEqualTo(oneShort.blocks().equals(proof.blocks())); // only if the 20th draw added nothing
  }

  @Test
  void extraJunkAndDuplicates() throws Exception {
    List<ProofBlock> junk = blocks();
    byte[] data = "junk".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    junk.add(new ProofBlock(Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, data), data));
    assertThat(verify(new Proof(junk)).failure()).isEqualTo(ProofFailure.EXTRA_BLOCK);
    List<ProofBlock> unused = blocks();
    Leaf notDrawn = TestDags.leaves(dag.store(), dag.root()).stream()
        .filter(l -> proof.blocks().stream().noneMatch(pb -> pb.cid().equals(l.cid()))).findFirst().orElseThrow();
    unused.add(new ProofBlock(notDrawn.cid(), dag.store().get(notDrawn.cid())));
    assertThat(verify(new Proof(unused)).failure()).isEqualTo(ProofFailure.EXTRA_BLOCK);
    List<ProofBlock> twice = blocks();
    twice.add(twice.get(0));
    assertThat(verify(new Proof(twice)).failure()).isEqualTo(ProofFailure.DUPLICATE_BLOCK);
  }

  @Test
  void overLimit() {
    List<ProofBlock> many = new ArrayList<>();
    for (int i = 0; i <= Proof.maxBlocks(20); i++) {
      byte[] d = {(byte) i, (byte) (i >> 8)};
      many.add(new ProofBlock(Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, d), d));
    }
    assertThat(verify(new Proof(many)).failure()).isEqualTo(ProofFailure.OVER_LIMIT);
    byte[] big = new Proof(many).encode();
    assertThat(ProofVerifier.verify(io.canopy.protocol.poa.Challenge.sign(Ed25519PrivateKey.generate(new SecureRandom()), 1, "deal",
        dag.root(), NODE.peerId(), dag.fileSize(), offsets, 1, 2), big).failure()).isEqualTo(ProofFailure.OVER_LIMIT);
  }

  @Test
  void wrongFileSize() {
    Outcome o = ProofVerifier.verify(dag.root(), dag.fileSize() + 1, offsets, proof);
    assertThat(o.failure()).isEqualTo(ProofFailure.WRONG_FILE_SIZE);
  }

  /** A hash-consistent DAG whose blocksizes lie about a child: the walk notices the leaf does not hold the offset. */
  @Test
  void blocksizesThatLieAreABadPath() throws Exception {
    Leaf leaf = TestDags.leaves(dag.store(), dag.root()).get(0);
    byte[] leafData = dag.store().get(leaf.cid());
    long claimed = leafData.length + 10;
    byte[] rootBytes = DagPb.encode(PbNode.of(UnixFsData.file(null, claimed, List.of(claimed)).encode(),
        List.of(PbLink.of(leaf.cid(), "", leafData.length))));
    Block root = Block.of(1, Multicodec.DAG_PB, Multicodec.SHA2_256, rootBytes);
    Proof lying = new Proof(List.of(new ProofBlock(root.cid(), rootBytes), new ProofBlock(leaf.cid(), leafData)));
    Outcome o = ProofVerifier.verify(root.cid(), claimed, new long[] {claimed - 1}, lying);
    assertThat(o.failure()).isEqualTo(ProofFailure.BAD_PATH);
    assertThat(o.reason()).contains("blocksizes say " + claimed);
  }

  @Test
  void truncatedOrMutatedBytesNeverPass() {
    io.canopy.protocol.poa.Challenge c = io.canopy.protocol.poa.Challenge.sign(Ed25519PrivateKey.generate(new SecureRandom()), 1,
        "deal", dag.root(), NODE.peerId(), dag.fileSize(), offsets, 1, 2);
    byte[] good = proof.encode();
    assertThat(ProofVerifier.verify(c, good).passed()).isTrue();
    Random random = new Random(5);
    for (int i = 0; i < 300; i++) {
      byte[] cut = Arrays.copyOf(good, random.nextInt(good.length));
      assertThat(ProofVerifier.verify(c, cut).passed()).isFalse();
    }
    for (int i = 0; i < 300; i++) {
      byte[] mutated = good.clone();
      mutated[random.nextInt(mutated.length)] ^= (byte) (1 + random.nextInt(255));
      Outcome o = ProofVerifier.verify(c, mutated);
      if (o.passed()) {
        // Only a change of a block's CID prefix (version/codec) can leave the proof valid: same multihashes, same bytes.
        Proof p = Proof.decode(mutated, Proof.maxSize(20), Proof.maxBlocks(20));
        assertThat(p.blocks()).hasSameSizeAs(proof.blocks());
        for (int b = 0; b < p.blocks().size(); b++) {
          assertThat(p.blocks().get(b).cid().multihash()).isEqualTo(proof.blocks().get(b).cid().multihash());
          assertThat(p.blocks().get(b).data()).isEqualTo(proof.blocks().get(b).data());
        }
      }
    }
    assertThat(ProofVerifier.verify(c, new byte[] {0x0a, 0x7f}).failure()).isEqualTo(ProofFailure.MALFORMED);
  }
}
