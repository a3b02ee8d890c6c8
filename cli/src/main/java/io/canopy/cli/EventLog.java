package io.canopy.cli;

import io.canopy.identity.PeerId;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A node's log: every line goes to the operator's sink (the daemon's stderr) with the node's short
 * id in front, so that the lines of several nodes on one terminal can be told apart, and the last
 * {@link #KEPT} are kept with their time for {@code canopy status} and the dashboard.
 */
final class EventLog implements Consumer<String> {
  /** Lines kept for the status document. */
  static final int KEPT = 100;
  /** A kept line is cut here: one runaway message cannot hold much memory. */
  static final int MAX_LINE = 2_000;

  /** One line of the log and when it was written. */
  record Event(Instant time, String line) {}

  private final Consumer<String> sink;
  private final Clock clock;
  private final ArrayDeque<Event> kept = new ArrayDeque<>(KEPT);
  private volatile String prefix = "";

  EventLog(Consumer<String> sink, Clock clock) {
    this.sink = Objects.requireNonNull(sink, "sink");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** From now on, lines start with {@code [SHORTID]}. */
  void identify(PeerId self) {
    prefix = "[" + shortId(self) + "] ";
  }

  /** The last 6 characters of the peer ID: those differ between nodes ({@code 12D3KooW} is every Ed25519 key's start). */
  static String shortId(PeerId peer) {
    String text = peer.toString();
    return text.substring(Math.max(0, text.length() - 6));
  }

  @Override
  public void accept(String line) {
    String stored = line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + "…" : line;
    synchronized (kept) {
      if (kept.size() == KEPT) {
        kept.removeFirst();
      }
      kept.addLast(new Event(clock.instant(), stored));
    }
    sink.accept(prefix + line);
  }

  /** The kept lines, oldest first. */
  List<Event> recent() {
    synchronized (kept) {
      return List.copyOf(kept);
    }
  }
}
