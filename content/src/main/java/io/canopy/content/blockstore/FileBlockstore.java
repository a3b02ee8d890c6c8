package io.canopy.content.blockstore;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.dag.DagLinks;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multibase;
import io.canopy.multiformats.Multicodec;
import io.canopy.multiformats.Multihash;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Blocks as files on the local disk, one file per block, laid out like Kubo's flatfs with {@code
 * next-to-last/2} sharding: the key is the multihash (so a CIDv0 and a CIDv1 of the same bytes are
 * one block), the file name is the RFC 4648 base32 of the multihash bytes (upper case, no padding)
 * plus {@code .data}, and the shard folder is the next-to-last two characters of that name.
 *
 * <p>Crash safety: a block is written to a temp file in its shard folder, fsynced, then renamed
 * over its final name atomically. A reader therefore sees either no block or the whole block,
 * never a torn one, and a crash can only leave temp files, which {@link #open} deletes. The
 * folders whose entries changed are fsynced by {@link #sync}, once for many puts (as flatfs does
 * for a batch): that is what makes the renames survive a power cut, so callers sync before they
 * record anything that depends on the blocks (a pin).
 *
 * <p>Safe for concurrent use within one process: concurrent puts of one block each write their own
 * temp file and the renames replace one complete copy with another. One store folder must be used
 * by one process at a time (the node home is locked by its owner), because {@link #open} deletes
 * temp files it assumes are leftovers.
 *
 * <p>{@link #put} trusts the caller that the bytes match the CID (callers verify blocks from peers
 * and CARs before storing); {@link #getVerified} catches bytes altered on disk.
 */
public final class FileBlockstore implements Blockstore {
  /** Kubo flatfs's name for this sharding function, written to {@value #SHARDING_FILE}. */
  public static final String SHARDING = "/repo/flatfs/shard/v1/next-to-last/2";

  static final String SHARDING_FILE = "SHARDING";
  static final String BLOCK_SUFFIX = ".data";
  static final String TEMP_SUFFIX = ".tmp";
  private static final int SHARD_LENGTH = 2;

  private final Path root;
  /** Folders with renames or new shards not yet fsynced; {@link #sync} empties it. */
  private final Set<Path> unsyncedFolders = ConcurrentHashMap.newKeySet();

  private FileBlockstore(Path root) {
    this.root = root;
  }

  /**
   * Opens (creating if needed) the store under {@code root}, deleting temp files left by a write
   * that a crash or kill interrupted.
   */
  public static FileBlockstore open(Path root) throws IOException {
    Files.createDirectories(root);
    checkSharding(root);
    FileBlockstore store = new FileBlockstore(root);
    store.removeLeftoverTempFiles();
    return store;
  }

  private static void checkSharding(Path root) throws IOException {
    Path file = root.resolve(SHARDING_FILE);
    String existing = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : "";
    if (existing.isEmpty()) {
      Files.writeString(file, SHARDING + "\n", StandardCharsets.UTF_8);
      fsyncDirectory(root);
    } else if (!existing.equals(SHARDING)) {
      throw new IOException("block folder " + root + " uses sharding " + existing + ", expected " + SHARDING);
    }
  }

  private void removeLeftoverTempFiles() throws IOException {
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(root, Files::isDirectory)) {
      for (Path shard : shards) {
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(shard, "*" + TEMP_SUFFIX)) {
          for (Path temp : temps) {
            Files.deleteIfExists(temp);
          }
        }
      }
    }
  }

  public Path root() {
    return root;
  }

  @Override
  public boolean has(Cid cid) {
    return DagLinks.isInline(cid) || Files.isRegularFile(pathOf(cid.multihash()));
  }

  @Override
  public byte[] get(Cid cid) throws IOException {
    if (DagLinks.isInline(cid)) {
      return cid.multihash().digest();
    }
    try (FileChannel in = FileChannel.open(pathOf(cid.multihash()), StandardOpenOption.READ)) {
      long size = in.size();
      if (size > Block.MAX_SIZE) {
        // Nothing we wrote is this large: refuse before allocating for a planted or damaged file.
        throw new IOException("stored block " + cid + " is " + size + " bytes, over the " + Block.MAX_SIZE + "-byte block limit");
      }
      ByteBuffer buffer = ByteBuffer.allocate((int) size);
      while (buffer.hasRemaining() && in.read(buffer) >= 0) {
        // read until full or end of file
      }
      if (buffer.hasRemaining()) {
        throw new IOException("stored block " + cid + " shrank while being read");
      }
      return buffer.array();
    } catch (NoSuchFileException e) {
      throw new BlockNotFoundException(cid);
    }
  }

  @Override
  public void put(Block block) throws IOException {
    Cid cid = block.cid();
    if (DagLinks.isInline(cid)) {
      return; // the CID already holds the data
    }
    byte[] data = block.data();
    if (data.length > Block.MAX_SIZE) {
      throw new IllegalArgumentException(
          "block " + cid + " is " + data.length + " bytes, over the " + Block.MAX_SIZE + "-byte block limit");
    }
    Path target = pathOf(cid.multihash());
    if (storedSize(target) == data.length) {
      return; // already stored; a file of the wrong size (truncated by outside hands) is rewritten
    }
    Path shard = target.getParent();
    if (!Files.isDirectory(shard)) {
      Files.createDirectories(shard);
      unsyncedFolders.add(root); // the new shard folder itself must survive a crash
    }
    Path temp = Files.createTempFile(shard, target.getFileName() + ".", TEMP_SUFFIX);
    try {
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
        out.force(false); // fdatasync: the bytes and the size, which is all a reader needs
      }
      // Same folder, so the rename is atomic; it replaces a concurrent writer's identical copy.
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (FileAlreadyExistsException e) {
        // Platforms whose atomic rename cannot replace: a concurrent put got there first.
        if (storedSize(target) != data.length) {
          throw e;
        }
      }
      unsyncedFolders.add(shard);
    } finally {
      Files.deleteIfExists(temp); // only still there if the write or the rename failed
    }
  }

  /** Fsyncs every folder changed by a put since the last sync: those blocks are now durable. */
  @Override
  public void sync() throws IOException {
    for (Path folder : List.copyOf(unsyncedFolders)) {
      unsyncedFolders.remove(folder);
      try {
        fsyncDirectory(folder);
      } catch (IOException | RuntimeException e) {
        unsyncedFolders.add(folder);
        throw e;
      }
    }
  }

  @Override
  public void delete(Cid cid) throws IOException {
    if (!DagLinks.isInline(cid)) {
      Files.deleteIfExists(pathOf(cid.multihash()));
    }
  }

  @Override
  public long size(Cid cid) throws IOException {
    if (DagLinks.isInline(cid)) {
      return cid.multihash().digestLength();
    }
    long size = storedSize(pathOf(cid.multihash()));
    if (size < 0) {
      throw new BlockNotFoundException(cid);
    }
    return size;
  }

  /**
   * Every stored block as a raw CIDv1 of its multihash. Temp files, files outside the naming scheme
   * and files in the wrong shard are not blocks and are skipped.
   */
  @Override
  public Stream<Cid> keys() throws IOException {
    Stream<Path> shards = Files.list(root).filter(p -> p.getFileName().toString().length() == SHARD_LENGTH && Files.isDirectory(p));
    return shards.flatMap(FileBlockstore::listShard).map(FileBlockstore::keyOf).flatMap(Optional::stream);
  }

  private static Stream<Path> listShard(Path shard) {
    try {
      return Files.list(shard); // flatMap closes each inner stream once consumed
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<Cid> keyOf(Path file) {
    String name = file.getFileName().toString();
    if (!name.endsWith(BLOCK_SUFFIX)) {
      return Optional.empty();
    }
    String key = name.substring(0, name.length() - BLOCK_SUFFIX.length());
    Multihash mh;
    try {
      mh = Multihash.fromBytes(Multibase.BASE32_UPPER.decodeBare(key));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    // Only the canonical spelling in the right shard is a block: a file that decodes but lives
    // elsewhere would never be found by get() and must not be reported as stored.
    if (!fileNameOf(mh).equals(name) || !shardOf(key).equals(file.getParent().getFileName().toString())) {
      return Optional.empty();
    }
    return Optional.of(Cid.v1(Multicodec.RAW, mh));
  }

  /** The file that holds the block with this multihash (whether or not it exists). */
  Path pathOf(Multihash mh) {
    String key = keyString(mh);
    return root.resolve(shardOf(key)).resolve(key + BLOCK_SUFFIX);
  }

  private static String keyString(Multihash mh) {
    return Multibase.BASE32_UPPER.encodeBare(mh.toBytes());
  }

  private static String fileNameOf(Multihash mh) {
    return keyString(mh) + BLOCK_SUFFIX;
  }

  /** flatfs next-to-last/2: the two characters before the last one, padded with '_' for short keys. */
  static String shardOf(String key) {
    String padded = "_".repeat(SHARD_LENGTH + 1) + key;
    int end = padded.length() - 1;
    return padded.substring(end - SHARD_LENGTH, end);
  }

  /** The file's size, or -1 if there is none. */
  private static long storedSize(Path file) throws IOException {
    try {
      return Files.size(file);
    } catch (NoSuchFileException e) {
      return -1;
    }
  }

  /**
   * Flushes a folder's entries (a rename, a new file) to disk. Linux and macOS allow opening a
   * folder for this; Windows does not, and there NTFS journals the metadata anyway.
   */
  private static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (AccessDeniedException | UnsupportedOperationException e) {
      // this platform cannot open folders as files; nothing more we can do from Java
    }
  }
}
