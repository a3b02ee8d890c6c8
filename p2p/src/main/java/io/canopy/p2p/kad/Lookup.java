package io.canopy.p2p.kad;

import io.canopy.identity.PeerId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One iterative lookup (kad-dht §Peer routing): starting from the k peers of our table closest to
 * the target, keep at most α requests in flight to the closest peers not yet asked, add the
 * closer peers each answer names, and stop once the k closest peers seen (failed ones left out)
 * have all answered, when nothing is left to ask, or when the observer has what it wants. Knows
 * nothing of Netty: a request is a function from peer to future answer, so it is tested with
 * plain calls.
 */
final class Lookup {
  /** Sends the lookup's request to one peer. */
  @FunctionalInterface
  interface Query {
    CompletableFuture<KadMessage> ask(PeerId peer);
  }

  /** Sees every answer; returns true when the lookup can stop (found the peer, enough providers). */
  @FunctionalInterface
  interface Observer {
    boolean onAnswer(PeerId from, KadMessage answer);
  }

  /** The k closest peers that answered, closest first, and what the lookup did. */
  record Result(List<PeerId> closest, LookupStats stats) {}

  private enum State { WAITING, IN_FLIGHT, ANSWERED, FAILED }

  private static final class Candidate {
    final PeerId peer;
    final KadKey key;
    final int hop;
    State state = State.WAITING;

    Candidate(PeerId peer, int hop) {
      this.peer = peer;
      this.key = KadKey.of(peer);
      this.hop = hop;
    }
  }

  private final String operation;
  private final KadKey target;
  private final PeerId self;
  private final int k;
  private final int alpha;
  private final Query query;
  private final Observer observer;
  private final Consumer<KadPeer> learned;
  private final LongSupplier nanoClock;
  private final Map<PeerId, Candidate> candidates = new HashMap<>();
  private final Map<PeerId, String> failures = new LinkedHashMap<>();
  private final CompletableFuture<Result> result = new CompletableFuture<>();
  private long startedNanos;
  private int inFlight;
  private int queried;
  private boolean done;

  /**
   * @param learned told about every peer an answer names, with its addresses (for the peer store)
   */
  Lookup(String operation, KadKey target, PeerId self, List<PeerId> seeds, int k, int alpha,
      Query query, Observer observer, Consumer<KadPeer> learned, LongSupplier nanoClock) {
    this.operation = operation;
    this.target = target;
    this.self = self;
    this.k = k;
    this.alpha = alpha;
    this.query = query;
    this.observer = observer;
    this.learned = learned;
    this.nanoClock = nanoClock;
    for (PeerId seed : seeds) {
      if (!seed.equals(self)) {
        candidates.putIfAbsent(seed, new Candidate(seed, 1));
      }
    }
  }

  /** Runs the lookup; after {@code timeout} it ends with what it has (stats say it timed out). */
  CompletableFuture<Result> run(Duration timeout) {
    startedNanos = nanoClock.getAsLong();
    CompletableFuture.delayedExecutor(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)
        .execute(() -> {
          synchronized (this) {
            finish(true);
          }
        });
    step();
    return result;
  }

  private void step() {
    List<Candidate> toAsk = new ArrayList<>();
    synchronized (this) {
      if (done) {
        return;
      }
      boolean waitingInTopK = false;
      for (Candidate c : closestLive()) {
        if (c.state == State.WAITING) {
          waitingInTopK = true;
          if (inFlight < alpha) {
            c.state = State.IN_FLIGHT;
            inFlight++;
            queried++;
            toAsk.add(c);
          }
        }
      }
      if (!waitingInTopK && inFlight == 0) {
        finish(false); // the k closest seen have all answered, or nobody is left to ask
        return;
      }
    }
    for (Candidate c : toAsk) {
      CompletableFuture<KadMessage> answer;
      try {
        answer = query.ask(c.peer);
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      answer.whenComplete((m, e) -> {
        if (e == null) {
          answered(c, m);
        } else {
          failed(c, e);
        }
        step();
      });
    }
  }

  private void answered(Candidate c, KadMessage answer) {
    boolean stop;
    try {
      stop = observer.onAnswer(c.peer, answer);
    } catch (RuntimeException e) { // the observer refused the answer (an invalid record, say)
      failed(c, e);
      return;
    }
    synchronized (this) {
      inFlight--;
      c.state = State.ANSWERED;
      for (KadPeer p : answer.closerPeers()) {
        if (!p.id().equals(self) && !candidates.containsKey(p.id())) {
          candidates.put(p.id(), new Candidate(p.id(), c.hop + 1));
        }
      }
      if (stop) {
        finish(false);
      }
    }
    for (KadPeer p : answer.closerPeers()) {
      if (!p.id().equals(self)) {
        learned.accept(p);
      }
    }
  }

  private synchronized void failed(Candidate c, Throwable e) {
    if (c.state == State.IN_FLIGHT) {
      inFlight--;
    }
    c.state = State.FAILED;
    failures.put(c.peer, reasonOf(e));
  }

  /** The k closest candidates that have not failed, closest first. */
  private List<Candidate> closestLive() {
    List<Candidate> live = new ArrayList<>();
    for (Candidate c : candidates.values()) {
      if (c.state != State.FAILED) {
        live.add(c);
      }
    }
    live.sort(Comparator.comparing((Candidate c) -> c.key, target::compareDistance));
    return live.size() > k ? live.subList(0, k) : live;
  }

  private void finish(boolean timedOut) {
    if (done) {
      return;
    }
    done = true;
    List<PeerId> closest = new ArrayList<>();
    int answered = 0;
    int maxHops = 0;
    List<Candidate> all = new ArrayList<>(candidates.values());
    all.sort(Comparator.comparing((Candidate c) -> c.key, target::compareDistance));
    for (Candidate c : all) {
      if (c.state == State.ANSWERED) {
        answered++;
        maxHops = Math.max(maxHops, c.hop);
        if (closest.size() < k) {
          closest.add(c.peer);
        }
      }
    }
    Duration elapsed = Duration.ofNanos(nanoClock.getAsLong() - startedNanos);
    LookupStats stats = new LookupStats(operation, queried, answered, failures.size(), maxHops, elapsed, timedOut, failures);
    result.complete(new Result(closest, stats));
  }

  /** A failure as one line: the root cause, not the CompletionException around it. */
  static String reasonOf(Throwable e) {
    Throwable t = e;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof TimeoutException) {
      return "no answer in time";
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
