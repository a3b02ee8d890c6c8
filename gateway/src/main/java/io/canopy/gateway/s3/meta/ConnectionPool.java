package io.canopy.gateway.s3.meta;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A small bounded pool of JDBC connections: at most {@code size} in use at once, opened on demand,
 * reused, dropped when broken. With size 1 it is the guard around SQLite's single connection.
 */
final class ConnectionPool implements AutoCloseable {
  /** Opens one connection, configured for use. */
  @FunctionalInterface
  interface Opener {
    Connection open() throws SQLException;
  }

  private final Opener opener;
  private final Semaphore permits;
  private final long waitMillis;
  private final Deque<Connection> idle = new ArrayDeque<>();
  private boolean closed;

  ConnectionPool(Opener opener, int size, long waitMillis) {
    if (size < 1) {
      throw new IllegalArgumentException("pool size " + size);
    }
    this.opener = opener;
    this.permits = new Semaphore(size, true);
    this.waitMillis = waitMillis;
  }

  /** A connection for the caller alone until {@link #release}; waits for one to be free. */
  Connection borrow() throws S3MetadataException {
    try {
      if (!permits.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) {
        throw new S3MetadataException(S3MetadataException.SERVICE_UNAVAILABLE,
            "no database connection became free within " + waitMillis + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new S3MetadataException(S3MetadataException.SERVICE_UNAVAILABLE, "interrupted waiting for a database connection");
    }
    try {
      Connection c;
      synchronized (this) {
        if (closed) {
          throw new S3MetadataException(S3MetadataException.SERVICE_UNAVAILABLE, "the metadata store is closed");
        }
        c = idle.pollFirst();
      }
      return c != null ? c : opener.open();
    } catch (SQLException e) {
      permits.release();
      throw new S3MetadataException(S3MetadataException.INTERNAL_ERROR, "cannot open a database connection: " + e.getMessage(), e);
    } catch (S3MetadataException | RuntimeException e) {
      permits.release();
      throw e;
    }
  }

  /** Gives a borrowed connection back; a broken one (or any after close) is closed instead. */
  void release(Connection c, boolean broken) {
    try {
      boolean keep;
      synchronized (this) {
        keep = !closed && !broken;
        if (keep) {
          idle.addFirst(c);
        }
      }
      if (!keep) {
        closeQuietly(c);
      }
    } finally {
      permits.release();
    }
  }

  @Override
  public void close() {
    Deque<Connection> toClose;
    synchronized (this) {
      closed = true;
      toClose = new ArrayDeque<>(idle);
      idle.clear();
    }
    toClose.forEach(ConnectionPool::closeQuietly);
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // nothing more to do with a connection we are dropping
    }
  }
}
