package io.canopy.validator.poa;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.protocol.epoch.Beacon;
import io.canopy.protocol.poa.Challenge;
import io.canopy.protocol.poa.ChallengeDerivation;
import io.canopy.protocol.poa.DeadlineRule;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.PoaMessageException;
import io.canopy.protocol.poa.Verdict;
import io.canopy.storage.poa.ProofVerifier;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * The validator's side of one storage challenge (spec/proofs.md §5.3–5.7): derives the offsets
 * from the beacon, signs and sends the challenge over {@code /canopy/poa/1.0.0}, verifies the
 * answer against the deal's root alone, applies the deadline {@code T0 + P / B_min} and signs the
 * verdict. Which (deal, replica) pairs to challenge, and when, is the epoch scheduler's business.
 * {@link #issue} and {@link #judge} hold all the logic and take no network, so they are tested
 * with plain calls and a simulated clock.
 */
public final class StorageChallenger {
  /** k and the deadline rule; defaults k = 20, T0 = 2 s, B_min = 4 MiB/s. */
  public record Config(int draws, DeadlineRule deadline) {
    public static final Config DEFAULT = new Config(ChallengeDerivation.DEFAULT_DRAWS, DeadlineRule.DEFAULT);

    public Config {
      Objects.requireNonNull(deadline, "deadline");
      if (draws < 1 || draws > ChallengeDerivation.MAX_DRAWS) {
        throw new IllegalArgumentException("draws must be 1.." + ChallengeDerivation.MAX_DRAWS + ": " + draws);
      }
    }
  }

  /**
   * What is challenged: a deal, its root, the UnixFS file size of the root (the draws' range) and
   * the DAG's size in bytes (the deal's {@code size}; 0 if unknown), which bounds the proof.
   */
  public record Target(String dealId, Cid root, long fileSize, long dagSize) {
    public Target {
      Objects.requireNonNull(dealId, "dealId");
      Objects.requireNonNull(root, "root");
    }
  }

  private final Host host;
  private final Ed25519PrivateKey key;
  private final Clock clock;
  private final Config config;

  public StorageChallenger(Host host, Ed25519PrivateKey key, Clock clock, Config config) {
    this.host = host;
    this.key = Objects.requireNonNull(key);
    this.clock = Objects.requireNonNull(clock);
    this.config = Objects.requireNonNull(config);
  }

  /** Challenges {@code node} for {@code target} in {@code epoch}; never fails: problems become FAIL or TIMEOUT verdicts. */
  public CompletableFuture<Verdict> challenge(PeerId node, long epoch, Beacon beacon, Target target) {
    Challenge challenge = issue(node, epoch, beacon, target);
    byte[] request = PoaCodec.encode(new PoaMessage.ChallengeRequest(challenge));
    Duration wait = Duration.ofMillis(challenge.deadlineMillis() - challenge.issuedMillis());
    return UnaryRpc.call(host, node, PoaMessage.PROTOCOL_ID, request, PoaCodec.maxReplySize(challenge.draws()), wait)
        .handle((reply, e) -> e == null ? judge(challenge, reply, clock.millis()) : noAnswer(challenge, e));
  }

  /** The signed challenge of {@code epoch} for {@code target} on {@code node}, issued now. */
  public Challenge issue(PeerId node, long epoch, Beacon beacon, Target target) {
    long[] offsets = ChallengeDerivation.offsets(beacon, target.dealId(), node, target.fileSize(), config.draws());
    long issued = clock.millis();
    return Challenge.sign(key, epoch, target.dealId(), target.root(), node, target.fileSize(), offsets, issued,
        issued + config.deadline().allowanceMillis(largestProof(target, offsets.length)));
  }

  /**
   * The verdict on {@code reply} (an encoded PoaMessage) received at {@code receivedMillis}:
   * FAIL for a refusal or a proof that does not verify, TIMEOUT for a valid proof that came after
   * {@code issued + T0 + P / B_min} (P: the reply's size), else PASS.
   */
  public Verdict judge(Challenge challenge, byte[] reply, long receivedMillis) {
    PoaMessage message;
    try {
      message = PoaCodec.decode(reply, challenge.draws());
    } catch (PoaMessageException e) {
      return verdict(challenge, Verdict.Result.FAIL, "MALFORMED: " + e.getMessage(), reply.length, 0);
    }
    if (message instanceof PoaMessage.Refused r) {
      return verdict(challenge, Verdict.Result.FAIL, "REFUSED " + r.code() + ": " + r.reason(), reply.length, 0);
    }
    if (!(message instanceof PoaMessage.ProofReply p)) {
      return verdict(challenge, Verdict.Result.FAIL, "MALFORMED: expected a proof, got " + message.getClass().getSimpleName(), reply.length, 0);
    }
    long start = System.nanoTime();
    ProofVerifier.Outcome outcome = ProofVerifier.verify(challenge.root(), challenge.fileSize(), challenge.offsets(), p.proof());
    long micros = (System.nanoTime() - start) / 1_000;
    if (!outcome.passed()) {
      return verdict(challenge, Verdict.Result.FAIL, outcome.reason(), reply.length, micros);
    }
    long elapsed = receivedMillis - challenge.issuedMillis();
    long allowed = config.deadline().allowanceMillis(reply.length);
    if (elapsed > allowed) {
      return verdict(challenge, Verdict.Result.TIMEOUT,
          "LATE: a valid proof of " + reply.length + " bytes after " + elapsed + " ms, allowed " + allowed + " ms", reply.length, micros);
    }
    return verdict(challenge, Verdict.Result.PASS, "", reply.length, micros);
  }

  /** TIMEOUT: the node did not answer in time, or the stream failed before it did. */
  public Verdict noAnswer(Challenge challenge, Throwable cause) {
    Throwable c = cause instanceof CompletionException && cause.getCause() != null ? cause.getCause() : cause;
    String why = c instanceof TimeoutException
        ? "no answer within " + (challenge.deadlineMillis() - challenge.issuedMillis()) + " ms"
        : "no answer: " + c.getClass().getSimpleName() + ": " + c.getMessage();
    return verdict(challenge, Verdict.Result.TIMEOUT, "NO_ANSWER: " + why, 0, 0);
  }

  public Config config() {
    return config;
  }

  private Verdict verdict(Challenge c, Verdict.Result result, String reason, long proofBytes, long micros) {
    return Verdict.sign(key, c.epoch(), c.dealId(), c.node(), result, reason, proofBytes, micros);
  }

  /** The largest valid answer: never more than the whole DAG plus encoding overhead, nor than the limit for k draws. */
  private static long largestProof(Target target, int draws) {
    long limit = PoaCodec.maxReplySize(draws);
    return target.dagSize() > 0 ? Math.min(limit, target.dagSize() + 64L * 1024) : limit;
  }
}
