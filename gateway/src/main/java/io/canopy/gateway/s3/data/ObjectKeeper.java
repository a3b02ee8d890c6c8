package io.canopy.gateway.s3.data;

import io.canopy.multiformats.Cid;
import java.io.IOException;
import java.util.Collection;

/**
 * What keeps an object's DAG alive after its bytes are stored: pins on this node, storage deals
 * in the network, and letting both go when the S3 metadata no longer references the DAG.
 *
 * <p>A write goes: {@link #lease()} (garbage collection keeps off from here), import the bytes,
 * {@link Lease#keepDurably} or {@link Lease#keepHere}, commit the metadata, close the lease. A
 * root that was kept but never committed (the client went away, the commit failed) is let go
 * when the lease closes, so nothing half-written stays behind.
 */
public interface ObjectKeeper {
  /** Starts a write; the blocks it stores are safe from garbage collection until the lease closes. */
  Lease lease();

  /** The metadata stopped referencing these CIDs (object deleted or replaced, upload aborted…). */
  void released(Collection<String> cids);

  /** One write in progress. */
  interface Lease extends AutoCloseable {
    /** Pins {@code root} here only: a multipart part, needed until its upload completes or is aborted. */
    void keepHere(Cid root) throws IOException;

    /**
     * Pins {@code root} here and places it with storage nodes (its blocks taking {@code dagBytes});
     * returns once as many as the write quorum hold it (or at once when no storage node exists:
     * this node's copy is the one).
     *
     * @throws NotDurable if storage nodes exist but too few took it
     */
    void keepDurably(Cid root, long dagBytes) throws IOException;

    /** Ends the write; roots kept under it that the metadata does not reference are let go. */
    @Override
    void close();
  }

  /** Too few storage nodes took an object for its PUT to be acknowledged (S3's 503). */
  final class NotDurable extends IOException {
    public NotDurable(String message) {
      super(message);
    }
  }

  /**
   * For a blockstore nothing ever collects (an in-memory store in tests, a one-off tool): every
   * block stays, so there is nothing to pin, place or let go.
   */
  ObjectKeeper KEEP_EVERYTHING = new ObjectKeeper() {
    @Override
    public Lease lease() {
      return new Lease() {
        @Override
        public void keepHere(Cid root) {}

        @Override
        public void keepDurably(Cid root, long dagBytes) {}

        @Override
        public void close() {}
      };
    }

    @Override
    public void released(Collection<String> cids) {}
  };
}
