package io.canopy.cli;

import io.canopy.content.block.Block;
import io.canopy.content.block.BlockNotFoundException;
import io.canopy.content.block.Blockstore;
import io.canopy.content.car.CarExporter;
import io.canopy.content.dag.DagWalker;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.pin.GarbageCollector;
import io.canopy.content.pin.GcResult;
import io.canopy.content.pin.Pin;
import io.canopy.content.pin.PinException;
import io.canopy.content.pin.PinType;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * The node's operations on its own stores: what a command does when no daemon runs (it opens the
 * home's {@link Repo} itself), and what the daemon does for each API request (over the repo it
 * holds for its lifetime). Reads go through {@code reading}: the repo's blocks offline, the blocks
 * plus Bitswap in the daemon, so that what the node lacks is fetched from peers.
 *
 * <p>Imports and pins hold the read side of a lock whose write side garbage collection takes, so
 * that GC never runs between a block's arrival and the pin that keeps it (offline the repo lock
 * already excludes other processes; in the daemon requests run concurrently).
 */
final class RepoNodeApi implements NodeApi {
  private final Home home;
  private final Repo repo;
  private final Blockstore reading;
  private final boolean ownsRepo;
  private final ReadWriteLock gcLock;
  private volatile Consumer<Cid> onPinned = cid -> {};
  private volatile DagFetch dagFetch = this::walkDag;

  /** Brings a whole DAG into the local store before it is pinned online. */
  @FunctionalInterface
  interface DagFetch {
    void fetch(Cid root) throws IOException;
  }

  RepoNodeApi(Home home, Repo repo, Blockstore reading, ReadWriteLock gcLock, boolean ownsRepo) {
    this.home = home;
    this.repo = repo;
    this.reading = reading;
    this.gcLock = gcLock;
    this.ownsRepo = ownsRepo;
  }

  /**
   * Opens the home's stores in this process. Holding the repo lock proves no daemon runs, so an
   * api file still there was left by one that was killed: it is removed.
   */
  static RepoNodeApi open(Home home) throws IOException {
    Repo repo = Repo.open(home);
    try {
      java.nio.file.Files.deleteIfExists(home.apiFile());
    } catch (IOException e) {
      // a stale file that cannot be removed is harmless: clients find nobody at its port
    }
    return new RepoNodeApi(home, repo, repo.blocks(), new ReentrantReadWriteLock(), true);
  }

  /** Called with each DAG root this node pins recursively (the daemon announces it on the DHT). */
  void onPinned(Consumer<Cid> listener) {
    this.onPinned = listener;
  }

  private void walkDag(Cid root) throws IOException {
    DagWalker.over(reading).walk(root, (cid, data) -> true);
  }

  /** How a DAG is fetched before an online pin (the daemon: Bitswap's many-blocks-in-flight fetch). */
  void fetchDagsWith(DagFetch fetch) {
    this.dagFetch = fetch;
  }

  /** Whether reads may fetch from the network (only inside a daemon). */
  private boolean online() {
    return reading != repo.blocks();
  }

  @Override
  public BlockImport importBlocks(ImportKind kind) {
    gcLock.readLock().lock();
    return new BlockImport() {
      private boolean open = true;

      @Override
      public void put(Block block) throws IOException {
        repo.blocks().put(block);
      }

      @Override
      public PinResult finish(List<Cid> roots) throws IOException {
        try {
          List<Cid> pinned = new ArrayList<>();
          for (Cid root : roots) {
            try {
              if (kind.justWritten) {
                repo.pins().pinRecursiveJustWritten(root);
              } else {
                repo.pins().pinRecursive(root);
              }
            } catch (PinException e) {
              return new PinResult(pinned, root, e.getMessage());
            }
            pinned.add(root);
            onPinned.accept(root);
          }
          return PinResult.of(pinned);
        } finally {
          close();
        }
      }

      @Override
      public void close() {
        if (open) {
          open = false;
          gcLock.readLock().unlock();
        }
      }
    };
  }

  @Override
  public void cat(List<String> paths, long offset, long length, OutputStream out) throws IOException {
    Exporter exporter = exporter();
    List<Exporter.Resolved> files = new ArrayList<>();
    long total = 0;
    for (String path : paths) {
      Exporter.Resolved r = exporter.resolve(path);
      total += exporter.fileSize(r.cid()); // fails here, before any output, for a folder
      files.add(r);
    }
    if (offset > total) {
      throw new CommandException("--offset " + offset + " is past the end of the content (" + total + " bytes)");
    }
    long skip = offset;
    long remaining = length; // < 0: to the end
    for (Exporter.Resolved r : files) {
      if (remaining == 0) {
        break;
      }
      long size = exporter.fileSize(r.cid());
      if (skip >= size) {
        skip -= size;
        continue;
      }
      long n = remaining < 0 ? -1 : Math.min(remaining, size - skip);
      exporter.cat(r.cid(), skip, n, out);
      if (remaining > 0) {
        remaining -= n;
      }
      skip = 0;
    }
  }

