package io.canopy.storage.poa;

import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Real DAGs from content's Importer, in memory, for proof tests. */
final class TestDags {
  record Dag(MemoryBlockstore store, Cid root, long fileSize, byte[] content) {}

  record Leaf(Cid cid, long start, long size) {}

  private TestDags() {}

  static Dag file(int size, int chunk, boolean rawLeaves, int cidVersion, long seed) throws IOException {
    byte[] content = new byte[size];
    new Random(seed).nextBytes(content);
    MemoryBlockstore store = new MemoryBlockstore();
    ImportOptions options = ImportOptions.builder().chunkSize(chunk).rawLeaves(rawLeaves).cidVersion(cidVersion).build();
    ImportResult r = new Importer(store::put, options).importFile(new ByteArrayInputStream(content));
    return new Dag(store, r.cid(), r.fileSize(), content);
  }

  /** The leaves of a file DAG in file order, with the byte range each holds. */
  static List<Leaf> leaves(MemoryBlockstore store, Cid root) throws IOException {
    List<Leaf> out = new ArrayList<>();
    collect(store, root, 0, out);
    return out;
  }

  private static long collect(MemoryBlockstore store, Cid cid, long start, List<Leaf> out) throws IOException {
    byte[] block = store.get(cid);
    if (cid.codec() == Multicodec.RAW.code()) {
      out.add(new Leaf(cid, start, block.length));
      return block.length;
    }
    PbNode node = DagPb.decode(block);
    UnixFsData data = UnixFsData.decode(node.data());
    if (node.links().isEmpty()) {
      out.add(new Leaf(cid, start, data.dataOrEmpty().length));
      return data.dataOrEmpty().length;
    }
    long pos = start + data.dataOrEmpty().length;
    for (var link : node.links()) {
      pos += collect(store, link.hash(), pos, out);
    }
    return pos - start;
  }
}
