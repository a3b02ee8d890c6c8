package io.canopy.cli.rpc;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a {@code multipart/form-data} body (RFC 7578, framing of RFC 2046 §5.1.1) part by part,
 * each part's content as an {@link InputStream} read straight from the body: memory stays at one
 * buffer whatever the size of the files. Part headers are bounded ({@link Limits}); anything that
 * does not follow the framing — no boundary, a body that ends before its close delimiter, headers
 * without their blank line — is an {@link RpcException} 400 naming what is wrong.
 *
 * <p>A part must be read (or skipped) before the next is asked for; {@link #next} skips what is
 * left of the current one. Not thread-safe.
 */
public final class MultipartReader {
  /**
   * Bounds on what a client may send beyond the content itself.
   *
   * @param maxHeaderBytes the bytes of one part's header block, CRLFs included
   * @param maxHeaders header lines in one part
   * @param maxParts parts in one body
   */
  public record Limits(int maxHeaderBytes, int maxHeaders, int maxParts) {
    public static final Limits DEFAULT = new Limits(16 * 1024, 32, 100_000);
  }

  /**
   * One part: its headers (names lower-cased), the {@code Content-Disposition} parameters
   * {@code name} and {@code filename} (null when absent; quotes removed, not percent-decoded), and
   * its content, which ends at the part's boundary.
   */
  public record Part(Map<String, String> headers, String name, String filename, InputStream content) {
    /** The part's Content-Type without parameters, lower-cased; {@code application/octet-stream} when absent. */
    public String contentType() {
      String type = headers.get("content-type");
      return type == null ? "application/octet-stream" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    }
  }

  private static final int BUFFER = 64 * 1024;

  private final InputStream in;
  private final Limits limits;
  /** CRLF "--" boundary: what ends a part's content. */
  private final byte[] delimiter;
  private final byte[] buf;
  private int pos;
  private int limit;
  private boolean sourceEnded;
  private int parts;
  private PartInput current;
  private boolean finished;

  /**
   * A reader of {@code in}, whose parts are separated by {@code boundary} (from the request's
   * Content-Type, see {@link #boundary}).
   */
  public MultipartReader(InputStream in, String boundary, Limits limits) {
    if (boundary == null || boundary.isEmpty() || boundary.length() > 70) {
      throw RpcException.badRequest("malformed multipart body: the boundary must be 1 to 70 characters");
    }
    this.in = in;
    this.limits = limits;
    this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    this.buf = new byte[Math.max(BUFFER, limits.maxHeaderBytes() + delimiter.length + 4)];
    // The first delimiter has no CRLF before it: pretend it had, and what precedes it (the
    // preamble, usually nothing) is a part that is never handed out.
    buf[0] = '\r';
    buf[1] = '\n';
    limit = 2;
    current = new PartInput();
  }

  /**
   * The {@code boundary} parameter of a {@code multipart/form-data} Content-Type; 400 when the
   * type is another or the parameter is missing.
   */
  public static String boundary(String contentType) {
    if (contentType == null) {
      throw new RpcException(RpcError.UNSUPPORTED_MEDIA_TYPE, "expected a multipart/form-data body, got no Content-Type");
    }
    String[] fields = contentType.split(";", -1); // -1: ";" alone is one empty type, not no fields at all
    if (!fields[0].trim().equalsIgnoreCase("multipart/form-data")) {
      throw new RpcException(RpcError.UNSUPPORTED_MEDIA_TYPE,
          "expected a multipart/form-data body, got '" + fields[0].trim() + "'");
    }
    for (int i = 1; i < fields.length; i++) {
      String f = fields[i].trim();
      int eq = f.indexOf('=');
      if (eq > 0 && f.substring(0, eq).trim().equalsIgnoreCase("boundary")) {
        String value = unquote(f.substring(eq + 1).trim());
        if (value.isEmpty()) {
          break;
        }
        return value;
      }
    }
    throw RpcException.badRequest("malformed multipart body: the Content-Type has no boundary parameter");
  }

  /** The next part, or empty after the close delimiter. Skips the rest of the current part. */
  public Optional<Part> next() throws IOException {
    if (finished) {
      return Optional.empty();
    }
    current.skipRest();
    // After a delimiter: "--" closes the body; else optional transport padding, then CRLF.
    if (!ensure(2)) {
      throw bad("the body ends right after a boundary (no '--' close delimiter)");
    }
    if (buf[pos] == '-' && buf[pos + 1] == '-') {
      pos += 2;
      finished = true;
      return Optional.empty(); // the epilogue, if any, is left unread
    }
    String padding = readLine(limits.maxHeaderBytes(), "the boundary line");
    if (!padding.isBlank()) {
      throw bad("a boundary line continues past the boundary: '" + abbreviate(padding) + "'");
    }
    if (++parts > limits.maxParts()) {
      throw bad("more than " + limits.maxParts() + " parts");
    }
    Map<String, String> headers = readHeaders();
    String disposition = headers.get("content-disposition");
    String name = null;
    String filename = null;
    if (disposition != null) {
      Map<String, String> params = dispositionParams(disposition);
      name = params.get("name");
      filename = params.get("filename");
    }
    current = new PartInput();
    return Optional.of(new Part(headers, name, filename, current));
  }

  private Map<String, String> readHeaders() throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    int budget = limits.maxHeaderBytes();
    int lines = 0;
    while (true) {
      String line = readLine(budget, "part " + parts + "'s headers");
      budget -= line.length() + 2;
      if (budget < 0) {
        throw bad("part " + parts + "'s headers are over " + limits.maxHeaderBytes() + " bytes");
      }
      if (line.isEmpty()) {
        return headers;
      }
      if (++lines > limits.maxHeaders()) {
        throw bad("part " + parts + " has more than " + limits.maxHeaders() + " headers");
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw bad("part " + parts + " has a header line without a name: '" + abbreviate(line) + "'");
      }
      headers.putIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
  }

  /** A CRLF-terminated line of at most {@code max} bytes (CRLF excluded), as ISO-8859-1 → UTF-8 text. */
  private String readLine(int max, String what) throws IOException {
    int scanned = 0;
    while (true) {
      for (int i = pos + scanned; i + 1 < limit; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n') {
          String line = new String(buf, pos, i - pos, StandardCharsets.UTF_8);
          pos = i + 2;
          return line;
        }
      }
      scanned = Math.max(0, limit - pos - 1);
      if (scanned > max) {
        throw bad(what + " are over " + max + " bytes (or a line lacks its CRLF)");
      }
      if (!fill()) {
        throw bad("the body ends in " + what);
      }
    }
  }

  /** Whether at least {@code n} bytes are buffered after filling as needed. */
  private boolean ensure(int n) throws IOException {
    while (limit - pos < n) {
      if (!fill()) {
        return false;
      }
    }
    return true;
  }

  /** Reads more of the body into the buffer, compacting it first; false at the end of the body. */
  private boolean fill() throws IOException {
    if (sourceEnded) {
      return false;
    }
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, limit - pos);
      limit -= pos;
      pos = 0;
    }
    if (limit == buf.length) {
      throw new IllegalStateException("multipart buffer full"); // callers bound what they look at
    }
    int n = in.read(buf, limit, buf.length - limit);
    if (n < 0) {
      sourceEnded = true;
      return false;
    }
    limit += n;
    return true;
  }

  /** The content of the current part: bytes up to the next delimiter, which it consumes. */
  private final class PartInput extends InputStream {
    private boolean ended;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (ended || current != this) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      while (true) {
        int at = indexOf(delimiter, pos, limit);
        if (at == pos) {
          pos += delimiter.length;
          ended = true;
          return -1;
        }
        // Bytes that cannot be the start of a delimiter may be handed out.
        int safe = at >= 0 ? at : Math.max(pos, limit - delimiter.length + 1);
        if (safe > pos) {
          int n = Math.min(len, safe - pos);
          System.arraycopy(buf, pos, b, off, n);
          pos += n;
          return n;
        }
        if (!fill()) {
          throw new RpcException(RpcError.BAD_REQUEST, parts == 0
              ? "malformed multipart body: no boundary line found"
              : "malformed multipart body: it ends inside part " + parts + " (no closing boundary)", new EOFException());
        }
      }
    }

    void skipRest() throws IOException {
      byte[] scratch = new byte[8192];
      while (read(scratch, 0, scratch.length) >= 0) {
        // discard
      }
    }
  }

  private int indexOf(byte[] needle, int from, int to) {
    outer:
    for (int i = from; i <= to - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (buf[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** {@code form-data; name="file"; filename="a%2Fb.txt"} → its parameters, quotes removed. */
  static Map<String, String> dispositionParams(String value) {
    Map<String, String> out = new LinkedHashMap<>();
    int i = value.indexOf(';');
    while (i >= 0 && i < value.length()) {
      int eq = value.indexOf('=', i + 1);
      if (eq < 0) {
        break;
      }
      String key = value.substring(i + 1, eq).trim().toLowerCase(Locale.ROOT);
      int start = eq + 1;
      while (start < value.length() && value.charAt(start) == ' ') {
        start++;
      }
      String v;
      int end;
      if (start < value.length() && value.charAt(start) == '"') {
        StringBuilder sb = new StringBuilder();
        end = start + 1;
        while (end < value.length() && value.charAt(end) != '"') {
          char c = value.charAt(end);
          if (c == '\\' && end + 1 < value.length()) {
            c = value.charAt(++end);
          }
          sb.append(c);
          end++;
        }
        if (end >= value.length()) {
          throw bad("unterminated quoted parameter in Content-Disposition '" + abbreviate(value) + "'");
        }
        v = sb.toString();
        end = value.indexOf(';', end);
      } else {
        end = value.indexOf(';', start);
        v = (end < 0 ? value.substring(start) : value.substring(start, end)).trim();
      }
      out.putIfAbsent(key, v);
      i = end;
    }
    return out;
  }

  private static String unquote(String s) {
    return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "…";
  }

  private static RpcException bad(String why) {
    return RpcException.badRequest("malformed multipart body: " + why);
  }

  @Override
  public String toString() {
    return "MultipartReader[" + new String(Arrays.copyOfRange(delimiter, 4, delimiter.length), StandardCharsets.ISO_8859_1) + "]";
  }
}
