package io.canopy.compute.llm;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Finds stop sequences in generated text. Matching is on UTF-8 bytes, so a stop sequence is found
 * even when it spans token boundaries or byte-fallback tokens.
 */
final class StopSequences {
  private final byte[][] stops;

  StopSequences(List<String> stops) {
    this.stops = new byte[stops.size()][];
    for (int i = 0; i < stops.size(); i++) {
      this.stops[i] = stops.get(i).getBytes(StandardCharsets.UTF_8);
    }
  }

  boolean isEmpty() {
    return stops.length == 0;
  }

  /** Start of the earliest stop sequence in {@code text[from, length)}, or -1. */
  int find(byte[] text, int from, int length) {
    int best = -1;
    for (byte[] s : stops) {
      for (int i = Math.max(0, from); i + s.length <= length && (best < 0 || i < best); i++) {
        if (regionMatches(text, i, s, s.length)) {
          best = i;
          break;
        }
      }
    }
    return best;
  }

  /**
   * How many trailing bytes of {@code text[0, length)} must be held back because they are a
   * proper prefix of some stop sequence (the longest such suffix).
   */
  int holdBack(byte[] text, int length) {
    int hold = 0;
    for (byte[] s : stops) {
      for (int n = Math.min(s.length - 1, length); n > hold; n--) {
        if (regionMatches(text, length - n, s, n)) {
          hold = n;
          break;
        }
      }
    }
    return hold;
  }

  private static boolean regionMatches(byte[] text, int at, byte[] s, int n) {
    for (int k = 0; k < n; k++) {
      if (text[at + k] != s[k]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The largest {@code end <= to} such that {@code text[.., end)} does not finish inside an
   * incomplete UTF-8 sequence (malformed bytes count as complete; they decode to U+FFFD).
   */
  static int completeUtf8(byte[] text, int from, int to) {
    for (int back = 1; back <= 4 && to - back >= from; back++) {
      int b = text[to - back] & 0xFF;
      if ((b & 0xC0) == 0x80) {
        continue; // continuation byte: keep looking for the lead
      }
      int need = b < 0x80 ? 1 : b >= 0xF0 && b < 0xF8 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      return back < need ? to - back : to;
    }
    return to;
  }
}
