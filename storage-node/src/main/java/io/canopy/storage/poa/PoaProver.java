package io.canopy.storage.poa;

import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.Challenge;
import io.canopy.protocol.poa.HeldDeal;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.PoaMessage.Code;
import io.canopy.protocol.poa.PoaMessage.Refused;
import io.canopy.protocol.poa.PoaMessageException;
import io.canopy.protocol.poa.Proof;
import io.canopy.protocol.poa.ProofBlock;
import io.canopy.protocol.storage.Deal;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * The storage node's side of a proof of access (spec/proofs.md §5.6), with no networking in it:
 * checks the challenge (it names this node, the validator signed it and sent it, its epoch is the
 * current one ± 1, the node holds the deal under that root), then builds the proof from the
 * local blockstore only. It never asks the network for a block: a node that lost one refuses
 * with {@code NOT_HOLDING}, which the validator records as a failure.
 *
 * <p>It also reports, to validators only, the deals it holds in full, page by page, each with the
 * owner's signature and the UnixFS file size of its root read from the local blockstore.
 */
public final class PoaProver {
  private static final System.Logger LOG = System.getLogger(PoaProver.class.getName());

  /** What the node holds: the root of each deal it holds in full, by deal id. */
  @FunctionalInterface
  public interface HeldDeals {
    Optional<Cid> heldRoot(String dealId) throws IOException;

    /**
     * Every deal held in full (not one still being fetched), with the owner's signature, in any
     * order; the file sizes are read from the blockstore by the prover. None by default, for
     * callers that only answer challenges.
     */
    default List<SignedDeal> heldDeals() throws IOException {
      return List.of();
    }
  }

  /** A held deal as the owner signed it. */
  public record SignedDeal(Deal deal, byte[] ownerSignature) {
    public SignedDeal {
      Objects.requireNonNull(deal, "deal");
      Objects.requireNonNull(ownerSignature, "ownerSignature");
    }
  }

  /** How many proofs this node gave and refused for the challenges of one epoch (those that came from a validator). */
  public record EpochProofs(long epoch, long answered, long refused) {}

  /** Challenge epochs whose counts are kept: the last this many. */
  public static final int KEPT_EPOCHS = 32;

  /** Used until the node is given the network's epoch clock: genesis at Unix 0, one-hour epochs. */
  public static final EpochClock DEFAULT_EPOCHS = new EpochClock(0, EpochClock.DEFAULT_LENGTH_MILLIS);

  private final PeerId self;
  private final Blockstore localBlocks;
  private final HeldDeals deals;
  private final EpochClock epochs;
  private final Clock clock;
  private final Predicate<PeerId> validators;
  /** Per challenge epoch: {answered, refused}; only the last {@link #KEPT_EPOCHS} epochs. */
  private final java.util.TreeMap<Long, long[]> proofCounts = new java.util.TreeMap<>();

  /**
   * @param localBlocks the node's own blockstore, never one that falls back on Bitswap
   * @param validators which peers may challenge (the configured validator set; any peer if unknown)
   */
  public PoaProver(PeerId self, Blockstore localBlocks, HeldDeals deals, EpochClock epochs, Clock clock, Predicate<PeerId> validators) {
    this.self = Objects.requireNonNull(self);
    this.localBlocks = Objects.requireNonNull(localBlocks);
    this.deals = Objects.requireNonNull(deals);
    this.epochs = Objects.requireNonNull(epochs);
    this.clock = Objects.requireNonNull(clock);
    this.validators = Objects.requireNonNull(validators);
  }

  /** The encoded reply to an encoded request (a challenge or a deals request) from {@code from}; never throws. */
  public byte[] answer(PeerId from, byte[] request) {
    PoaMessage message;
    try {
      message = PoaCodec.decode(request, 0);
    } catch (PoaMessageException e) {
      return PoaCodec.encode(new Refused(Code.MALFORMED, "cannot decode the request: " + e.getMessage()));
    }
    if (message instanceof PoaMessage.ChallengeRequest c) {
      return PoaCodec.encode(answer(from, c.challenge()));
    }
    if (message instanceof PoaMessage.DealsRequest q) {
      return PoaCodec.encode(answer(from, q));
    }
    return PoaCodec.encode(new Refused(Code.MALFORMED, "expected a challenge or a deals request, got " + message.getClass().getSimpleName()));
  }

