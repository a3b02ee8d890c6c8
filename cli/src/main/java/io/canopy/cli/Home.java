package io.canopy.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A node's home folder ({@code ~/.canopy} by default):
 *
 * <pre>
 * config.json   identity and settings ({@link HomeConfig}); its presence means "initialized"
 * blocks/       the block store (one file per block)
 * canopy.db     pins and other metadata (SQLite)
 * ledger.db     the validator's payout ledger (SQLite; spec/settlement.md)
 * repo.lock     held by the process that has the home open (a running daemon holds it throughout)
 * api           while a daemon runs: its API's URL and token (see ApiEndpoint); commands then go
 *               through it instead of opening the stores
 * </pre>
 *
 * <p>Only one process at a time may open the stores: the block store deletes temp files it takes
 * for leftovers of a crash, and garbage collection must not run while another process adds
 * blocks it has not pinned yet. {@link #lock} enforces that with an OS file lock, which the OS
 * drops when the process dies, so a crash never leaves the home locked.
 */
final class Home {
  static final String DEFAULT_NAME = ".canopy";
  static final String CONFIG_FILE = "config.json";
  static final String BLOCKS_DIR = "blocks";
  static final String DATABASE_FILE = "canopy.db";
  /** Storage deals this node holds for others and owns (storage-node's DealStore). */
  static final String DEALS_FILE = "deals.db";
  /** The gateway's S3 accounts, keys, buckets and objects (gateway's S3Metadata on SQLite). */
  static final String S3_FILE = "s3.db";
  /** The validator's double-entry ledger (validator's Ledger on SQLite). */
  static final String LEDGER_FILE = "ledger.db";
  static final String LOCK_FILE = "repo.lock";
  static final String API_FILE = "api";

  private final Path dir;

  Home(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  Path dir() {
    return dir;
  }

  Path configFile() {
    return dir.resolve(CONFIG_FILE);
  }

  Path blocksDir() {
    return dir.resolve(BLOCKS_DIR);
  }

  Path databaseFile() {
    return dir.resolve(DATABASE_FILE);
  }

  Path dealsFile() {
    return dir.resolve(DEALS_FILE);
  }

  Path s3File() {
    return dir.resolve(S3_FILE);
  }

  Path ledgerFile() {
    return dir.resolve(LEDGER_FILE);
  }

  /** Model files fetched by CID, exported from the pinned DAG (compute role). */
  Path modelsDir() {
    return dir.resolve("models");
  }

  /** The gateway's countersigned compute receipts (an append-only log). */
  Path receiptsFile() {
    return dir.resolve("receipts.log");
  }

  Path lockFile() {
    return dir.resolve(LOCK_FILE);
  }

  Path apiFile() {
    return dir.resolve(API_FILE);
  }

  boolean isInitialized() {
    return Files.isRegularFile(configFile());
  }

  void requireInitialized() {
    if (!isInitialized()) {
      throw new CommandException("no Canopy home at " + dir + ": run `canopy init`");
    }
  }

  HomeConfig readConfig() throws IOException {
    requireInitialized();
    try {
      return HomeConfig.JSON.readValue(configFile().toFile(), HomeConfig.class);
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      // Jackson's own text ends with a parser-internal location; say line and column plainly.
      String what = e.getOriginalMessage().replaceAll("\\s*\\(start marker at .*$", "");
      String where = e.getLocation() != null
          ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")"
          : "";
      throw new CommandException("cannot read " + configFile() + ": " + what + where, e);
    } catch (java.io.CharConversionException e) { // bytes Jackson's encoding detection takes for a UTF-32 it cannot read
      throw new CommandException("cannot read " + configFile() + ": not UTF-8 JSON (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Creates the folder and locks it for {@code canopy init}; refuses a home that already has a
   * config, whose identity a new one would overwrite.
   */
  Lock createAndLock() throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new CommandException("cannot create a Canopy home at " + dir + ": it exists and is not a folder");
    }
    Files.createDirectories(dir);
    Lock lock = lock();
    if (isInitialized()) {
      lock.close();
      throw new CommandException(
          "a Canopy home already exists at " + dir + " (" + CONFIG_FILE
              + " is there): reinitializing would overwrite its identity");
    }
    return lock;
  }

  /**
   * Writes config.json readable by its owner only (it holds the private key), through a temp file
   * and an atomic rename, so that a crash leaves either no config or a whole one.
   */
  void writeNewConfig(HomeConfig config) throws IOException {
    if (Files.exists(configFile())) {
      throw new FileAlreadyExistsException(configFile().toString());
    }
    Path temp = dir.resolve(CONFIG_FILE + ".tmp");
    Files.deleteIfExists(temp);
    if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } else {
      Files.createFile(temp);
    }
    try {
      try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        out.write(java.nio.ByteBuffer.wrap(HomeConfig.JSON.writeValueAsBytes(config)));
        out.write(java.nio.ByteBuffer.wrap(new byte[] {'\n'}));
        out.force(true);
      }
      Files.move(temp, configFile(), StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Takes the home's lock, or fails at once, saying so, if another process holds it. */
  Lock lock() throws IOException {
    FileChannel channel =
        FileChannel.open(lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by this very JVM (another command running in-process)
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new CommandException(
          "the Canopy home at " + dir + " is in use by another canopy process (" + LOCK_FILE
              + " is locked): wait for it to finish and try again");
    }
    return new Lock(channel, lock);
  }

  /** The held home lock; closing releases it. */
  static final class Lock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private Lock(FileChannel channel, FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }

    @Override
    public void close() throws IOException {
      try {
        lock.release();
      } finally {
        channel.close();
      }
    }
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}
