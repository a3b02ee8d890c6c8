package io.canopy.compute.job;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;

/** Tells a running job to stop: the client went away, or the job overran its time. Fires once. */
public final class CancellationSignal {
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile String reason;

  public boolean isCancelled() {
    return reason != null;
  }

  /** Why, once cancelled; null before. */
  public String reason() {
    return reason;
  }

  public void throwIfCancelled() {
    String r = reason;
    if (r != null) {
      throw new CancellationException(r);
    }
  }

  /** Runs {@code listener} on cancellation (at once if already cancelled), on the cancelling thread. */
  public void onCancel(Runnable listener) {
    listeners.add(listener);
    if (isCancelled() && listeners.remove(listener)) {
      listener.run();
    }
  }

  /** Cancels; false if it already was. */
  public boolean cancel(String why) {
    synchronized (this) {
      if (reason != null) {
        return false;
      }
      reason = why;
    }
    for (Runnable listener : listeners) {
      if (listeners.remove(listener)) {
        listener.run();
      }
    }
    return true;
  }
}
