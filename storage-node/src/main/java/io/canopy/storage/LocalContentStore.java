package io.canopy.storage;

import io.canopy.content.block.Blockstore;
import io.canopy.content.pin.GarbageCollector;
import io.canopy.content.pin.GcResult;
import io.canopy.content.pin.PinStore;
import io.canopy.content.pin.PinType;
import io.canopy.multiformats.Cid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The node's own blockstore and pin table (the default). The node wiring owns both and closes
 * them; this view does not.
 */
public final class LocalContentStore implements ContentStore {
  private final Blockstore blocks;
  private final PinStore pins;

  public LocalContentStore(Blockstore blocks, PinStore pins) {
    this.blocks = blocks;
    this.pins = pins;
  }

  @Override
  public Blockstore blocks() {
    return blocks;
  }

  @Override
  public void pinRecursive(Cid root) throws IOException {
    pins.pinRecursive(root);
  }

  @Override
  public void pinJustWritten(Cid root) throws IOException {
    pins.pinRecursiveJustWritten(root);
  }

  @Override
  public void unpin(Cid root) throws IOException {
    Optional<PinType> type = pins.pinType(root);
    if (type.isPresent() && type.get() == PinType.RECURSIVE) {
      pins.unpin(root);
    }
  }

  @Override
  public boolean isPinned(Cid root) throws IOException {
    return pins.pinType(root).map(t -> t == PinType.RECURSIVE).orElse(false);
  }

  @Override
  public long collectGarbage() throws IOException {
    GcResult result = new GarbageCollector(blocks, pins).collect();
    if (!result.complete()) {
      throw new IOException("garbage collection stopped: " + result.unresolved().size() + " pinned blocks are missing or unreadable, e.g. "
          + result.unresolved().get(0).block() + " (" + result.unresolved().get(0).reason() + ")");
    }
    return result.removed().size();
  }

  @Override
  public long usedBytes() throws IOException {
    try (Stream<Cid> keys = blocks.keys()) {
      return keys.mapToLong(cid -> {
        try {
          return blocks.size(cid);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public void close() {
    // the stores belong to the node wiring
  }
}
