package io.canopy.storage.poa;

import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multihash;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.Challenge;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.PoaMessage.Code;
import io.canopy.protocol.poa.PoaMessage.Refused;
import io.canopy.protocol.poa.PoaMessageException;
import io.canopy.protocol.poa.Proof;
import io.canopy.protocol.poa.ProofBlock;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The storage node's side of a proof of access (spec/proofs.md §5.6), with no networking in it:
 * checks the challenge (it names this node, the validator signed it and sent it, its epoch is the
 * current one ± 1, the node holds the deal under that root), then builds the proof from the
 * local blockstore only. It never asks the network for a block: a node that lost one refuses
 * with {@code NOT_HOLDING}, which the validator records as a failure.
 */
public final class PoaProver {
  /** What the node holds: the root of each deal it holds in full, by deal id. */
  @FunctionalInterface
  public interface HeldDeals {
    Optional<Cid> heldRoot(String dealId) throws IOException;
  }

  /** Used until the node is given the network's epoch clock: genesis at Unix 0, one-hour epochs. */
  public static final EpochClock DEFAULT_EPOCHS = new EpochClock(0, EpochClock.DEFAULT_LENGTH_MILLIS);

  private final PeerId self;
  private final Blockstore localBlocks;
  private final HeldDeals deals;
  private final EpochClock epochs;
  private final Clock clock;
  private final Predicate<PeerId> validators;

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

  /** The encoded reply to an encoded request from {@code from}; never throws. */
  public byte[] answer(PeerId from, byte[] request) {
    PoaMessage message;
    try {
      message = PoaCodec.decode(request, 0);
    } catch (PoaMessageException e) {
      return PoaCodec.encode(new Refused(Code.MALFORMED, "cannot decode the challenge: " + e.getMessage()));
    }
    if (!(message instanceof PoaMessage.ChallengeRequest c)) {
      return PoaCodec.encode(new Refused(Code.MALFORMED, "expected a challenge, got " + message.getClass().getSimpleName()));
    }
    return PoaCodec.encode(answer(from, c.challenge()));
  }

  /** A {@link PoaMessage.ProofReply} or a {@link Refused} with the reason. */
  public PoaMessage answer(PeerId from, Challenge challenge) {
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
