package io.canopy.gateway.s3.meta;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** ETags as S3 computes them: stored without quotes; a multipart object's is md5-of-parts-N. */
public final class Etags {
  private static final HexFormat HEX = HexFormat.of();

  private Etags() {}

  /** {@code "abc"} → {@code abc}; an unquoted ETag is returned as it is. */
  public static String unquote(String etag) {
    if (etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
      return etag.substring(1, etag.length() - 1);
    }
    return etag;
  }

  /** Whether {@code etag} is a part's ETag: a hex MD5 (32 hex digits). */
  public static boolean isHexMd5(String etag) {
    if (etag.length() != 32) {
      return false;
    }
    for (int i = 0; i < etag.length(); i++) {
      if (Character.digit(etag.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The ETag S3 gives an object assembled from parts: the hex MD5 of the concatenated binary MD5s
   * of the parts, then {@code -} and the number of parts.
   */
  public static String multipart(List<Part> parts) {
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no MD5", e);
    }
    for (Part part : parts) {
      md5.update(HEX.parseHex(part.etag().toLowerCase(java.util.Locale.ROOT)));
    }
    return HEX.formatHex(md5.digest()) + "-" + parts.size();
  }
}
