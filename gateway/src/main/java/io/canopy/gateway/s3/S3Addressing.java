package io.canopy.gateway.s3;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How requests name their bucket: virtual-hosted style ({@code Host: bucket.s3.example.com}, or
 * {@code bucket.localhost:9000}) when the Host header is a subdomain of one of the configured base
 * domains, path style ({@code /bucket/key}) otherwise — including when the Host is exactly a base
 * domain, an IP address, or absent.
 *
 * @param baseDomains the domains the gateway is reached at (e.g. {@code s3.example.com},
 *     {@code localhost}); ports and a trailing dot are ignored, as is case
 */
public record S3Addressing(List<String> baseDomains) {

  public S3Addressing {
    List<String> normalised = new ArrayList<>();
    for (String domain : baseDomains) {
      String d = hostWithoutPort(domain);
      if (d == null || d.isEmpty()) {
        throw new IllegalArgumentException("base domain '" + domain + "'");
      }
      normalised.add(d);
    }
    // The longest base domain wins: with s3.example.com and example.com configured,
    // a.s3.example.com is bucket "a", not bucket "a.s3".
    normalised.sort(Comparator.comparingInt(String::length).reversed());
    baseDomains = List.copyOf(normalised);
  }

  /** Path style only: every request names its bucket in the path. */
  public static S3Addressing pathStyleOnly() {
    return new S3Addressing(List.of());
  }

  public static S3Addressing of(String... baseDomains) {
    return new S3Addressing(List.of(baseDomains));
  }

  /** The bucket a virtual-hosted-style Host header names, or empty for a path-style request. */
  public Optional<String> bucketFromHost(String hostHeader) {
    String host = hostWithoutPort(hostHeader);
    if (host == null) {
      return Optional.empty();
    }
    for (String domain : baseDomains) {
      if (host.length() > domain.length() + 1
          && host.endsWith(domain)
          && host.charAt(host.length() - domain.length() - 1) == '.') {
        return Optional.of(host.substring(0, host.length() - domain.length() - 1));
      }
    }
    return Optional.empty();
  }

  /** Lower-cased host without port and trailing dot; null for null, blank or IPv6-literal hosts. */
  private static String hostWithoutPort(String host) {
    if (host == null) {
      return null;
    }
    String h = host.trim().toLowerCase(Locale.ROOT);
    if (h.isEmpty() || h.startsWith("[")) {
      return null; // an IPv6 literal never carries a bucket
    }
    int colon = h.lastIndexOf(':');
    if (colon >= 0) {
      h = h.substring(0, colon);
    }
    while (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    return h;
  }
}
