package io.canopy.content.car;

import io.canopy.content.block.Block;
import io.canopy.content.block.Blockstore;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Stores every block of a CAR in a {@link Blockstore}, each checked against its CID first: a CAR
 * is untrusted input, and a block stored under a CID it does not hash to would be served to peers.
 *
 * <p>On the first bad section the import stops and throws. Blocks before it stay stored: each was
 * verified, so it is a correct content-addressed block whatever else the CAR holds, and it is
 * unpinned, so GC removes it unless something pins it. Nothing after the bad section is read.
 */
public final class CarImporter {
  private final Blockstore blocks;

  public CarImporter(Blockstore blocks) {
    this.blocks = blocks;
  }

  /** Imports a CAR with the default header and section limits of {@link CarReader}. */
  public CarImportResult importCar(InputStream in) throws IOException {
    return importCar(CarReader.open(in));
  }

  /** Imports the rest of an opened CAR (open it yourself to choose the limits). */
  public CarImportResult importCar(CarReader car) throws IOException {
    long count = 0;
    for (Optional<Block> next = car.next(); next.isPresent(); next = car.next()) {
      Block block = next.get();
      check(block, car.sectionsRead());
      blocks.put(block);
      count++;
    }
    return new CarImportResult(car.roots(), count);
  }

  private static void check(Block block, long section) throws CarFormatException {
    if (block.data().length > Block.MAX_SIZE) {
      throw new CarFormatException("block " + block.cid() + " in CAR (section " + section + ") is "
          + block.data().length + " bytes, over the " + Block.MAX_SIZE + "-byte block limit");
    }
    long hash = block.cid().multihash().code();
    boolean computable = Multicodec.byCode(hash).map(Multihash::isSupported).orElse(false);
    if (!computable) {
      throw new CarFormatException("block " + block.cid() + " in CAR (section " + section + ") uses hash function "
          + Multicodec.describe(hash) + ", which Canopy cannot verify");
    }
    if (!block.isValid()) {
      throw new CarFormatException("block " + block.cid() + " in CAR does not match its hash (section " + section + ")");
    }
  }
}
