package io.canopy.gateway.s3.meta;

import java.util.List;
import java.util.regex.Pattern;

/**
 * S3's naming rules for general purpose buckets (AWS "Bucket naming rules"): 3 to 63 characters
 * of lower-case letters, digits, dots and hyphens; a letter or digit first and last; no two
 * adjacent dots; not shaped like an IPv4 address; none of the prefixes and suffixes AWS reserves.
 */
public final class BucketNames {
  public static final int MIN_LENGTH = 3;
  public static final int MAX_LENGTH = 63;

  private static final Pattern SHAPE = Pattern.compile("[a-z0-9][a-z0-9.-]*[a-z0-9]");
  private static final Pattern IPV4_LIKE = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  private static final List<String> RESERVED_PREFIXES = List.of("xn--", "sthree-", "amzn-s3-demo-");
  private static final List<String> RESERVED_SUFFIXES = List.of("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3");

  private BucketNames() {}

  /** Null if {@code name} is a valid bucket name, otherwise why it is not. */
  public static String problem(String name) {
    if (name == null || name.length() < MIN_LENGTH || name.length() > MAX_LENGTH) {
      return "a bucket name has " + MIN_LENGTH + " to " + MAX_LENGTH + " characters";
    }
    if (!SHAPE.matcher(name).matches()) {
      return "a bucket name has only lower-case letters, digits, dots and hyphens, and begins and ends with a letter or digit";
    }
    if (name.contains("..")) {
      return "a bucket name has no two adjacent dots";
    }
    if (IPV4_LIKE.matcher(name).matches()) {
      return "a bucket name is not formatted as an IP address";
    }
    for (String prefix : RESERVED_PREFIXES) {
      if (name.startsWith(prefix)) {
        return "a bucket name does not begin with the reserved prefix " + prefix;
      }
    }
    for (String suffix : RESERVED_SUFFIXES) {
      if (name.endsWith(suffix)) {
        return "a bucket name does not end with the reserved suffix " + suffix;
      }
    }
    return null;
  }

  public static boolean isValid(String name) {
    return problem(name) == null;
  }

  /** {@code InvalidBucketName} unless {@code name} follows the rules. */
  public static void check(String name) throws S3MetadataException {
    String problem = problem(name);
    if (problem != null) {
      throw new S3MetadataException(S3MetadataException.INVALID_BUCKET_NAME,
          "invalid bucket name '" + name + "': " + problem);
    }
  }
}
