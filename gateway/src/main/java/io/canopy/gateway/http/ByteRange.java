package io.canopy.gateway.http;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One satisfiable byte range of a representation of {@code size} bytes (RFC 9110 §14), as the
 * IPFS gateway and S3 GET serve them: {@code bytes=a-b}, {@code bytes=a-} and {@code bytes=-n}.
 * Several ranges, or a header that does not parse, are ignored (the whole body is sent), as the
 * RFC allows and as S3 does; a range that starts past the end is {@link Unsatisfiable}.
 */
public record ByteRange(long first, long last) {
  private static final Pattern SINGLE = Pattern.compile("bytes\\s*=\\s*(\\d{0,19})\\s*-\\s*(\\d{0,19})\\s*");

  /** A range that starts at or past the end: answered with 416 and {@code Content-Range: bytes *}{@code /size}. */
  public static final class Unsatisfiable extends Exception {
    public Unsatisfiable(String header, long size) {
      super("range '" + header + "' is outside the " + size + " bytes", null, false, false);
    }
  }

  public long length() {
    return last - first + 1;
  }

  /** {@code bytes first-last/size}. */
  public String contentRange(long size) {
    return "bytes " + first + "-" + last + "/" + size;
  }

  /** The range {@code header} asks for within {@code size} bytes; empty means "send everything". */
  public static Optional<ByteRange> parse(String header, long size) throws Unsatisfiable {
    if (header == null) {
      return Optional.empty();
    }
    Matcher m = SINGLE.matcher(header);
    if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
      return Optional.empty();
    }
    try {
      if (m.group(1).isEmpty()) { // suffix: the last n bytes
        long n = Long.parseLong(m.group(2));
        if (n == 0) {
          throw new Unsatisfiable(header, size);
        }
        return size == 0 ? Optional.empty() : Optional.of(new ByteRange(Math.max(0, size - n), size - 1));
      }
      long first = Long.parseLong(m.group(1));
      if (!m.group(2).isEmpty() && Long.parseLong(m.group(2)) < first) {
        return Optional.empty(); // syntactically invalid: ignored
      }
      if (first >= size) {
        throw new Unsatisfiable(header, size);
      }
      long last = m.group(2).isEmpty() ? size - 1 : Long.parseLong(m.group(2));
      return Optional.of(new ByteRange(first, Math.min(last, size - 1)));
    } catch (NumberFormatException e) { // 19 digits past Long.MAX_VALUE
      return Optional.empty();
    }
  }
}
