package io.canopy.gateway.s3.auth;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pieces of AWS Signature Version 4 as S3 defines them (S3 API Reference, "Signature
 * Calculations for the Authorization Header"): canonical forms, string to sign, signing key.
 */
final class SigV4 {
  static final String ALGORITHM = "AWS4-HMAC-SHA256";
  static final String SERVICE = "s3";
  static final String TERMINATOR = "aws4_request";
  /** Hex SHA-256 of no bytes: the "previous headers" hash of a chunk string to sign. */
  static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  private static final HexFormat HEX = HexFormat.of();
  private static final char[] UPPER_HEX = "0123456789ABCDEF".toCharArray();

  private SigV4() {}

  /** A query parameter as it came, decoded ({@code name}, {@code value}) and re-encoded. */
  record QueryParam(String name, String value, String canonicalName, String canonicalValue) {}

  // ---- canonical request ------------------------------------------------------------------

  /**
   * The canonical URI of a raw request path. S3 encodes the path once (no double encoding, no
   * dot-segment normalisation): the path is percent-decoded to bytes and every byte except the
   * unreserved characters and '/' is encoded as %XX with upper-case hex. So a client that left a
   * character like '!' or '*' unencoded on the wire still matches its signature.
   */
  static String canonicalUri(String rawPath) {
    if (rawPath.isEmpty()) {
      return "/";
    }
    return uriEncode(percentDecode(rawPath, false), true);
  }

  /**
   * The canonical query string: every parameter decoded and re-encoded (also '/' and '='),
   * {@code name=value} (a valueless one as {@code name=}), sorted by name then value, joined by
   * '&'. {@code exclude} (presigned {@code X-Amz-Signature}) is left out.
   */
  static String canonicalQuery(List<QueryParam> params, String exclude) {
    List<QueryParam> sorted = new ArrayList<>(params.size());
    for (QueryParam p : params) {
      if (!p.name().equals(exclude)) {
        sorted.add(p);
      }
    }
    sorted.sort((a, b) -> {
      int byName = a.canonicalName().compareTo(b.canonicalName());
      return byName != 0 ? byName : a.canonicalValue().compareTo(b.canonicalValue());
    });
    StringBuilder sb = new StringBuilder();
    for (QueryParam p : sorted) {
      if (sb.length() > 0) {
        sb.append('&');
      }
      sb.append(p.canonicalName()).append('=').append(p.canonicalValue());
    }
    return sb.toString();
  }

  /** Splits a raw query on '&' and '=' (first one); empty segments are dropped. */
  static List<QueryParam> parseQuery(String rawQuery) {
    List<QueryParam> params = new ArrayList<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    for (String part : rawQuery.split("&", -1)) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String rawName = eq < 0 ? part : part.substring(0, eq);
      String rawValue = eq < 0 ? "" : part.substring(eq + 1);
      byte[] name = percentDecode(rawName, true);
      byte[] value = percentDecode(rawValue, true);
      params.add(new QueryParam(
          new String(name, StandardCharsets.UTF_8), new String(value, StandardCharsets.UTF_8),
          uriEncode(name, false), uriEncode(value, false)));
    }
    return params;
  }

  /**
   * A header's canonical value: each value trimmed with inner runs of spaces made one space,
   * repeated headers joined by ','.
   */
  static String canonicalHeaderValue(List<String> values) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(trimAll(values.get(i)));
    }
    return sb.toString();
  }

  static String trimAll(String value) {
    StringBuilder sb = new StringBuilder(value.length());
    boolean pendingSpace = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == ' ' || c == '\t') {
        pendingSpace = sb.length() > 0;
      } else {
        if (pendingSpace) {
          sb.append(' ');
          pendingSpace = false;
        }
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /** The canonical request; {@code signedHeaders} in the order the client listed them. */
  static String canonicalRequest(
      String method, String canonicalUri, String canonicalQuery, List<String> signedHeaders,
      Map<String, List<String>> headers, String payloadHash) {
    StringBuilder sb = new StringBuilder(256);
    sb.append(method).append('\n').append(canonicalUri).append('\n').append(canonicalQuery).append('\n');
    for (String name : signedHeaders) {
      sb.append(name).append(':').append(canonicalHeaderValue(headers.getOrDefault(name, List.of()))).append('\n');
    }
    sb.append('\n').append(String.join(";", signedHeaders)).append('\n').append(payloadHash);
    return sb.toString();
  }

  static String stringToSign(String amzDate, String scope, String canonicalRequest) {
    return ALGORITHM + '\n' + amzDate + '\n' + scope + '\n' + sha256Hex(canonicalRequest.getBytes(StandardCharsets.UTF_8));
  }

  /** An ordered details map for an {@link S3AuthException} from name, value pairs. */
  static Map<String, String> details(String... namesAndValues) {
    Map<String, String> map = new java.util.LinkedHashMap<>();
    for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
      map.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    return map;
  }

  // ---- keys and digests -------------------------------------------------------------------

  /** Signing keys already derived: a key changes once a day per secret, and requests come many a second. */
  private static final int MAX_CACHED_KEYS = 4096;
  private static final Map<String, byte[]> SIGNING_KEYS = new java.util.concurrent.ConcurrentHashMap<>();

  /** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
  static byte[] signingKey(String secret, String date, String region, String service) {
    String id = secret + '\n' + date + '\n' + region + '\n' + service;
    byte[] cached = SIGNING_KEYS.get(id);
    if (cached != null) {
      return cached.clone();
    }
    byte[] k = hmac(("AWS4" + secret).getBytes(StandardCharsets.UTF_8), date);
    k = hmac(k, region);
    k = hmac(k, service);
    k = hmac(k, TERMINATOR);
    if (SIGNING_KEYS.size() >= MAX_CACHED_KEYS) {
      SIGNING_KEYS.clear(); // rare: more live (secret, day, region) triples than this gateway sees in a day
    }
    SIGNING_KEYS.put(id, k.clone());
    return k;
  }

  static byte[] hmac(byte[] key, String data) {
    Mac mac = newMac(key);
    return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
  }

  static Mac newMac(byte[] key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  static String hex(byte[] bytes) {
    return HEX.formatHex(bytes);
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  static String sha256Hex(byte[] data) {
    return hex(sha256().digest(data));
  }

  /** Compares two ASCII signatures in time independent of where they differ. */
  static boolean signaturesEqual(String expected, String provided) {
    return MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.US_ASCII), provided.getBytes(StandardCharsets.US_ASCII));
  }

  static boolean isLowerHex(String s, int length) {
    if (s == null || s.length() != length) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  // ---- percent encoding -------------------------------------------------------------------

  /**
   * Percent-decodes to bytes. An escape that is not '%' and two hex digits stays literal; in a
   * query, '+' is a space (form encoding, as S3 reads it).
   */
  static byte[] percentDecode(String raw, boolean plusIsSpace) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    int i = 0;
    while (i < raw.length()) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < raw.length()
          && hexValue(raw.charAt(i + 1)) >= 0 && hexValue(raw.charAt(i + 2)) >= 0) {
        out.write(hexValue(raw.charAt(i + 1)) << 4 | hexValue(raw.charAt(i + 2)));
        i += 3;
      } else if (c == '+' && plusIsSpace) {
        out.write(' ');
        i++;
      } else if (c < 0x80) {
        out.write(c);
        i++;
      } else {
        int cp = raw.codePointAt(i);
        out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp);
      }
    }
    return out.toByteArray();
  }

  /** SigV4's URI encoding: unreserved bytes (A-Z a-z 0-9 - . _ ~) as is, '/' too if asked. */
  static String uriEncode(byte[] bytes, boolean keepSlash) {
    StringBuilder sb = new StringBuilder(bytes.length + 16);
    for (byte value : bytes) {
      int b = value & 0xff;
      if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')
          || b == '-' || b == '.' || b == '_' || b == '~' || (keepSlash && b == '/')) {
        sb.append((char) b);
      } else {
        sb.append('%').append(UPPER_HEX[b >> 4]).append(UPPER_HEX[b & 0xf]);
      }
    }
    return sb.toString();
  }

  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
