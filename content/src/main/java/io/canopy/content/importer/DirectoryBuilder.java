package io.canopy.content.importer;

import io.canopy.content.dagpb.PbLink;
import io.canopy.content.unixfs.Murmur3;
import io.canopy.content.unixfs.UnixFsData;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.content.unixfs.UnixTime;
import io.canopy.multiformats.Multicodec;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Builds a UnixFS directory from its entries: a flat Directory node, or — once Kubo would shard it
 * (sum of name bytes + CID bytes over the threshold, boxo's "links" size estimation) — a HAMT of
 * HAMTShard nodes with fanout 256 keyed by murmur3 of the entry name (ipfs/specs UNIXFS.md).
 */
final class DirectoryBuilder {
  static final int HAMT_FANOUT = 256;
  /** Hex digits of a slot index in a link name: fanout 256 → "00".."FF". */
  private static final int SLOT_DIGITS = 2;

  record Entry(String name, DagLink link) {}

  private final NodeWriter writer;
  private final int threshold;

  DirectoryBuilder(NodeWriter writer, int threshold) {
    this.writer = writer;
    this.threshold = threshold;
  }

  DagLink build(List<Entry> entries, Integer mode, UnixTime mtime) throws IOException {
    long estimate = 0;
    for (Entry e : entries) {
      estimate += e.name().getBytes(StandardCharsets.UTF_8).length + e.link().cid().byteLength();
    }
    if (estimate > threshold) {
      Shard root = new Shard(0);
      for (Entry e : entries) {
        root.put(e, Murmur3.hash64(e.name().getBytes(StandardCharsets.UTF_8)));
      }
      return root.write(mode, mtime);
    }
    List<PbLink> links = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      links.add(PbLink.of(e.link().cid(), e.name(), e.link().tsize()));
    }
    return writer.dagPb(UnixFsData.directory().withMetadata(mode, mtime), links, 0);
  }

  /** One HAMT node: 256 slots, each empty, an entry, or a child shard one hash byte deeper. */
  private final class Shard {
    private final int depth;
    private final Object[] slots = new Object[HAMT_FANOUT];

    Shard(int depth) {
      this.depth = depth;
    }

    void put(Entry entry, long hash) {
      if (depth >= Long.BYTES) {
        throw new IllegalStateException("HAMT hash exhausted: more than 8 levels for '" + entry.name() + "'");
      }
      // The 64-bit hash is read as big-endian bytes, one byte per level (go-unixfs hamt).
      int slot = (int) (hash >>> (56 - 8 * depth)) & 0xFF;
      Object current = slots[slot];
      if (current == null) {
        slots[slot] = entry;
      } else if (current instanceof Shard child) {
        child.put(entry, hash);
      } else {
        Entry existing = (Entry) current;
        if (existing.name().equals(entry.name())) {
          throw new IllegalArgumentException("duplicate directory entry '" + entry.name() + "'");
        }
        Shard child = new Shard(depth + 1);
        child.put(existing, Murmur3.hash64(existing.name().getBytes(StandardCharsets.UTF_8)));
        child.put(entry, hash);
        slots[slot] = child;
      }
    }

    DagLink write(Integer mode, UnixTime mtime) throws IOException {
      List<PbLink> links = new ArrayList<>();
      BigInteger bitfield = BigInteger.ZERO;
      for (int slot = 0; slot < HAMT_FANOUT; slot++) {
        Object item = slots[slot];
        if (item == null) {
          continue;
        }
        bitfield = bitfield.setBit(slot);
        String prefix = String.format(Locale.ROOT, "%0" + SLOT_DIGITS + "X", slot);
        if (item instanceof Shard child) {
          DagLink sub = child.write(null, null);
          links.add(PbLink.of(sub.cid(), prefix, sub.tsize()));
        } else {
          Entry e = (Entry) item;
          links.add(PbLink.of(e.link().cid(), prefix + e.name(), e.link().tsize()));
        }
      }
      UnixFsData data =
          new UnixFsData(
              UnixFsType.HAMT_SHARD,
              minimalBigEndian(bitfield),
              null,
              List.of(),
              Multicodec.MURMUR3_X64_64.code(),
              (long) HAMT_FANOUT,
              mode,
              mtime);
      return writer.dagPb(data, links, 0);
    }
  }

  /** The bitfield as go's big.Int.Bytes(): big-endian, no leading zero bytes. */
  private static byte[] minimalBigEndian(BigInteger value) {
    byte[] bytes = value.toByteArray();
    int start = 0;
    while (start < bytes.length - 1 && bytes[start] == 0) {
      start++;
    }
    byte[] out = new byte[bytes.length - start];
    System.arraycopy(bytes, start, out, 0, out.length);
    return out;
  }
}
