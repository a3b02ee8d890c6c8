package io.canopy.gateway.s3.meta;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The listing walk S3 defines, over rows ordered by key bytes: keep the keys under {@code
 * prefix}; with a delimiter, roll every key with the delimiter after the prefix into its common
 * prefix (listed once, counted like a key); stop after {@code max} entries and say whether more
 * follow. Rows are fetched in pages from a start position; a common prefix is skipped by seeking to
 * the first key beyond it, so a "directory" of a million keys costs one query, not a million rows.
 */
final class PrefixScan {
  /** Rows skipped inside one common prefix before seeking past it instead of reading on. */
  private static final int SKIP_BEFORE_SEEK = 16;
  /** Page size while rolling up common prefixes: rows under a prefix are mostly skipped. */
  private static final int DELIMITED_PAGE = 128;

  private PrefixScan() {}

  /**
   * Where a page starts: at {@code key} ({@code inclusive}) or after it; with {@code uploadId},
   * after the row ({@code key}, {@code uploadId}) in (key, upload id) order.
   */
  record From(byte[] key, boolean inclusive, String uploadId) {
    static From at(byte[] key) {
      return new From(key, true, null);
    }

    static From after(byte[] key) {
      return new From(key, false, null);
    }
  }

  /** Fetches up to {@code limit} rows from {@code from}, below {@code end} (null: no bound), in order. */
  @FunctionalInterface
  interface Fetch<R> {
    List<R> fetch(From from, byte[] end, int limit) throws SQLException;
  }

  /** A page: rows and common prefixes in listing order, whether more follow, the last entry. */
  record Result<R>(List<R> rows, List<byte[]> prefixes, boolean truncated, byte[] lastKey, R lastRow) {}

  /**
   * Where a listing resumes after {@code marker} (null: from the start of the prefix). A marker
   * that is itself a common prefix of this listing, as {@code NextMarker} and continuation tokens
   * are, resumes beyond every key under it; any other marker resumes right after it. Null if
   * nothing can follow.
   */
  static From start(byte[] prefix, byte[] delimiter, byte[] marker, String uploadIdMarker) {
    if (marker == null || ObjectKeys.compare(marker, prefix) < 0) {
      return From.at(prefix);
    }
    if (delimiter != null && uploadIdMarker == null && Arrays.equals(commonPrefix(marker, prefix, delimiter), marker)) {
      byte[] end = ObjectKeys.prefixEnd(marker);
      return end == null ? null : From.at(end);
    }
    return new From(marker, false, uploadIdMarker);
  }

  /** The common prefix {@code key} rolls up into (prefix + up to the first delimiter after it), or null. */
  static byte[] commonPrefix(byte[] key, byte[] prefix, byte[] delimiter) {
    if (!ObjectKeys.startsWith(key, prefix)) {
      return null;
    }
    int at = ObjectKeys.indexOf(key, delimiter, prefix.length);
    return at < 0 ? null : Arrays.copyOf(key, at + delimiter.length);
  }

  static <R> Result<R> scan(byte[] prefix, byte[] delimiter, From start, int max, Fetch<R> fetch,
                            Function<R, byte[]> keyOf, Function<R, From> after) throws SQLException {
    List<R> rows = new ArrayList<>();
    List<byte[]> prefixes = new ArrayList<>();
    if (max <= 0 || start == null) {
      return new Result<>(rows, prefixes, false, null, null);
    }
    byte[] end = ObjectKeys.prefixEnd(prefix);
    int count = 0;
    byte[] lastKey = null;
    R lastRow = null;
    From from = start;
    while (true) {
      int limit = delimiter == null ? max - count + 1 : Math.min(max - count + 1, DELIMITED_PAGE);
      List<R> page = fetch.fetch(from, end, limit);
      byte[] open = null; // the common prefix whose keys are being skipped
      int skipped = 0;
      boolean seek = false;
      R seen = null;
      for (R row : page) {
        byte[] key = keyOf.apply(row);
        if (open != null && ObjectKeys.startsWith(key, open)) {
          if (++skipped > SKIP_BEFORE_SEEK) {
            seek = true;
            break;
          }
          seen = row;
          continue;
        }
        open = null;
        if (count == max) {
          return new Result<>(rows, prefixes, true, lastKey, lastRow);
        }
        count++;
        byte[] common = delimiter == null ? null : commonPrefix(key, prefix, delimiter);
        if (common != null) {
          prefixes.add(common);
          lastKey = common;
          lastRow = null;
          open = common;
          skipped = 0;
        } else {
          rows.add(row);
          lastKey = key;
          lastRow = row;
        }
        seen = row;
      }
      if (!seek && page.size() < limit) {
        return new Result<>(rows, prefixes, false, lastKey, lastRow);
      }
      if (open != null) {
        byte[] beyond = ObjectKeys.prefixEnd(open);
        if (beyond == null) {
          return new Result<>(rows, prefixes, false, lastKey, lastRow);
        }
        from = From.at(beyond);
      } else {
        from = after.apply(seen);
      }
    }
  }
}
