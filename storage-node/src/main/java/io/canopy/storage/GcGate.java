package io.canopy.storage;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;

/**
 * Keeps garbage collection away from blocks that are stored but not pinned yet: whatever writes
 * such blocks (a deal's fetch, an import, {@code pin add}) holds the shared side; GC holds the
 * exclusive side. Unlike {@link java.util.concurrent.locks.ReentrantReadWriteLock}, either side
 * may be released by another thread than the one that took it — a fetch starts on one thread and
 * ends on another. Not reentrant.
 */
public final class GcGate implements ReadWriteLock {
  private static final int ALL = Integer.MAX_VALUE;
  private final Semaphore permits = new Semaphore(ALL, true); // fair: a waiting GC is not starved by a stream of writers
  private final Lock shared = new Side(1);
  private final Lock exclusive = new Side(ALL);

  @Override
  public Lock readLock() {
    return shared;
  }

  @Override
  public Lock writeLock() {
    return exclusive;
  }

  private final class Side implements Lock {
    private final int count;

    Side(int count) {
      this.count = count;
    }

    @Override
    public void lock() {
      permits.acquireUninterruptibly(count);
    }

    @Override
    public void lockInterruptibly() throws InterruptedException {
      permits.acquire(count);
    }

    @Override
    public boolean tryLock() {
      return permits.tryAcquire(count);
    }

    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
      return permits.tryAcquire(count, time, unit);
    }

    @Override
    public void unlock() {
      permits.release(count);
    }

    @Override
    public Condition newCondition() {
      throw new UnsupportedOperationException("GcGate has no conditions");
    }
  }
}
