package io.canopy.validator.records;

import io.canopy.content.Futures;
import io.canopy.identity.PeerId;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.kad.KadDht;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.validator.settle.SettlementRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Keeps a node's {@link SettledRecords} up to date: each {@link #refresh()} (called whenever
 * someone looks) asks for the records after the last one believed, at most once per {@code
 * minInterval} and one request at a time, so however often the node's status is read, the
 * validators are asked at most every few seconds. Returns at once; the records land when they come.
 */
public final class RecordsFollower {
  /** Where records come from: a validator over {@code /canopy/records/1.0.0}, or this validator's own ledger. */
  @FunctionalInterface
  public interface Fetcher {
    CompletableFuture<RecordsClient.Fetched> fetch(long fromEpoch, int max);
  }

  private final SettledRecords records;
  private final Fetcher fetcher;
  private final EpochClock epochs;
  private final Clock clock;
  private final long minIntervalMillis;
  private final Consumer<String> problems;
  private long lastAskedMillis = Long.MIN_VALUE / 2;
  private boolean inFlight;
  private String lastProblem;

  /** {@code problems} gets one line when a fetch fails or a record is not believed (not again while the reason stays the same). */
  public RecordsFollower(SettledRecords records, Fetcher fetcher, EpochClock epochs, Clock clock, Duration minInterval,
                         Consumer<String> problems) {
    this.records = Objects.requireNonNull(records, "records");
    this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
    this.epochs = Objects.requireNonNull(epochs, "epochs");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.minIntervalMillis = minInterval.toMillis();
    this.problems = Objects.requireNonNull(problems, "problems");
  }

  public SettledRecords records() {
    return records;
  }

  /** Whether a request is out now. */
  public synchronized boolean fetching() {
    return inFlight;
  }

  /** Asks for newer records unless asked less than {@code minInterval} ago or still waiting; returns at once. */
  public void refresh() {
    long from;
    synchronized (this) {
      long now = clock.millis();
      if (inFlight || now - lastAskedMillis < minIntervalMillis) {
        return;
      }
      long current = epochs.epochAt(Math.max(now, epochs.genesisMillis()));
      if (now < epochs.genesisMillis() || current == 0) {
        return; // nothing can have settled before epoch 0 ends
      }
      long oldestWorth = Math.max(0, current - records.kept());
      from = Math.max(oldestWorth, records.lastEpoch().orElse(-1) + 1);
      if (from >= current) {
        return; // the record of the running epoch cannot exist yet
      }
      inFlight = true;
      lastAskedMillis = now;
    }
    int max = (int) Math.min(RecordsMessage.MAX_RECORDS, records.kept());
    CompletableFuture<RecordsClient.Fetched> fetch;
    try {
      fetch = fetcher.fetch(from, max);
    } catch (RuntimeException e) {
      fetch = CompletableFuture.failedFuture(e);
    }
    fetch.whenComplete((fetched, e) -> {
      boolean more = false;
      String problem = null;
      if (e != null) {
        problem = "settled records from epoch " + from + " not fetched: " + Futures.cause(e).getMessage();
      } else {
        for (SettlementRecord r : fetched.records()) {
          Optional<String> refused = records.offer(r);
          if (refused.isPresent()) {
            problem = "settled record not believed: " + refused.get();
            break;
          }
        }
        long got = fetched.records().isEmpty() ? from - 1 : fetched.records().get(fetched.records().size() - 1).epoch();
        more = problem == null && !fetched.records().isEmpty() && fetched.lastSettled().orElse(-1) > got;
      }
      synchronized (this) {
        inFlight = false;
        if (more) {
          lastAskedMillis = Long.MIN_VALUE / 2; // the rest at the next look
        }
        if (problem != null && !problem.equals(lastProblem)) {
          problems.accept(problem);
        }
        lastProblem = problem;
      }
    });
  }

  /** Records from this validator's own ledger. */
  public static Fetcher fromSource(RecordSource source) {
    return (from, max) -> {
      try {
        List<SettlementRecord> out = new ArrayList<>();
        for (byte[] b : source.records(from, max)) {
          out.add(SettlementRecord.decode(b));
        }
        return CompletableFuture.completedFuture(new RecordsClient.Fetched(out, source.lastSettled()));
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    };
  }

  /**
   * Records from the validators of the set, one per request in turn (the next one after a failure);
   * a validator with no known address is looked up in the DHT ({@code dht} may be null).
   */
  public static Fetcher fromValidators(Host host, KadDht dht, List<PeerId> validators, Duration timeout) {
    List<PeerId> others = validators.stream().filter(v -> !v.equals(host.peerId())).distinct().toList();
    if (others.isEmpty()) {
      throw new IllegalArgumentException("no other validator to ask");
    }
    AtomicInteger turn = new AtomicInteger(); // stays with a validator that answers; the next one after a failure
    return (from, max) -> {
      int mine = turn.get();
      PeerId v = others.get(Math.floorMod(mine, others.size()));
      boolean known = !host.connections(v).isEmpty() || host.peerStore().get(v).map(i -> !i.addrs().isEmpty()).orElse(false);
      CompletableFuture<Void> reach = known || dht == null ? CompletableFuture.completedFuture(null)
          : dht.findPeer(v).thenAccept(addrs -> addrs.ifPresent(a -> host.peerStore().addAddrs(v, a)));
      return reach.thenCompose(x -> RecordsClient.fetch(host, v, from, max, timeout)).whenComplete((f, e) -> {
        if (e != null) {
          turn.compareAndSet(mine, mine + 1);
        }
      });
    };
  }
}
