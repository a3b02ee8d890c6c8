package io.canopy.gateway.s3.auth;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the verifier needs of an HTTP request: the method, the path and query exactly as they came
 * on the request line (still percent-encoded), and the headers. Header names are matched without
 * regard to case; the values of a repeated header keep their order.
 *
 * @param method the HTTP method, e.g. {@code PUT}
 * @param rawPath the request-target's path, not decoded, e.g. {@code /bucket/a%20b}
 * @param rawQuery the query after {@code ?}, not decoded; empty when there is none
 * @param headers lower-cased header name to its values (built by the constructor; read-only)
 */
public record RequestHead(String method, String rawPath, String rawQuery, Map<String, List<String>> headers) {
  public RequestHead {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(rawPath, "rawPath");
    rawQuery = rawQuery == null ? "" : rawQuery;
    Map<String, List<String>> normalized = new TreeMap<>();
    if (headers != null) {
      headers.forEach((name, values) -> {
        List<String> list = normalized.computeIfAbsent(name.toLowerCase(Locale.ROOT), n -> new ArrayList<>());
        list.addAll(values);
      });
    }
    normalized.replaceAll((name, values) -> List.copyOf(values));
    headers = Collections.unmodifiableMap(normalized);
  }

  /**
   * A request head from headers given as name/value pairs, as HTTP servers hand them out (a
   * Vert.x {@code MultiMap} is such an {@code Iterable}).
   */
  public static RequestHead of(
      String method, String rawPath, String rawQuery, Iterable<? extends Map.Entry<String, String>> headers) {
    Map<String, List<String>> map = new TreeMap<>();
    for (Map.Entry<String, String> header : headers) {
      map.computeIfAbsent(header.getKey().toLowerCase(Locale.ROOT), n -> new ArrayList<>()).add(header.getValue());
    }
    return new RequestHead(method, rawPath, rawQuery, map);
  }

  /** The first value of header {@code name} (any case), or null. */
  public String header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** All values of header {@code name} (any case), in order; empty if absent. */
  public List<String> headerValues(String name) {
    return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
  }
}
