package io.canopy.validator.poa;

import io.canopy.content.block.Block;
import io.canopy.content.block.Blockstore;
import io.canopy.content.blockstore.MemoryBlockstore;
import io.canopy.content.dagpb.DagPb;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.dagpb.PbNode;
import io.canopy.content.importer.ImportOptions;
import io.canopy.content.importer.ImportResult;
import io.canopy.content.importer.Importer;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import io.canopy.protocol.epoch.Beacon;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/** Real DAGs from content's Importer for the proof-of-access tests, and what the tests need to know about them. */
final class PoaFixtures {
  /** A file's DAG: where its blocks are, its root, its UnixFS size and the sum of its blocks' sizes. */
  record Dag(Blockstore store, Cid root, long fileSize, long dagSize) {}

  record Leaf(Cid cid, long start, long size) {}

  private PoaFixtures() {}

  static Dag file(Blockstore store, long size, int chunk, boolean rawLeaves, long seed) throws IOException {
    ImportOptions options = ImportOptions.builder().chunkSize(chunk).rawLeaves(rawLeaves).cidVersion(rawLeaves ? 1 : 0).build();
    AtomicLong dagSize = new AtomicLong(); // the importer's sink is called from several threads
    ImportResult r = new Importer(b -> {
      dagSize.addAndGet(b.data().length);
      store.put(b);
    }, options).importFile(new SeededBytes(size, seed));
    return new Dag(store, r.cid(), r.fileSize(), dagSize.get());
  }

  static Dag file(long size, int chunk, long seed) throws IOException {
    return file(new MemoryBlockstore(), size, chunk, true, seed);
  }

  static Beacon beacon(long seed) {
    byte[] b = new byte[32];
    new Random(seed).nextBytes(b);
    return Beacon.of(b);
  }

  /** The leaves in file order, with the bytes each holds. */
  static List<Leaf> leaves(Blockstore store, Cid root) throws IOException {
    List<Leaf> out = new ArrayList<>();
    walk(store, root, 0, 0, out, new HashMap<>());
    return out;
  }

  /** The depth of every block (root = 0). */
  static Map<Multihash, Integer> depths(Blockstore store, Cid root) throws IOException {
    Map<Multihash, Integer> out = new HashMap<>();
    walk(store, root, 0, 0, new ArrayList<>(), out);
    return out;
  }

  private static long walk(Blockstore store, Cid cid, long start, int depth, List<Leaf> leaves, Map<Multihash, Integer> depths)
      throws IOException {
    depths.put(cid.multihash(), depth);
    byte[] block = store.get(cid);
    if (cid.codec() == Multicodec.RAW.code()) {
      leaves.add(new Leaf(cid, start, block.length));
      return block.length;
    }
    PbNode node = DagPb.decode(block);
    UnixFsData data = UnixFsData.decode(node.data());
    if (node.links().isEmpty()) {
      leaves.add(new Leaf(cid, start, data.dataOrEmpty().length));
      return data.dataOrEmpty().length;
    }
    long pos = start + data.dataOrEmpty().length;
    for (PbLink link : node.links()) {
      pos += walk(store, link.hash(), pos, depth + 1, leaves, depths);
    }
    return pos - start;
  }

  /** A single raw block holding the bytes, as a stand-alone root. */
  static Block rawBlock(byte[] data) {
    return Block.of(1, Multicodec.RAW, Multicodec.SHA2_256, data);
  }

  /** Pseudo-random bytes from a seed, without holding them all in memory. */
  static final class SeededBytes extends InputStream {
    private final Random random;
    private long left;

    SeededBytes(long size, long seed) {
      this.random = new Random(seed);
      this.left = size;
    }

    @Override
    public int read() {
      if (left == 0) {
        return -1;
      }
      left--;
      return random.nextInt(256);
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      byte[] chunk = new byte[n];
      random.nextBytes(chunk);
      System.arraycopy(chunk, 0, b, off, n);
      left -= n;
      return n;
    }
  }
}
