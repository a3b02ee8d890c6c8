package io.canopy.cli;

import io.canopy.content.block.Block;
import io.canopy.content.exporter.Exporter;
import io.canopy.content.pin.Pin;
import io.canopy.content.pin.PinType;
import io.canopy.multiformats.Cid;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;

/**
 * What the content commands ask of a node, whichever way it is reached: {@link RepoNodeApi} opens
 * the home's stores in this process (no daemon running), {@link HttpNodeApi} asks the daemon that
 * holds them. Commands do their own printing from what these return, so both ways print the same.
 * Failures are exceptions whose message is the line the user reads.
 */
interface NodeApi extends AutoCloseable {

  /** Starts putting blocks into the node (add, block put, dag import); see {@link BlockImport}. */
  BlockImport importBlocks(ImportKind kind) throws IOException;

  /** What an import is for, which decides how its roots are pinned. */
  enum ImportKind {
    /** A DAG the command has just built in full ({@code add}): its roots are pinned without a walk. */
    ADD("add", true),
    /** Blocks read from the user ({@code block put}): pinning walks the DAG to check it is whole. */
    BLOCK_PUT("block/put", false),
    /** A CAR ({@code dag import}): pinning walks the DAG to check it is whole. */
    DAG_IMPORT("dag/import", false);

    final String route;
    final boolean justWritten;

    ImportKind(String route, boolean justWritten) {
      this.route = route;
      this.justWritten = justWritten;
    }
  }

  /**
   * Writes the files at {@code paths}, concatenated, from byte {@code offset}, at most {@code
   * length} bytes ({@code < 0}: to the end). Fails before writing anything if a path is not a file
   * or the offset is past the end.
   */
  void cat(List<String> paths, long offset, long length, OutputStream out) throws IOException;

  /** Reads UnixFS DAGs for {@code get}; through a daemon, missing blocks come from the network. */
  Exporter exporter();

  /** Pins {@code path}'s DAG (or its block alone); returns the CID pinned. */
  Cid pinAdd(String path, boolean recursive) throws IOException;

  /** Removes the pin of {@code path}; returns the CID unpinned. */
  Cid pinRm(String path) throws IOException;

  /** Every pin of {@code type} (ALL: every kind), recursive and direct first. */
  List<Pin> pinLs(PinType type) throws IOException;

  /** How {@code path} is pinned; fails naming it if it is not pinned (as {@code type}). */
  Pin pinLs(String path, PinType type) throws IOException;

  byte[] blockGet(Cid cid) throws IOException;

  long blockSize(Cid cid) throws IOException;

  /** Deletes a block; refuses a pinned one. */
  void blockRm(Cid cid) throws IOException;

  /** Writes the DAG under {@code root} as a CARv1; fails before writing if the root is missing. */
  void dagExport(Cid root, OutputStream out) throws IOException;

  /** Deletes every block no pin keeps; the CIDs removed. */
  List<Cid> repoGc() throws IOException;

  /** {@code canopy id}'s fields, in order. */
  Map<String, Object> id() throws IOException;

  /** Connects to a peer; only a running daemon can. Returns the peer ID connected to. */
  String swarmConnect(String multiaddr) throws IOException;

  /** The peers connected to, one {@code /ip4/…/tcp/…/p2p/ID} each; only a running daemon has any. */
  List<String> swarmPeers() throws IOException;

  @Override
  void close() throws IOException;

  /**
   * Blocks going into the node, then the DAG roots to pin, with garbage collection kept out in
   * between (a block stored but not yet pinned must not be collected). Blocks may be put from
   * several threads. Closing without {@link #finish} abandons the import: blocks already stored
   * stay, unpinned, as after an interrupted local import.
   */
  interface BlockImport extends AutoCloseable {
    void put(Block block) throws IOException;

    /** Pins {@code roots} recursively, in order, stopping at the first that cannot be pinned. */
    PinResult finish(List<Cid> roots) throws IOException;

    @Override
    void close() throws IOException;

    /** This import as a put-only blockstore, for {@link io.canopy.content.car.CarImporter}. */
    default io.canopy.content.block.Blockstore asBlockstore() {
      return new PutOnlyBlockstore(this);
    }
  }

  /** Which roots were pinned, and the first that could not be (with why), if any. */
  record PinResult(List<Cid> pinned, Cid failedRoot, String failure) {
    static PinResult of(List<Cid> pinned) {
      return new PinResult(List.copyOf(pinned), null, null);
    }

    boolean failed() {
      return failedRoot != null;
    }
  }

  /** A blockstore that only stores, into a {@link BlockImport}. */
  final class PutOnlyBlockstore implements io.canopy.content.block.Blockstore {
    private final BlockImport target;

    PutOnlyBlockstore(BlockImport target) {
      this.target = target;
    }

    @Override
    public void put(Block block) throws IOException {
      target.put(block);
    }

    @Override
    public boolean has(Cid cid) {
      throw new UnsupportedOperationException("an import only stores blocks");
    }

    @Override
    public byte[] get(Cid cid) {
      throw new UnsupportedOperationException("an import only stores blocks");
    }

    @Override
    public void delete(Cid cid) {
      throw new UnsupportedOperationException("an import only stores blocks");
    }

    @Override
    public long size(Cid cid) {
      throw new UnsupportedOperationException("an import only stores blocks");
    }

    @Override
    public java.util.stream.Stream<Cid> keys() {
      throw new UnsupportedOperationException("an import only stores blocks");
    }
  }
}