  /** How many bytes {@link #cat} will write, found without writing any (the daemon announces it). */
  long catLength(List<String> paths, long offset, long length) throws IOException {
    Exporter exporter = exporter();
    long total = 0;
    for (String path : paths) {
      total += exporter.fileSize(exporter.resolve(path).cid());
    }
    if (offset > total) {
      throw new CommandException("--offset " + offset + " is past the end of the content (" + total + " bytes)");
    }
    return length < 0 ? total - offset : Math.min(length, total - offset);
  }

  @Override
  public Exporter exporter() {
    return new Exporter(reading);
  }

  @Override
  public Cid pinAdd(String path, boolean recursive) throws IOException {
    gcLock.readLock().lock();
    try {
      Cid cid = resolve(path);
      if (recursive) {
        if (online()) {
          dagFetch.fetch(cid); // as Kubo: pinning online first fetches what the node lacks
        }
        repo.pins().pinRecursive(cid);
        onPinned.accept(cid);
      } else {
        if (online()) {
          reading.get(cid);
        }
        repo.pins().pinDirect(cid);
      }
      return cid;
    } finally {
      gcLock.readLock().unlock();
    }
  }

  @Override
  public Cid pinRm(String path) throws IOException {
    Cid cid = resolve(path);
    repo.pins().unpin(cid);
    return cid;
  }

  @Override
  public List<Pin> pinLs(PinType type) throws IOException {
    return repo.pins().list(type);
  }

  @Override
  public Pin pinLs(String path, PinType type) throws IOException {
    Cid cid = resolve(path);
    Optional<PinType> pinned = repo.pins().pinType(cid);
    if (pinned.isEmpty() || (type != PinType.ALL && pinned.get() != type)) {
      throw new CommandException("path '" + path + "' is not pinned"
          + (type != PinType.ALL ? " as " + type.name().toLowerCase(Locale.ROOT) : ""));
    }
    return new Pin(cid, pinned.get());
  }

  /** A bare CID is taken as is (it need not be UnixFS); a path is resolved through UnixFS folders. */
  private Cid resolve(String path) throws IOException {
    if (path.indexOf('/') < 0) {
      return Cid.parse(path);
    }
    return exporter().resolve(path).cid();
  }

  @Override
  public byte[] blockGet(Cid cid) throws IOException {
    return reading.getVerified(cid);
  }

  @Override
  public long blockSize(Cid cid) throws IOException {
    if (online() && !repo.blocks().has(cid)) {
      return reading.get(cid).length; // fetched (and kept) like Kubo's online block stat
    }
    return repo.blocks().size(cid);
  }

  @Override
  public void blockRm(Cid cid) throws IOException {
    gcLock.writeLock().lock();
    try {
      if (!repo.blocks().has(cid)) {
        throw new BlockNotFoundException(cid);
      }
      Optional<PinType> pinned = repo.pins().pinType(cid);
      if (pinned.isPresent()) {
        throw new CommandException("cannot remove block " + cid + ": it is pinned ("
            + pinned.get().name().toLowerCase(Locale.ROOT) + ")");
      }
      repo.blocks().delete(cid);
    } finally {
      gcLock.writeLock().unlock();
    }
  }

  @Override
  public void dagExport(Cid root, OutputStream out) throws IOException {
    if (!online() && !repo.blocks().has(root)) {
      // Fail before the CAR header is written, so that stdout gets no half CAR.
      throw new BlockNotFoundException(root);
    }
    if (online()) {
      reading.get(root); // fetched before the header, or the error comes first
    }
    new CarExporter(reading).export(root, out);
  }

  @Override
  public List<Cid> repoGc() throws IOException {
    gcLock.writeLock().lock();
    try {
      GcResult result = new GarbageCollector(repo.blocks(), repo.pins()).collect();
      if (!result.complete()) {
        GcResult.UnresolvedBlock first = result.unresolved().get(0);
        int more = result.unresolved().size() - 1;
        throw new CommandException("repo gc removed nothing: the DAG pinned at " + first.pin()
            + " cannot be walked (block " + first.block() + ": " + first.reason() + ")"
            + (more > 0 ? " and " + more + " more such block" + (more > 1 ? "s" : "") : ""));
      }
      return result.removed();
    } finally {
      gcLock.writeLock().unlock();
    }
  }

  @Override
  public Map<String, Object> id() throws IOException {
    return identity(home);
  }

  /** The identity fields of {@code canopy id}, from the home's config alone (no lock needed). */
  static Map<String, Object> identity(Home home) throws IOException {
    HomeConfig config = home.readConfig();
    Ed25519PrivateKey key;
    try {
      key = config.privateKey();
    } catch (IllegalArgumentException e) {
      throw new CommandException(home.configFile() + ": " + e.getMessage(), e);
    }
    Map<String, Object> id = new LinkedHashMap<>();
    id.put("ID", key.peerId().toString());
    id.put("PublicKey", Base64.getEncoder().encodeToString(key.publicKey().toProtobuf()));
    id.put("AgentVersion", VersionCommand.agentVersion());
    return id;
  }

  @Override
  public String swarmConnect(String multiaddr) {
    throw noDaemon(home);
  }

  @Override
  public List<String> swarmPeers() {
    throw noDaemon(home);
  }

  static CommandException noDaemon(Home home) {
    return new CommandException("no daemon is running on " + home.dir() + "; start one with `canopy daemon`");
  }

  @Override
  public void close() throws IOException {
    if (ownsRepo) {
      repo.close();
    }
  }
}
