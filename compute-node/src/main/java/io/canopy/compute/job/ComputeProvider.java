package io.canopy.compute.job;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.kad.KadDht;
import io.canopy.protocol.compute.ComputeMessage;
import io.canopy.protocol.compute.ComputeMessage.Code;
import io.canopy.protocol.compute.ComputeMessage.Rejected;
import io.canopy.protocol.compute.ComputeMessageException;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.ModelOffer;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The compute node's side of {@code /canopy/compute/1.0.0} (spec/compute.md §3.5), with no
 * networking in it: admission control per model (at most {@code maxConcurrentJobs} running and
 * {@code maxQueuedJobs} waiting; anything more is answered {@code BUSY} at once), runs each job on
 * its model's runtime, hashes the exact input and output bytes, signs the receipt with the node
 * key, and stops a job when its client goes away or it overruns {@code jobTimeout}.
 */
public final class ComputeProvider implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ComputeProvider.class.getName());

  private final Ed25519PrivateKey key;
  private final ComputeConfig config;
  private final Clock clock;
  private final LongSupplier epoch;
  /** One lane per (model, task): a GGUF model can serve chat and completion, each with its own slots. */
  private final Map<LaneKey, Lane> lanes = Collections.synchronizedMap(new LinkedHashMap<>());
  private final ScheduledExecutorService timers;
  /** Since start: jobs answered with a signed receipt, their tokens, and jobs refused or failed (busy, unknown model, errors, timeouts). */
  private final java.util.concurrent.atomic.AtomicLong served = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong servedTokens = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();

  /** What this node has done since it started: jobs served with a receipt (and their tokens), jobs refused or failed. */
  public record JobCounts(long served, long tokens, long refused) {}

  /**
   * @param epoch the current settlement epoch, written into each receipt
   */
  public ComputeProvider(Ed25519PrivateKey key, List<? extends InferenceRuntime> runtimes, ComputeConfig config, Clock clock,
                         LongSupplier epoch) {
    this.key = key;
    this.config = config;
    this.clock = clock;
    this.epoch = epoch;
    runtimes.forEach(this::add);
    this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "compute-job-timer");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts serving {@code runtime}'s model too (a node loads models one by one, as they arrive).
   *
   * @throws IllegalArgumentException if a runtime already serves that model for that task, or the node serves {@link ComputeMessage#MAX_OFFERS} already
   */
  public void add(InferenceRuntime runtime) {
    ModelOffer offer = runtime.offer();
    synchronized (lanes) {
      if (lanes.size() >= ComputeMessage.MAX_OFFERS) {
        throw new IllegalArgumentException("at most " + ComputeMessage.MAX_OFFERS + " models per node");
      }
      if (lanes.putIfAbsent(new LaneKey(offer.model(), offer.task()), new Lane(runtime, offer)) != null) {
        throw new IllegalArgumentException("two runtimes serve " + offer.model() + " for " + offer.task());
      }
    }
  }

  /** Serves {@code /canopy/compute/1.0.0} on {@code host}. */
  public ComputeProvider register(Host host) {
    host.registerProtocol(ComputeMessage.PROTOCOL_ID, new ComputeProtocol(this, config));
    return this;
  }

  /** Announces every model served as a DHT provider record of its CID, so gateways find this node (spec §3.4). */
  public CompletableFuture<Void> announce(KadDht dht) {
    return CompletableFuture.allOf(lanes().stream().map(lane -> lane.offer.model()).distinct()
        .map(cid -> dht.provide(cid.multihash())).toArray(CompletableFuture[]::new));
  }

  /** What this node serves, with the slots free now. */
  public ComputeMessage.Capabilities capabilities() {
    List<ModelOffer> offers = new ArrayList<>();
    lanes().forEach(lane -> offers.add(lane.offer.withFreeSlots(lane.freeSlots())));
    return new ComputeMessage.Capabilities(offers);
  }

  public JobCounts jobCounts() {
    return new JobCounts(served.get(), servedTokens.get(), refused.get());
  }

  /** Jobs of {@code model} running or queued now (for tests and metrics). */
  int admitted(Cid model) {
    int admitted = 0;
    for (Lane lane : lanes()) {
      if (lane.offer.model().equals(model)) {
        synchronized (lane) {
          admitted += lane.admitted;
        }
      }
    }
    return admitted;
  }

  /** A started (or already answered) job; {@link #cancel} is for when its client goes away. */
  public interface JobHandle {
    void cancel(String why);
  }

  /**
   * Admits {@code request} or refuses it at once through {@code out}; an admitted job's chunks and
   * its receipt (or refusal) follow on {@code out} from a worker thread.
   */
  JobHandle start(JobRequest request, JobOutput out) {
    Lane lane = lanes.get(new LaneKey(request.model(), request.task()));
    if (lane == null) {
      refused.incrementAndGet();
      boolean served = lanes().stream().anyMatch(l -> l.offer.model().equals(request.model()));
      out.finish(served
          ? new Rejected(Code.BAD_REQUEST, "this node does not serve " + request.model() + " for " + request.task())
          : new Rejected(Code.UNKNOWN_MODEL, "this node does not serve " + request.model()));
      return why -> {};
    }
    if (!lane.admit()) {
      refused.incrementAndGet();
      out.finish(new Rejected(Code.BUSY, "all " + config.maxConcurrentJobs() + " slots and " + config.maxQueuedJobs()
          + " queue places for " + lane.offer.name() + " are taken"));
      return why -> {};
    }
    Job job = new Job(lane, request, out);
    job.timer = timers.schedule(job::timeOut, config.jobTimeout().toMillis(), TimeUnit.MILLISECONDS);
    try {
      lane.executor.execute(job);
    } catch (RuntimeException e) { // the provider is closing
      job.finishEarly(new Rejected(Code.INTERNAL, "node is shutting down"));
    }
    return job::cancel;
  }

  /**
   * Runs {@code request} on this node without a stream, for a caller in the same process (a
   * gateway that is also a compute node): the same admission, receipt and timeout as a job from a
   * peer. {@code onChunk} gets the output as it is produced, on the job's worker thread. Cancelling
   * the returned future cancels the job.
   */
  public CompletableFuture<JobResult> runHere(JobRequest request, Consumer<byte[]> onChunk) {
    CompletableFuture<JobResult> result = new CompletableFuture<>();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    JobHandle handle = start(request, new JobOutput() {
      @Override
      public void chunk(byte[] bytes) {
        if (result.isDone()) {
          throw new CancellationException("the caller went away");
        }
        output.writeBytes(bytes);
        onChunk.accept(bytes);
      }

      @Override
      public void finish(ComputeMessage last) {
        if (last instanceof ComputeMessage.Done done) {
          result.complete(new JobResult(output.toByteArray(), done.receipt()));
        } else if (last instanceof Rejected r) {
          result.completeExceptionally(new JobRejectedException(r.code(), r.reason()));
        } else {
          result.completeExceptionally(new IllegalStateException("job ended with " + last));
        }
      }

      @Override
      public void abort() {
        result.completeExceptionally(new CancellationException("job cancelled"));
      }
    });
    result.whenComplete((r, e) -> {
      if (e != null) {
        handle.cancel("the caller went away");
      }
    });
    return result;
  }

  @Override
  public void close() {
    timers.shutdownNow();
    lanes().forEach(lane -> lane.executor.shutdownNow());
  }

  private List<Lane> lanes() {
    synchronized (lanes) {
      return List.copyOf(lanes.values());
    }
  }

  private record LaneKey(Cid model, Task task) {}

  /** One model: its runtime, its workers and its admission count (running + queued). */
  private final class Lane {
    final InferenceRuntime runtime;
    final ModelOffer offer;
    final ThreadPoolExecutor executor;
    private int admitted;

    Lane(InferenceRuntime runtime, ModelOffer offer) {
      this.runtime = runtime;
      this.offer = offer;
      AtomicInteger n = new AtomicInteger();
      // The queue itself is unbounded; admit() bounds what is ever put in it.
      this.executor = new ThreadPoolExecutor(config.maxConcurrentJobs(), config.maxConcurrentJobs(), 0, TimeUnit.MILLISECONDS,
          new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "compute-" + offer.name() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
    }

    synchronized boolean admit() {
      if (admitted >= config.maxConcurrentJobs() + config.maxQueuedJobs()) {
        return false;
      }
      admitted++;
      return true;
    }

    synchronized void release() {
      admitted--;
    }

    synchronized int freeSlots() {
      return Math.max(0, config.maxConcurrentJobs() - admitted);
    }
  }

  private final class Job implements Runnable {
    private static final int QUEUED = 0;
    private static final int RUNNING = 1;
    private static final int OVER = 2;

    private final Lane lane;
    private final JobRequest request;
    private final JobOutput out;
    private final CancellationSignal signal = new CancellationSignal();
    private final AtomicInteger state = new AtomicInteger(QUEUED);
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile boolean timedOut;
    volatile ScheduledFuture<?> timer;

    Job(Lane lane, JobRequest request, JobOutput out) {
      this.lane = lane;
      this.request = request;
      this.out = out;
    }

    @Override
    public void run() {
      if (!state.compareAndSet(QUEUED, RUNNING)) {
        return; // cancelled or timed out while queued; already released
      }
      try {
        long started = clock.millis();
        MessageDigest outputHash = Receipt.newSha256();
        ChunkSink sink = bytes -> {
          signal.throwIfCancelled();
          for (int off = 0; off < bytes.length; off += ComputeMessage.MAX_CHUNK_SIZE) {
            int len = Math.min(ComputeMessage.MAX_CHUNK_SIZE, bytes.length - off);
            byte[] piece = Arrays.copyOfRange(bytes, off, off + len);
            outputHash.update(piece);
            out.chunk(piece);
            signal.throwIfCancelled();
          }
        };
        Usage usage = lane.runtime.run(request, sink, signal);
        signal.throwIfCancelled();
        Receipt receipt = Receipt.sign(key, request, outputHash.digest(), usage, epoch.getAsLong(), started, Math.max(started, clock.millis()),
            lane.runtime.bitExact());
        answer(new ComputeMessage.Done(receipt));
      } catch (CancellationException e) {
        if (!timedOut) {
          answered.set(true);
          out.abort();
        }
      } catch (JobRejectedException e) {
        answer(new Rejected(e.code(), e.reason()));
      } catch (ComputeMessageException | IllegalArgumentException e) {
        answer(new Rejected(Code.BAD_REQUEST, String.valueOf(e.getMessage())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        answer(new Rejected(Code.INTERNAL, "node is shutting down"));
      } catch (Exception | StackOverflowError e) {
        LOG.log(System.Logger.Level.WARNING, "job " + request.jobId() + " on " + lane.offer.name() + " failed", e);
        answer(new Rejected(Code.INTERNAL, e.getClass().getSimpleName() + ": " + e.getMessage()));
      } finally {
        state.set(OVER);
        timer.cancel(false);
        lane.release();
      }
    }

    /** The client went away: stop the runtime, or drop the job from the queue. */
    void cancel(String why) {
      signal.cancel(why);
      if (state.compareAndSet(QUEUED, OVER)) {
        lane.executor.remove(this);
        timer.cancel(false);
        lane.release();
        answered.set(true);
        out.abort();
      }
    }

    /** The job overran: tell the client at once; a running runtime is told to stop and holds its slot until it does. */
    void timeOut() {
      timedOut = true;
      signal.cancel("job exceeded " + config.jobTimeout().toMillis() + " ms");
      answer(new Rejected(Code.TIMEOUT, "job exceeded the node's limit of " + config.jobTimeout().toMillis() + " ms"));
      if (state.compareAndSet(QUEUED, OVER)) {
        lane.executor.remove(this);
        lane.release();
      }
    }

    void finishEarly(Rejected rejected) {
      if (state.compareAndSet(QUEUED, OVER)) {
        timer.cancel(false);
        lane.release();
        answer(rejected);
      }
    }

    private void answer(ComputeMessage last) {
      if (answered.compareAndSet(false, true)) {
        if (last instanceof ComputeMessage.Done done) {
          served.incrementAndGet();
          servedTokens.addAndGet(done.receipt().usage().totalTokens());
        } else {
          refused.incrementAndGet();
        }
        out.finish(last);
      }
    }
  }
}
