package io.canopy.content.exporter;

import io.canopy.content.Futures;
import io.canopy.content.block.Blockstore;
import io.canopy.content.dagpb.PbLink;
import io.canopy.content.unixfs.Murmur3;
import io.canopy.content.unixfs.UnixFsException;
import io.canopy.content.unixfs.UnixFsType;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.InvalidCidException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads UnixFS DAGs back out of a blockstore: file bytes (whole or a range, skipping the subtrees
 * before the range by their blocksizes), directory listings (flat and HAMT-sharded), whole trees
 * to disk, and {@code CID/a/b.txt} paths. Every block is checked against its CID before a byte of
 * it is used, so a corrupt store gives an error, never wrong bytes; blocks are fetched and checked
 * a few ahead on worker threads so that reading keeps pace with hashing.
 */
public final class Exporter {
  /** Children fetched ahead of the one being written, per tree level. */
  private static final int PREFETCH = 16;

  private static final ExecutorService FETCHERS =
      Executors.newFixedThreadPool(
          // Checking a block is mostly hashing: one thread per core (more only slow a cold JVM).
          Math.max(2, Runtime.getRuntime().availableProcessors()),
          r -> {
            Thread t = new Thread(r, "canopy-export");
            t.setDaemon(true);
            return t;
          });

  /** What a path names. {@code size} is the file size for files, 0 for directories. */
  public record Resolved(Cid cid, UnixFsType type, long size) {}

  /** One directory entry; {@code tsize} is the cumulative DAG size its link records. */
  public record DirEntry(String name, Cid cid, long tsize) {}

  private final Blockstore store;

  public Exporter(Blockstore store) {
    this.store = store;
  }

  /** Resolves {@code CID}, {@code CID/a/b} or {@code /ipfs/CID/a/b}. */
  public Resolved resolve(String path) throws IOException {
    String p = path.startsWith("/ipfs/") ? path.substring(6) : path;
    String[] parts = p.split("/", -1);
    Cid cid;
    try {
      cid = Cid.parse(parts[0]);
    } catch (InvalidCidException e) {
      throw new InvalidCidException(e.getMessage(), e);
    }
    UnixFsNode node = load(cid);
    StringBuilder walked = new StringBuilder(parts[0]);
    for (int i = 1; i < parts.length; i++) {
      String name = parts[i];
      if (name.isEmpty()) {
        continue;
      }
      if (!node.isDirectory()) {
        throw new PathNotFoundException("cannot resolve '" + path + "': " + walked + " is not a directory");
      }
      Cid child = lookup(node, name);
      if (child == null) {
        throw new PathNotFoundException("no link named '" + name + "' under " + walked);
      }
      walked.append('/').append(name);
      node = load(child);
    }
    return new Resolved(node.cid(), node.type(), node.isFile() ? node.fileSize() : 0);
  }

  /**
   * Writes {@code length} bytes of the file from {@code offset} ({@code length < 0}: to the end).
   * A range past the end is cut short at the end of the file, as HTTP ranges are.
   */
  public void cat(Cid cid, long offset, long length, OutputStream out) throws IOException {
    if (offset < 0) {
      throw new IllegalArgumentException("offset must not be negative: " + offset);
    }
    UnixFsNode root = load(cid);
    requireFile(root);
    long size = root.fileSize();
    if (offset > size) {
      throw new IllegalArgumentException("offset " + offset + " is past the end of " + cid + " (" + size + " bytes)");
    }
    long end = length < 0 ? size : Math.min(size, offset + length);
    writeRange(root, offset, end, out);
  }

  /** The file's size in bytes. */
  public long fileSize(Cid cid) throws IOException {
    UnixFsNode node = load(cid);
    requireFile(node);
    return node.fileSize();
  }

  public List<DirEntry> list(Cid dir) throws IOException {
    UnixFsNode node = load(dir);
    if (!node.isDirectory()) {
      throw new IOException(dir + " is not a directory");
    }
    List<DirEntry> out = new ArrayList<>();
    collectEntries(node, out);
    return out;
  }

  /** Writes the file, folder tree or symlink named by {@code cid} to {@code target}. */
  public void get(Cid cid, Path target) throws IOException {
    UnixFsNode node = load(cid);
    switch (node.type()) {
      case DIRECTORY, HAMT_SHARD -> {
        Files.createDirectories(target);
        // Two entries with one name would let the first (a symlink to anywhere) redirect the
        // second's writes out of the target: a DAG can hold that, a folder cannot, so it is refused.
        List<DirEntry> entries = list(cid);
        Set<String> names = new HashSet<>();
        for (DirEntry e : entries) {
          if (!names.add(e.name())) {
            throw new UnixFsException("directory " + cid + " has two entries named '" + e.name() + "'");
          }
        }
        for (DirEntry e : entries) {
          get(e.cid(), target.resolve(safeName(e.name(), cid)));
        }
      }
      case SYMLINK -> Files.createSymbolicLink(target, Path.of(new String(node.inlineData(), StandardCharsets.UTF_8)));
      default -> {
        requireFile(node);
        try (OutputStream out = Files.newOutputStream(target)) {
          writeRange(node, 0, node.fileSize(), out);
        }
      }
    }
  }

  // --- files --------------------------------------------------------------------------------

