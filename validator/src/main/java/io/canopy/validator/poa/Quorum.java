package io.canopy.validator.poa;

import io.canopy.identity.PeerId;
import io.canopy.protocol.poa.Verdict;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Combines the signed verdicts of a validator set on one replica in one epoch (spec/proofs.md
 * §5.8): PASS when at least {@code q} validators signed PASS, FAIL when at least {@code q} signed
 * FAIL or TIMEOUT, else UNDECIDED (neither paid nor punished). With {@code q > n/2} the two cannot
 * both hold. Verdicts from outside the set, with bad signatures, about another epoch, deal or
 * node, or a validator's second verdict are not counted, each with its reason.
 */
public final class Quorum {
  public enum Outcome { PASS, FAIL, UNDECIDED }

  public record Rejected(Verdict verdict, String reason) {}

  public record Decision(long epoch, String dealId, PeerId node, Outcome outcome, int passes, int failures, List<Verdict> counted,
                         List<Rejected> rejected) {}

  private final Set<PeerId> validators;
  private final int threshold;

  /** {@code threshold}: q, with {@code n/2 < q ≤ n} for a set of n validators. */
  public Quorum(Collection<PeerId> validators, int threshold) {
    this.validators = Set.copyOf(validators);
    int n = this.validators.size();
    if (n == 0) {
      throw new IllegalArgumentException("a quorum needs at least one validator");
    }
    if (threshold <= n / 2 || threshold > n) {
      throw new IllegalArgumentException("the threshold must be more than half of " + n + " validators and at most " + n + ": " + threshold);
    }
    this.threshold = threshold;
  }

  /** The default: a strict majority, {@code floor(n/2) + 1}. */
  public static Quorum majority(Collection<PeerId> validators) {
    return new Quorum(validators, Set.copyOf(validators).size() / 2 + 1);
  }

  public int threshold() {
    return threshold;
  }

  public Decision decide(long epoch, String dealId, PeerId node, Collection<Verdict> verdicts) {
    Objects.requireNonNull(dealId);
    Objects.requireNonNull(node);
    Set<PeerId> seen = new HashSet<>();
    List<Verdict> counted = new ArrayList<>();
    List<Rejected> rejected = new ArrayList<>();
    int passes = 0;
    int failures = 0;
    for (Verdict v : verdicts) {
      String problem = null;
      if (!validators.contains(v.validator())) {
        problem = "signed by " + v.validator() + ", who is not in the validator set";
      } else if (!v.verify()) {
        problem = "the signature of " + v.validator() + " does not verify (forged or altered verdict)";
      } else if (v.epoch() != epoch) {
        problem = "about epoch " + v.epoch() + ", not " + epoch;
      } else if (!v.dealId().equals(dealId)) {
        problem = "about deal " + v.dealId() + ", not " + dealId;
      } else if (!v.node().equals(node)) {
        problem = "about node " + v.node() + ", not " + node;
      } else if (!seen.add(v.validator())) {
        problem = "a second verdict from " + v.validator() + " (only the first counts)";
      }
      if (problem != null) {
        rejected.add(new Rejected(v, problem));
        continue;
      }
      counted.add(v);
      if (v.result() == Verdict.Result.PASS) {
        passes++;
      } else {
        failures++;
      }
    }
    Outcome outcome = passes >= threshold ? Outcome.PASS : failures >= threshold ? Outcome.FAIL : Outcome.UNDECIDED;
    return new Decision(epoch, dealId, node, outcome, passes, failures, List.copyOf(counted), List.copyOf(rejected));
  }
}
