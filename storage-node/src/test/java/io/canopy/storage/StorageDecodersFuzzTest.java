package io.canopy.storage;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.canopy.content.block.Block;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.content.importer.Layout;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.Challenge;
import io.canopy.protocol.poa.ChallengeDerivation;
import io.canopy.protocol.poa.HeldDeal;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.PoaMessageException;
import io.canopy.protocol.poa.Proof;
import io.canopy.protocol.poa.ProofBlock;
import io.canopy.protocol.storage.Deal;
import io.canopy.protocol.storage.HoldingAck;
import io.canopy.protocol.storage.StorageCodec;
import io.canopy.protocol.storage.StorageMessage;
import io.canopy.protocol.storage.StorageMessageException;
import io.canopy.storage.poa.LeafPath;
import io.canopy.storage.poa.PoaProver;
import io.canopy.storage.poa.ProofVerifier;
import io.canopy.storage.poa.ProofVerifier.Outcome;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Coverage-guided fuzzing of what the storage node decodes from the network, and of the proof of
 * access on both sides. One {@code @FuzzTest} (Jazzer fuzzes one per JVM); the first int picks the
 * branch, the rest of the input (at most {@value #MAX_INPUT} bytes) feeds it. Each branch catches
 * only the documented refusal:
 *
 * <ul>
 *   <li>{@code POA_MESSAGE}: {@link PoaCodec#decode} (challenge, proof, deals request, held-deals
 *       page, refusal) for a fuzzed number of draws, refusal {@link PoaMessageException}; what
 *       decodes re-encodes to bytes that decode and encode to the same bytes.
 *   <li>{@code HELD_DEAL}: {@link HeldDeal#decode}, refusal {@link PoaMessageException}; stable
 *       encoding.
 *   <li>{@code STORAGE_MESSAGE}: {@link StorageCodec#decode} (the deal protocol), refusal {@link
 *       StorageMessageException}; stable encoding.
 *   <li>{@code DEAL}, {@code HOLDING_ACK}: {@link Deal#decode} and {@link HoldingAck#decode} (also
 *       read back from the deal store), refusal {@link StorageMessageException}; stable encoding.
 *   <li>{@code PROVER_REQUEST}: {@link PoaProver#answer(PeerId, byte[])} with the
 *       input as a validator's request; it must never throw, and its reply must decode.
 *   <li>{@code PROVER_CHALLENGE}: a challenge with fuzzed fields, signed by the validator, answered
 *       by the prover over a small real DAG; every proof it gives must pass the verifier, and an
 *       honest challenge (held deal, true file size) must get a proof.
 *   <li>{@code PROOF_BYTES}: {@link ProofVerifier#verify(Challenge, byte[])} of the input as the
 *       encoded proof for a fixed challenge on that DAG; it answers pass or a failure, never
 *       throws, and passes only the honest proof's blocks.
 *   <li>{@code PROOF_EDIT}: the honest proof with fuzzed edits (drop, duplicate, reorder, replace
 *       bytes, add a block); it passes exactly when the edited proof holds the honest blocks, each
 *       once.
 *   <li>{@code PROOF_DAG}: a DAG built from fuzzed nodes (DAG-PB with fuzzed UnixFS data, links and
 *       blocksizes, or raw leaves) whose blocks all hash to their CIDs, with fuzzed file size and
 *       offsets: the verifier answers without throwing, and whatever proof the prover builds from
 *       those blocks passes it.
 * </ul>
 */
class StorageDecodersFuzzTest {
  static final int MAX_INPUT = 64 * 1024;

  enum Branch {
    POA_MESSAGE, HELD_DEAL, STORAGE_MESSAGE, DEAL, HOLDING_ACK, PROVER_REQUEST, PROVER_CHALLENGE, PROOF_BYTES, PROOF_EDIT, PROOF_DAG
  }

  private static final Ed25519PrivateKey VALIDATOR = key(1);
  private static final Ed25519PrivateKey NODE = key(2);
  private static final EpochClock EPOCHS = new EpochClock(0, 60_000);
  private static final long EPOCH = 10;
  private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(EPOCH * 60_000 + 5), ZoneOffset.UTC);
  private static final String DEAL_ID = "deal-1";
  /** Small real DAGs from the Importer: a deep balanced tree with raw leaves, and a trickle DAG of DAG-PB leaves. */
  private static final List<Dag> DAGS = List.of(
      dag(600, 16, 4, true, 1, Layout.BALANCED, 1),
      dag(700, 32, 3, false, 0, Layout.TRICKLE, 2));
  private static final Challenge FIXED_CHALLENGE = challenge(DAGS.get(0), EPOCH, DAGS.get(0).fileSize(), new long[] {0, 17, 333, 599});
  private static final Proof HONEST_PROOF = honestProof(DAGS.get(0), FIXED_CHALLENGE.offsets());

  private record Dag(MemoryBlockstore store, Cid root, long fileSize, PoaProver prover) {}

  @FuzzTest
  void decode(FuzzedDataProvider data) throws IOException {
    Branch branch = Branch.values()[data.consumeInt(0, Branch.values().length - 1)];
    switch (branch) {
      case POA_MESSAGE -> poaMessage(data.consumeInt(0, 64), data.consumeRemainingAsBytes());
      case HELD_DEAL -> heldDeal(data.consumeRemainingAsBytes());
      case STORAGE_MESSAGE -> storageMessage(data.consumeRemainingAsBytes());
      case DEAL -> deal(data.consumeRemainingAsBytes());
      case HOLDING_ACK -> holdingAck(data.consumeRemainingAsBytes());
      case PROVER_REQUEST -> proverRequest(data.consumeBoolean(), data.consumeRemainingAsBytes());
      case PROVER_CHALLENGE -> proverChallenge(data);
      case PROOF_BYTES -> proofBytes(data.consumeRemainingAsBytes());
      case PROOF_EDIT -> proofEdit(data);
      case PROOF_DAG -> proofDag(data);
      default -> throw new AssertionError(branch);
    }
  }

  private static void poaMessage(int maxDraws, byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    PoaMessage message;
    try {
      message = PoaCodec.decode(bytes, maxDraws);
    } catch (PoaMessageException e) {
      return;
    }
    byte[] encoded = PoaCodec.encode(message);
    PoaMessage again;
    try {
      again = PoaCodec.decode(encoded, maxDraws);
    } catch (PoaMessageException e) {
      throw new AssertionError("a re-encoded " + message.getClass().getSimpleName() + " is refused: " + e.getMessage(), e);
    }
    stable(encoded, PoaCodec.encode(again), message);
  }

  private static void heldDeal(byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    HeldDeal deal;
    try {
      deal = HeldDeal.decode(bytes);
    } catch (PoaMessageException e) {
      return;
    }
    stable(deal.encode(), HeldDeal.decode(deal.encode()).encode(), deal);
  }

  private static void storageMessage(byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    StorageMessage message;
    try {
      message = StorageCodec.decode(bytes);
    } catch (StorageMessageException e) {
      return;
    }
    byte[] encoded = StorageCodec.encode(message);
    stable(encoded, StorageCodec.encode(StorageCodec.decode(encoded)), message);
  }

  private static void deal(byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    Deal deal;
    try {
      deal = Deal.decode(bytes);
    } catch (StorageMessageException e) {
      return;
    }
    stable(deal.encode(), Deal.decode(deal.encode()).encode(), deal);
  }

  private static void holdingAck(byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    HoldingAck ack;
    try {
      ack = HoldingAck.decode(bytes);
    } catch (StorageMessageException e) {
      return;
    }
    stable(ack.encode(), HoldingAck.decode(ack.encode()).encode(), ack);
  }

  private static void stable(byte[] encoded, byte[] again, Object value) {
    if (!Arrays.equals(encoded, again)) {
      throw new AssertionError("encoding of " + value + " is not stable: " + HexFormat.of().formatHex(encoded) + " then "
          + HexFormat.of().formatHex(again));
    }
  }

  private static void proverRequest(boolean fromValidator, byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    PoaProver prover = DAGS.get(0).prover();
    byte[] reply = prover.answer(fromValidator ? VALIDATOR.peerId() : NODE.peerId(), bytes);
    try {
      PoaCodec.decode(reply, ChallengeDerivation.MAX_DRAWS);
    } catch (PoaMessageException e) {
      throw new AssertionError("the prover's reply does not decode: " + e.getMessage(), e);
    }
  }

  private static void proverChallenge(FuzzedDataProvider data) {
    Dag dag = DAGS.get(data.consumeInt(0, DAGS.size() - 1));
    long epoch = EPOCH + data.consumeInt(-2, 2);
    boolean trueSize = data.consumeBoolean();
    long fileSize = trueSize ? dag.fileSize() : data.consumeLong(0, Long.MAX_VALUE);
    long[] offsets = new long[data.consumeInt(0, ChallengeDerivation.MAX_DRAWS)];
    for (int i = 0; i < offsets.length && fileSize > 0; i++) {
      offsets[i] = data.consumeLong(0, fileSize - 1);
    }
    if (fileSize == 0) {
      offsets = new long[0];
    }
    Challenge challenge = challenge(dag, epoch, fileSize, offsets);
    PoaMessage reply = dag.prover().answer(VALIDATOR.peerId(), challenge);
    if (reply instanceof PoaMessage.ProofReply p) {
      Outcome outcome = ProofVerifier.verify(challenge, p.proof().encode());
      if (!outcome.passed()) {
        throw new AssertionError("the prover's proof for " + challenge + " fails: " + outcome.reason());
      }
    } else if (trueSize && Math.abs(epoch - EPOCH) <= 1) {
      throw new AssertionError("an honest challenge " + challenge + " was refused: " + reply);
    }
  }

  private static void proofBytes(byte[] bytes) {
    if (bytes.length > MAX_INPUT) {
      return;
    }
    Outcome outcome = ProofVerifier.verify(FIXED_CHALLENGE, bytes);
    if (outcome.passed()) {
      Proof proof = Proof.decode(bytes, Integer.MAX_VALUE, Integer.MAX_VALUE);
      if (!sameBlocks(proof.blocks(), HONEST_PROOF.blocks())) {
        throw new AssertionError("a proof that is not the honest one passed: " + proof);
      }
    }
  }

  private static void proofEdit(FuzzedDataProvider data) {
    List<ProofBlock> blocks = new ArrayList<>(HONEST_PROOF.blocks());
    int edits = data.consumeInt(0, 4);
    for (int e = 0; e < edits && !blocks.isEmpty(); e++) {
      int i = data.consumeInt(0, blocks.size() - 1);
      switch (data.consumeInt(0, 4)) {
        case 0 -> blocks.remove(i);
        case 1 -> blocks.add(data.consumeInt(0, blocks.size()), blocks.get(i));
        case 2 -> blocks.add(data.consumeInt(0, blocks.size() - 1), blocks.remove(i));
        case 3 -> { // other bytes under the same CID
          byte[] bytes = blocks.get(i).data().clone();
          if (bytes.length > 0) {
            bytes[data.consumeInt(0, bytes.length - 1)] ^= (byte) data.consumeInt(1, 255);
          }
          blocks.set(i, new ProofBlock(blocks.get(i).cid(), bytes));
        }
        default -> { // a block that hashes to its CID but is on no path
          byte[] bytes = data.consumeBytes(512);
          blocks.add(new ProofBlock(Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, bytes), bytes));
        }
      }
    }
    Outcome outcome = ProofVerifier.verify(FIXED_CHALLENGE, new Proof(blocks).encode());
    boolean honest = sameBlocks(blocks, HONEST_PROOF.blocks());
    if (outcome.passed() != honest) {
      throw new AssertionError((honest ? "the honest blocks failed: " + outcome.reason() : "an edited proof passed") + " " + blocks);
    }
  }

  /** Whether {@code blocks} are {@code honest}'s blocks (by multihash and bytes), each once, in any order. */
  private static boolean sameBlocks(List<ProofBlock> blocks, List<ProofBlock> honest) {
    if (blocks.size() != honest.size()) {
      return false;
    }
    Map<Multihash, byte[]> want = new HashMap<>();
    honest.forEach(b -> want.put(b.cid().multihash(), b.data()));
    for (ProofBlock b : blocks) {
      byte[] expected = want.remove(b.cid().multihash());
      if (expected == null || !Arrays.equals(expected, b.data())) {
        return false;
      }
    }
    return true;
  }

  private static void proofDag(FuzzedDataProvider data) throws IOException {
    // Blocks are made last to first, so each DAG-PB node can link to any block made before it.
    int count = data.consumeInt(1, 8);
    List<Cid> cids = new ArrayList<>();
    MemoryBlockstore store = new MemoryBlockstore();
    for (int n = 0; n < count; n++) {
      byte[] block;
      Cid cid;
      if (n == 0 || data.consumeBoolean()) {
        block = data.consumeBytes(64);
        cid = data.consumeBoolean() ? Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, block) : Cid.of(0, Multicodec.DAG_PB,
            Multicodec.SHA2_256, block);
      } else {
        int links = data.consumeInt(0, Math.min(4, cids.size()));
        List<PbLink> pbLinks = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (int l = 0; l < links; l++) {
          pbLinks.add(new PbLink(cids.get(data.consumeInt(0, cids.size() - 1)), "", null));
          sizes.add(data.consumeBoolean() ? data.consumeLong(0, 64) : data.consumeLong(0, Long.MAX_VALUE));
        }
        UnixFsType type = data.consumeBoolean() ? UnixFsType.FILE
            : UnixFsType.values()[data.consumeInt(0, 5)];
        Long declared = data.consumeBoolean() ? null : data.consumeLong(0, Long.MAX_VALUE);
        UnixFsData unixfs = new UnixFsData(type, data.consumeBytes(16), declared,
            sizes, null, null, null, null);
        block = DagPb.encode(new PbNode(pbLinks, unixfs.encode()));
        cid = Cid.of(data.consumeInt(0, 1), Multicodec.DAG_PB, Multicodec.SHA2_256, block);
      }
      store.put(new Block(cid, block));
      cids.add(cid);
    }
    Cid root = cids.get(cids.size() - 1);
    long fileSize = data.consumeBoolean() ? data.consumeLong(0, 1024) : data.consumeLong(0, Long.MAX_VALUE);
    long[] offsets = new long[fileSize == 0 ? 0 : data.consumeInt(0, 8)];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = data.consumeLong(0, fileSize - 1);
    }
    List<ProofBlock> all = new ArrayList<>();
    for (Cid c : cids) {
      all.add(new ProofBlock(c, store.get(c)));
    }
    ProofVerifier.verify(root, fileSize, offsets, new Proof(all)); // pass or a failure, whatever the DAG
    PoaProver prover = new PoaProver(NODE.peerId(), store, id -> Optional.of(root), EPOCHS, CLOCK, p -> true);
    Proof proof;
    try {
      proof = prover.prove(root, fileSize, offsets);
    } catch (LeafPath.PathException e) {
      return;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Outcome outcome = ProofVerifier.verify(root, fileSize, offsets, proof);
    if (!outcome.passed()) {
      throw new AssertionError("the prover's proof over its own blocks fails: " + outcome.reason());
    }
  }

  private static Challenge challenge(Dag dag, long epoch, long fileSize, long[] offsets) {
    return Challenge.sign(VALIDATOR, epoch, DEAL_ID, dag.root(), NODE.peerId(), fileSize, offsets, CLOCK.millis(), CLOCK.millis() + 10_000);
  }

  private static Proof honestProof(Dag dag, long[] offsets) {
    try {
      return dag.prover().prove(dag.root(), dag.fileSize(), offsets);
    } catch (Exception e) {
      throw new IllegalStateException("no honest proof for the fixed challenge", e);
    }
  }

  private static Dag dag(int size, int chunk, int maxLinks, boolean rawLeaves, int cidVersion, Layout layout, long seed) {
    byte[] content = new byte[size];
    new Random(seed).nextBytes(content);
    MemoryBlockstore store = new MemoryBlockstore();
    ImportOptions options = ImportOptions.builder().chunkSize(chunk).maxLinks(maxLinks).rawLeaves(rawLeaves).cidVersion(cidVersion)
        .layout(layout).build();
    try {
      ImportResult r = new Importer(store::put, options).importFile(new ByteArrayInputStream(content));
      PoaProver prover = new PoaProver(NODE.peerId(), store, id -> id.equals(DEAL_ID) ? Optional.of(r.cid()) : Optional.empty(), EPOCHS,
          CLOCK, p -> p.equals(VALIDATOR.peerId()));
      return new Dag(store, r.cid(), r.fileSize(), prover);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Ed25519PrivateKey key(int seed) {
    byte[] bytes = new byte[Ed25519PrivateKey.SEED_LENGTH];
    Arrays.fill(bytes, (byte) seed);
    return Ed25519PrivateKey.fromSeed(bytes);
  }
}
