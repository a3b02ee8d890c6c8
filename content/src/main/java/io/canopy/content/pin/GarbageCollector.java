package io.canopy.content.pin;

import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.dag.DagWalker;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multihash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Deletes every stored block that no pin keeps: mark (walk every recursive pin, add every direct
 * pin), then sweep (delete stored blocks whose multihash was not marked). The store keys blocks by
 * multihash, so marking does too: a block is kept whichever CID version or codec reaches it.
 *
 * <p>Safety first: if a pinned DAG cannot be fully walked (a missing or undecodable block), the
 * children of that block are unknown and any stored block might be one of them, so the collector
 * deletes nothing and reports the problem (as Kubo's GC refuses to run with an incomplete pin set).
 *
 * <p>The caller must keep adds and pin changes out while {@link #collect} runs (the node's GC lock):
 * a block stored but not yet pinned when the sweep starts would otherwise be deleted.
 */
public final class GarbageCollector {
  private final Blockstore blocks;
  private final PinStore pins;

  public GarbageCollector(Blockstore blocks, PinStore pins) {
    this.blocks = blocks;
    this.pins = pins;
  }

  public GcResult collect() throws IOException {
    Set<Multihash> keep = new HashSet<>();
    List<GcResult.UnresolvedBlock> unresolved = new ArrayList<>();
    for (Pin pin : pins.list(PinType.DIRECT)) {
      keep.add(pin.cid().multihash());
    }
    // One walker for all pins: DAGs that share subtrees are walked once.
    DagWalker walker = DagWalker.over(blocks);
    for (Pin pin : pins.list(PinType.RECURSIVE)) {
      walker.walk(pin.cid(), new DagWalker.Visitor() {
        @Override
        public boolean visit(Cid cid, byte[] data) {
          keep.add(cid.multihash());
          return true;
        }

        @Override
        public boolean unresolved(Cid cid, Exception cause) {
          keep.add(cid.multihash());
          String reason = cause instanceof BlockNotFoundException ? "missing from the block store" : cause.getMessage();
          unresolved.add(new GcResult.UnresolvedBlock(pin.cid(), cid, reason));
          return true; // keep walking to report every problem at once
        }
      });
    }
    if (!unresolved.isEmpty()) {
      return new GcResult(List.of(), 0, unresolved);
    }
    return sweep(keep);
  }

  private GcResult sweep(Set<Multihash> keep) throws IOException {
    // List first, delete after: deleting while a directory listing is open may skip or repeat entries.
    List<Cid> doomed;
    try (Stream<Cid> keys = blocks.keys()) {
      doomed = keys.filter(cid -> !keep.contains(cid.multihash())).toList();
    } catch (UncheckedIOException e) {
      throw e.getCause(); // a shard folder that could not be listed
    }
    List<Cid> removed = new ArrayList<>(doomed.size());
    long bytesFreed = 0;
    for (Cid cid : doomed) {
      long size;
      try {
        size = blocks.size(cid);
      } catch (BlockNotFoundException e) {
        continue; // deleted by someone else meanwhile
      }
      blocks.delete(cid);
      removed.add(cid);
      bytesFreed += size;
    }
    return new GcResult(removed, bytesFreed, List.of());
  }
}
