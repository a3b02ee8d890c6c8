package io.canopy.content.car;

import io.canopy.multiformats.Cid;
import java.util.List;

/**
 * What a CAR import stored.
 *
 * @param roots the roots the CAR's header names (they need not be among its blocks)
 * @param blockCount the number of sections read and stored, duplicates included
 */
public record CarImportResult(List<Cid> roots, long blockCount) {
  public CarImportResult {
    roots = List.copyOf(roots);
  }
}
