package io.canopy.content.bitswap;

import io.canopy.content.block.Block;
import io.canopy.content.dag.DagLinks;
import io.canopy.multiformats.Cid;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One {@link Bitswap#fetchDag}: keeps up to {@code maxInFlight} gets of the session going, adding
 * each block's links as it arrives, so the fetch costs round trips per DAG level, not per block.
 * Blocks are deduplicated by codec and multihash (a CIDv0 and its CIDv1 are one block), as the
 * DagWalker does.
 */
final class DagFetch {
  private final BitswapSession session;
  private final int maxInFlight;
  private final Duration timeout;
  private final Executor pool;
  private final ArrayDeque<Cid> queue = new ArrayDeque<>();
  private final Set<Cid> seen = new HashSet<>();
  private final CompletableFuture<FetchResult> result = new CompletableFuture<>();
  private final long startNanos = System.nanoTime();
  private int inFlight;
  private long blocks;
  private long bytes;

  DagFetch(BitswapSession session, Cid root, int maxInFlight, Duration timeout, Executor pool) {
    this.session = session;
    this.maxInFlight = maxInFlight;
    this.timeout = timeout;
    this.pool = pool;
    seen.add(root.toV1());
    queue.add(root);
  }

  CompletableFuture<FetchResult> run() {
    pump();
    result.whenComplete((r, e) -> session.close());
    return result;
  }

  private void pump() {
    synchronized (this) {
      while (!result.isDone() && inFlight < maxInFlight && !queue.isEmpty()) {
        Cid cid = queue.poll();
        inFlight++;
        // Async: a block already in the store completes at once, and handling it inline would
        // recurse into pump() once per local block.
        session.get(cid).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenCompleteAsync(this::arrived, pool);
      }
    }
  }

  private void arrived(Block block, Throwable error) {
    if (error != null) {
      result.completeExceptionally(error);
      return;
    }
    List<Cid> links;
    try {
      links = DagLinks.links(block.cid(), block.data());
    } catch (RuntimeException e) { // undecodable dag-pb, or a codec whose links we cannot read
      result.completeExceptionally(e);
      return;
    }
    boolean done;
    synchronized (this) {
      inFlight--;
      blocks++;
      bytes += block.data().length;
      for (Cid link : links) {
        if (!DagLinks.isInline(link) && seen.add(link.toV1())) {
          queue.add(link);
        }
      }
      done = inFlight == 0 && queue.isEmpty();
    }
    if (done) {
      result.complete(new FetchResult(blocks, bytes, Duration.ofNanos(System.nanoTime() - startNanos)));
    } else {
      pump();
    }
  }
}
