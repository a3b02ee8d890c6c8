package io.canopy.content.car;

import io.canopy.content.block.Blockstore;
import io.canopy.content.dag.DagLinks;
import io.canopy.content.dag.DagWalker;
import io.canopy.multiformats.Cid;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Exports DAGs from a {@link Blockstore} as a CARv1, deterministically: depth-first pre-order,
 * children in link order, each block once (the trustless gateway's {@code order=dfs; dups=n}).
 * Blocks are read, verified and written one at a time, so memory does not grow with the DAG's
 * size, only with its block count (the set of CIDs already written).
 *
 * <p>Identity-CID blocks are not written: the trustless gateway spec forbids them in CAR
 * responses, since their data is in the CID that links to them. Their links are still followed.
 *
 * <p>A missing or corrupt block ends the export with an exception after the blocks before it have
 * been written; the caller must not present the partial output as a complete CAR (an HTTP server
 * aborts the response).
 */
public final class CarExporter {
  private final Blockstore blocks;

  public CarExporter(Blockstore blocks) {
    this.blocks = blocks;
  }

  /** Exports the DAG under {@code root}; returns the number of blocks written. */
  public long export(Cid root, OutputStream out) throws IOException {
    return export(List.of(root), out);
  }

  /** Exports the DAGs under {@code roots}, in order, into one CAR naming them all. */
  public long export(List<Cid> roots, OutputStream out) throws IOException {
    CarWriter car = CarWriter.open(out, roots);
    DagWalker.verifying(blocks).walk(roots, (cid, data) -> {
      if (!DagLinks.isInline(cid)) {
        car.write(cid, data);
      }
      return true;
    });
    car.flush();
    return car.blocksWritten();
  }
}