  /**
   * A {@link PoaMessage.Deals} page, or a {@link Refused} if {@code from} is not a validator
   * (spec/proofs.md §5.6): the deals held in full whose id comes after {@code request.after()}
   * in UTF-8 byte order, sorted, at most {@link PoaMessage.Deals#MAX_DEALS} of them and {@link
   * PoaMessage.Deals#MAX_BYTES} encoded. A deal whose root is a directory, or whose root block is
   * not in the local blockstore, is left out: it cannot be challenged (§5.2.3) or would fail.
   */
  public PoaMessage answer(PeerId from, PoaMessage.DealsRequest request) {
    if (!validators.test(from)) {
      return new Refused(Code.BAD_SIGNATURE, from + " is not a validator");
    }
    try {
      byte[] after = request.after().getBytes(StandardCharsets.UTF_8);
      List<Map.Entry<byte[], SignedDeal>> held = new ArrayList<>();
      for (SignedDeal d : deals.heldDeals()) {
        byte[] id = d.deal().id().getBytes(StandardCharsets.UTF_8);
        if (Arrays.compareUnsigned(id, after) > 0) {
          held.add(Map.entry(id, d));
        }
      }
      held.sort((a, b) -> Arrays.compareUnsigned(a.getKey(), b.getKey())); // DealsRequest.ID_ORDER, keys computed once
      List<HeldDeal> page = new ArrayList<>();
      Map<Cid, OptionalLong> sizes = new HashMap<>();
      long bytes = PoaMessage.Deals.OVERHEAD;
      String previous = null;
      for (SignedDeal d : held.stream().map(Map.Entry::getValue).toList()) {
        if (d.deal().id().equals(previous)) {
          continue; // one entry per id
        }
        OptionalLong fileSize = sizes.computeIfAbsent(d.deal().root(), r -> fileSize(d.deal()));
        if (fileSize.isEmpty()) {
          continue;
        }
        HeldDeal entry = new HeldDeal(d.deal(), d.ownerSignature(), fileSize.getAsLong());
        int size = PoaMessage.Deals.encodedSize(entry);
        if (PoaMessage.Deals.OVERHEAD + size > PoaMessage.Deals.MAX_BYTES) {
          skip(d.deal(), "it alone exceeds a page");
          continue;
        }
        if (page.size() == PoaMessage.Deals.MAX_DEALS || bytes + size > PoaMessage.Deals.MAX_BYTES) {
          return new PoaMessage.Deals(page, true);
        }
        page.add(entry);
        bytes += size;
        previous = d.deal().id();
      }
      return new PoaMessage.Deals(page, false);
    } catch (IOException | RuntimeException e) {
      return new Refused(Code.INTERNAL, "cannot list the held deals: " + e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /**
   * The UnixFS file size of {@code deal}'s root as the local blockstore has it (spec/proofs.md
   * §5.2.1): a raw root's length, or a DAG-PB File (or Raw) root's inline data plus its
   * blocksizes, which its {@code filesize}, if present, must equal. Empty, with a log line, for a
   * directory or other non-file root, a missing root block, or a root whose sizes disagree.
   */
  private OptionalLong fileSize(Deal deal) {
    Cid root = deal.root();
    byte[] block;
    try {
      block = localBlocks.get(root);
    } catch (BlockNotFoundException e) {
      return skip(deal, "its root block is not in the local blockstore");
    } catch (IOException e) {
      return skip(deal, "its root block cannot be read: " + e.getMessage());
    }
    if (root.codec() == Multicodec.RAW.code()) {
      return OptionalLong.of(block.length);
    }
    if (root.codec() != Multicodec.DAG_PB.code()) {
      return skip(deal, "its root is " + Multicodec.describe(root.codec()) + ", not UnixFS");
    }
    UnixFsData data;
    try {
      PbNode node = DagPb.decode(block);
      data = UnixFsData.decode(node.data());
    } catch (RuntimeException e) {
      return skip(deal, "its root is not a UnixFS node: " + e.getMessage());
    }
    if (!data.type().isFileData()) {
      return skip(deal, "its root is a UnixFS " + data.type() + ", not a file (proofs.md §5.2.3: UNSUPPORTED)");
    }
    long total = data.dataOrEmpty().length;
    for (long s : data.blockSizes()) {
      if (s < 0) {
        return skip(deal, "its root has a negative blocksize");
      }
      total += s;
    }
    if (data.fileSize() != null && data.fileSize() != total) {
      return skip(deal, "its root says filesize " + data.fileSize() + " but holds " + total + " bytes");
    }
    return OptionalLong.of(total);
  }

  private static OptionalLong skip(Deal deal, String why) {
    LOG.log(System.Logger.Level.INFO, "not reporting deal {0}: {1}", deal.id(), why);
    return OptionalLong.empty();
  }

  /**
   * A {@link PoaMessage.ProofReply} or a {@link Refused} with the reason. A challenge that a
   * validator signed and sent is counted under its epoch, answered or refused ({@link #proofCounts}).
   */
  public PoaMessage answer(PeerId from, Challenge challenge) {
    PoaMessage reply = prove(from, challenge);
    // WRONG_NODE and BAD_SIGNATURE come before the challenge is known to be a validator's; every other answer after.
    boolean authentic = reply instanceof PoaMessage.ProofReply
        || reply instanceof Refused r && r.code() != Code.WRONG_NODE && r.code() != Code.BAD_SIGNATURE;
    if (authentic) {
      count(challenge.epoch(), reply instanceof PoaMessage.ProofReply);
    }
    return reply;
  }

  private synchronized void count(long epoch, boolean answered) {
    if (proofCounts.size() >= KEPT_EPOCHS && !proofCounts.containsKey(epoch)) {
      if (epoch < proofCounts.firstKey()) {
        return;
      }
      proofCounts.pollFirstEntry();
    }
    proofCounts.computeIfAbsent(epoch, e -> new long[2])[answered ? 0 : 1]++;
  }

  /** Proofs given and refused per challenge epoch, for the last {@link #KEPT_EPOCHS} epochs challenged, ascending. */
  public synchronized List<EpochProofs> proofCounts() {
    List<EpochProofs> out = new ArrayList<>();
    proofCounts.forEach((epoch, c) -> out.add(new EpochProofs(epoch, c[0], c[1])));
    return out;
  }

  private PoaMessage prove(PeerId from, Challenge challenge) {
    if (!challenge.node().equals(self)) {
      return new Refused(Code.WRONG_NODE, "the challenge is for " + challenge.node() + ", this node is " + self);
    }
    if (!challenge.validator().equals(from)) {
      return new Refused(Code.BAD_SIGNATURE, "the challenge is signed by " + challenge.validator() + " but sent by " + from);
    }
    if (!validators.test(from)) {
      return new Refused(Code.BAD_SIGNATURE, from + " is not a validator");
    }
    if (!challenge.verify()) {
      return new Refused(Code.BAD_SIGNATURE, "the validator's signature does not verify");
    }
    long current = epochs.epochAt(clock.millis());
    if (Math.abs(challenge.epoch() - current) > 1) {
      return new Refused(Code.WRONG_EPOCH, "challenge of epoch " + challenge.epoch() + ", the current epoch is " + current);
    }
    try {
      Optional<Cid> held = deals.heldRoot(challenge.dealId());
      if (held.isEmpty()) {
        return new Refused(Code.NOT_HOLDING, "deal " + challenge.dealId() + " is not held here");
      }
      if (!held.get().multihash().equals(challenge.root().multihash())) {
        return new Refused(Code.NOT_HOLDING, "deal " + challenge.dealId() + " is held under " + held.get() + ", not " + challenge.root());
      }
      Proof proof = prove(challenge.root(), challenge.fileSize(), challenge.offsets());
      if (proof.encode().length > Proof.maxSize(challenge.draws())) {
        return new Refused(Code.TOO_LARGE, "the proof exceeds " + Proof.maxSize(challenge.draws()) + " bytes");
      }
      return new PoaMessage.ProofReply(proof);
    } catch (LeafPath.PathException e) {
      Code code = switch (e.failure()) {
        case MISSING_BLOCK -> Code.NOT_HOLDING;
        case UNSUPPORTED_ROOT -> Code.UNSUPPORTED;
        default -> Code.INTERNAL;
      };
      return new Refused(code, e.getMessage());
    } catch (IOException | RuntimeException e) {
      return new Refused(Code.INTERNAL, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  /** The proof for {@code offsets} of the file under {@code root}, from local blocks: each block once, in path order. */
  public Proof prove(Cid root, long fileSize, long[] offsets) throws LeafPath.PathException, IOException {
    Map<Multihash, byte[]> read = new HashMap<>();
    Map<Multihash, ProofBlock> blocks = new LinkedHashMap<>();
    LeafPath.BlockSource source = cid -> {
      byte[] data = read.get(cid.multihash());
      if (data == null) {
        try {
          data = localBlocks.get(cid);
        } catch (BlockNotFoundException e) {
          return null;
        }
        read.put(cid.multihash(), data);
      }
      return data;
    };
    LeafPath walker = new LeafPath(root, fileSize, source);
    List<List<Cid>> paths = new ArrayList<>();
    if (offsets.length == 0) {
      paths.add(walker.to(-1));
    }
    for (long offset : offsets) {
      paths.add(walker.to(offset));
    }
    for (List<Cid> path : paths) {
      for (Cid cid : path) {
        blocks.computeIfAbsent(cid.multihash(), h -> new ProofBlock(cid, read.get(h)));
      }
    }
    return new Proof(new ArrayList<>(blocks.values()));
  }
}