  /** Writes bytes [start, end) of the content under {@code node}: inline data, then children. */
  private void writeRange(UnixFsNode node, long start, long end, OutputStream out) throws IOException {
    if (start >= end) {
      return;
    }
    byte[] inline = node.inlineData();
    if (start < inline.length) {
      out.write(inline, (int) start, (int) (Math.min(end, inline.length) - start));
    }
    List<PbLink> links = node.links();
    if (links.isEmpty()) {
      if (end > inline.length) {
        throw new UnixFsException(node.cid() + " is corrupt: it claims " + node.fileSize() + " bytes but holds " + inline.length);
      }
      return;
    }
    List<Long> sizes = node.unixfs().blockSizes();
    if (sizes.size() != links.size()) {
      throw new UnixFsException(node.cid() + " is corrupt: " + links.size() + " links but " + sizes.size() + " blocksizes");
    }
    // Children overlapping [start, end), with their offsets; earlier ones are never read.
    List<int[]> wanted = new ArrayList<>();
    List<long[]> bounds = new ArrayList<>();
    long pos = inline.length;
    for (int i = 0; i < links.size() && pos < end; i++) {
      long childEnd = pos + sizes.get(i);
      if (childEnd > start) {
        wanted.add(new int[] {i});
        bounds.add(new long[] {pos, childEnd});
      }
      pos = childEnd;
    }
    ArrayDeque<Future<UnixFsNode>> ahead = new ArrayDeque<>();
    int submitted = 0;
    try {
      for (int k = 0; k < wanted.size(); k++) {
        while (submitted < wanted.size() && submitted < k + PREFETCH) {
          Cid child = links.get(wanted.get(submitted)[0]).hash();
          ahead.add(FETCHERS.submit(() -> load(child)));
          submitted++;
        }
        UnixFsNode child = Futures.await(ahead.poll());
        long childStart = bounds.get(k)[0];
        long childSize = bounds.get(k)[1] - childStart;
        if (!child.isFile() || child.fileSize() != childSize) {
          throw new UnixFsException(node.cid() + " is corrupt: child " + child.cid() + " holds " + child.fileSize() + " bytes, blocksizes says " + childSize);
        }
        writeRange(child, Math.max(0, start - childStart), Math.min(childSize, end - childStart), out);
      }
    } finally {
      for (Future<UnixFsNode> f : ahead) {
        f.cancel(false);
      }
    }
  }

  private static void requireFile(UnixFsNode node) throws IOException {
    if (node.isDirectory()) {
      throw new IOException(node.cid() + " is a directory, not a file");
    }
    if (!node.isFile()) {
      throw new IOException(node.cid() + " is a " + node.type().name().toLowerCase(Locale.ROOT) + ", not a file");
    }
  }

  // --- directories --------------------------------------------------------------------------

  private void collectEntries(UnixFsNode dir, List<DirEntry> out) throws IOException {
    if (dir.type() == UnixFsType.DIRECTORY) {
      for (PbLink link : dir.links()) {
        out.add(new DirEntry(link.nameOrEmpty(), link.hash(), link.tsizeOrZero()));
      }
      return;
    }
    int digits = slotDigits(dir);
    for (PbLink link : dir.links()) {
      String name = link.nameOrEmpty();
      if (name.length() < digits) {
        throw new UnixFsException(dir.cid() + " is corrupt: HAMT link name '" + name + "' is too short");
      }
      if (name.length() == digits) {
        UnixFsNode shard = load(link.hash());
        if (shard.type() != UnixFsType.HAMT_SHARD) {
          throw new UnixFsException(dir.cid() + " is corrupt: sub-shard " + link.hash() + " is not a HAMT shard");
        }
        collectEntries(shard, out);
      } else {
        out.add(new DirEntry(name.substring(digits), link.hash(), link.tsizeOrZero()));
      }
    }
  }

  private Cid lookup(UnixFsNode dir, String name) throws IOException {
    if (dir.type() == UnixFsType.DIRECTORY) {
      for (PbLink link : dir.links()) {
        if (link.nameOrEmpty().equals(name)) {
          return link.hash();
        }
      }
      return null;
    }
    Long fanout = dir.unixfs().fanout();
    if (fanout == null || fanout != 256) {
      for (DirEntry e : list(dir.cid())) { // uncommon fanout: a full listing is simplest and still correct
        if (e.name().equals(name)) {
          return e.cid();
        }
      }
      return null;
    }
    long hash = Murmur3.hash64(name.getBytes(StandardCharsets.UTF_8));
    UnixFsNode shard = dir;
    for (int depth = 0; depth < Long.BYTES; depth++) {
      String prefix = String.format(Locale.ROOT, "%02X", (hash >>> (56 - 8 * depth)) & 0xFF);
      Cid next = null;
      for (PbLink link : shard.links()) {
        String linkName = link.nameOrEmpty();
        if (linkName.equals(prefix)) {
          next = link.hash();
          break;
        }
        if (linkName.length() > 2 && linkName.startsWith(prefix)) {
          return linkName.substring(2).equals(name) ? link.hash() : null;
        }
      }
      if (next == null) {
        return null;
      }
      shard = load(next);
    }
    return null;
  }

  private static int slotDigits(UnixFsNode shard) {
    Long fanout = shard.unixfs().fanout();
    if (fanout == null || fanout < 2 || Long.bitCount(fanout) != 1) {
      throw new UnixFsException(shard.cid() + " is corrupt: HAMT fanout " + fanout + " is not a power of two");
    }
    return Long.toHexString(fanout - 1).length();
  }

  /** Refuses entry names that would write outside the target folder. */
  private static String safeName(String name, Cid dir) {
    if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\\") || name.indexOf('\0') >= 0) {
      throw new UnixFsException("directory " + dir + " has an unsafe entry name '" + name + "'");
    }
    return name;
  }

  private UnixFsNode load(Cid cid) throws IOException {
    return UnixFsNode.decode(cid, store.getVerified(cid));
  }
}
