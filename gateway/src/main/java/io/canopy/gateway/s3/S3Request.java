package io.canopy.gateway.s3;

import io.canopy.gateway.http.AsciiHex;
import io.canopy.gateway.s3.S3Operation.AbortMultipartUpload;
import io.canopy.gateway.s3.S3Operation.ByteRange;
import io.canopy.gateway.s3.S3Operation.CompleteMultipartUpload;
import io.canopy.gateway.s3.S3Operation.CopyObject;
import io.canopy.gateway.s3.S3Operation.CopySource;
import io.canopy.gateway.s3.S3Operation.CreateBucket;
import io.canopy.gateway.s3.S3Operation.CreateMultipartUpload;
import io.canopy.gateway.s3.S3Operation.DeleteBucket;
import io.canopy.gateway.s3.S3Operation.DeleteObject;
import io.canopy.gateway.s3.S3Operation.DeleteObjects;
import io.canopy.gateway.s3.S3Operation.GetBucketLocation;
import io.canopy.gateway.s3.S3Operation.GetBucketVersioning;
import io.canopy.gateway.s3.S3Operation.GetObject;
import io.canopy.gateway.s3.S3Operation.GetObjectTagging;
import io.canopy.gateway.s3.S3Operation.HeadBucket;
import io.canopy.gateway.s3.S3Operation.HeadObject;
import io.canopy.gateway.s3.S3Operation.ListBuckets;
import io.canopy.gateway.s3.S3Operation.ListMultipartUploads;
import io.canopy.gateway.s3.S3Operation.ListObjects;
import io.canopy.gateway.s3.S3Operation.ListObjectsV2;
import io.canopy.gateway.s3.S3Operation.ListParts;
import io.canopy.gateway.s3.S3Operation.PutObject;
import io.canopy.gateway.s3.S3Operation.Unsupported;
import io.canopy.gateway.s3.S3Operation.UploadPart;
import io.canopy.gateway.s3.S3Operation.UploadPartCopy;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An S3 request as the HTTP layer receives it, before authentication: enough to tell which
 * {@link S3Operation} it is. {@link #parse} is the first step of parse → authenticate → dispatch.
 *
 * @param method the HTTP method, e.g. {@code GET}
 * @param rawPath the request target's path exactly as sent, still percent-encoded, without the query
 * @param rawQuery the query string exactly as sent, without {@code ?}; null or empty when none
 * @param host the Host header, or null
 * @param headers looks a request header up by (case-insensitive) name, null when absent; only the
 *     copy headers ({@code x-amz-copy-source}, {@code x-amz-copy-source-range}) are read here
 */
public record S3Request(
    String method, String rawPath, String rawQuery, String host, Function<String, String> headers) {

  /** S3's key length limit, in UTF-8 bytes. */
  public static final int MAX_KEY_BYTES = 1024;

  /** The most keys, parts or uploads one listing returns; larger requests are capped to it. */
  public static final int MAX_LIST_ENTRIES = 1000;

  public static final int MIN_PART_NUMBER = 1;
  public static final int MAX_PART_NUMBER = 10_000;

  public static final String COPY_SOURCE = "x-amz-copy-source";
  public static final String COPY_SOURCE_RANGE = "x-amz-copy-source-range";

  /** The {@code response-*} query parameters of GetObject and the header each one overrides. */
  private static final Map<String, String> RESPONSE_OVERRIDES = Map.of(
      "response-cache-control", "Cache-Control",
      "response-content-disposition", "Content-Disposition",
      "response-content-encoding", "Content-Encoding",
      "response-content-language", "Content-Language",
      "response-content-type", "Content-Type",
      "response-expires", "Expires");

  /**
   * The sub-resources that select an operation of their own ({@code ?acl}, {@code ?uploads}, …) and
   * the noun S3 names those operations with, after Get/Put/Delete and Bucket/Object.
   */
  private static final Map<String, String> SUBRESOURCES = Map.ofEntries(
      Map.entry("accelerate", "AccelerateConfiguration"),
      Map.entry("acl", "Acl"),
      Map.entry("analytics", "AnalyticsConfiguration"),
      Map.entry("attributes", "Attributes"),
      Map.entry("cors", "Cors"),
      Map.entry("delete", "Delete"),
      Map.entry("encryption", "Encryption"),
      Map.entry("intelligent-tiering", "IntelligentTieringConfiguration"),
      Map.entry("inventory", "InventoryConfiguration"),
      Map.entry("legal-hold", "LegalHold"),
      Map.entry("lifecycle", "LifecycleConfiguration"),
      Map.entry("location", "Location"),
      Map.entry("logging", "Logging"),
      Map.entry("metadataTable", "MetadataTableConfiguration"),
      Map.entry("metrics", "MetricsConfiguration"),
      Map.entry("notification", "NotificationConfiguration"),
      Map.entry("object-lock", "LockConfiguration"),
      Map.entry("ownershipControls", "OwnershipControls"),
      Map.entry("policy", "Policy"),
      Map.entry("policyStatus", "PolicyStatus"),
      Map.entry("publicAccessBlock", "PublicAccessBlock"),
      Map.entry("renameObject", "Rename"),
      Map.entry("replication", "Replication"),
      Map.entry("requestPayment", "RequestPayment"),
      Map.entry("restore", "Restore"),
      Map.entry("retention", "Retention"),
      Map.entry("select", "SelectContent"),
      Map.entry("session", "Session"),
      Map.entry("tagging", "Tagging"),
      Map.entry("torrent", "Torrent"),
      Map.entry("uploads", "Uploads"),
      Map.entry("versioning", "Versioning"),
      Map.entry("versions", "Versions"),
      Map.entry("website", "Website"));

  /** Operations whose S3 name does not follow verb + Bucket/Object + noun. */
  private static final Map<String, String> IRREGULAR_NAMES = Map.ofEntries(
      Map.entry("GET versions", "ListObjectVersions"),
      Map.entry("POST restore", "RestoreObject"),
      Map.entry("POST select", "SelectObjectContent"),
      Map.entry("GET object-lock", "GetObjectLockConfiguration"),
      Map.entry("PUT object-lock", "PutObjectLockConfiguration"),
      Map.entry("GET publicAccessBlock", "GetPublicAccessBlock"),
      Map.entry("PUT publicAccessBlock", "PutPublicAccessBlock"),
      Map.entry("DELETE publicAccessBlock", "DeletePublicAccessBlock"),
      Map.entry("DELETE lifecycle", "DeleteBucketLifecycle"),
      Map.entry("GET session", "CreateSession"),
      Map.entry("PUT renameObject", "RenameObject"));

  private static final Set<String> METHODS = Set.of("GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS");

  private static final Pattern COPY_RANGE = Pattern.compile("bytes=(\\d{1,18})-(\\d{1,18})");
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /**
   * Which operation this request is, with its bucket, key and query parameters decoded and
   * validated.
   *
   * @throws S3Exception MethodNotAllowed, InvalidURI, InvalidBucketName, KeyTooLongError or
   *     InvalidArgument for requests that are not valid S3; a valid request for an operation the
   *     gateway lacks is not an error here but {@link Unsupported}
   */
  public S3Operation parse(S3Addressing addressing) {
    String verb = method == null ? "" : method.toUpperCase(Locale.ROOT);
    if (!METHODS.contains(verb)) {
      throw new S3Exception(S3Error.MethodNotAllowed,
          "The specified method is not allowed against this resource: " + method);
    }
    if (rawPath == null || !rawPath.startsWith("/")) {
      throw new S3Exception(S3Error.InvalidURI);
    }

    // Bucket from the Host (virtual-hosted style) or from the first path segment (path style);
    // the key is the rest of the path, decoded once: "//" and ".." are parts of a key, not of a path.
    String bucket;
    String rawKey;
    var hostBucket = addressing.bucketFromHost(host);
    if (hostBucket.isPresent()) {
      bucket = hostBucket.get();
      rawKey = rawPath.substring(1);
    } else {
      String rest = rawPath.substring(1);
      int slash = rest.indexOf('/');
      bucket = rest.isEmpty() ? null : decode(slash < 0 ? rest : rest.substring(0, slash), false);
      rawKey = slash < 0 ? "" : rest.substring(slash + 1);
    }
    Map<String, String> query = parseQuery(rawQuery);

    if (verb.equals("OPTIONS")) {
      return new Unsupported("OptionsPreflight"); // CORS is not served
    }
    if (bucket == null) {
      if (verb.equals("GET")) {
        return new ListBuckets();
      }
      throw new S3Exception(S3Error.MethodNotAllowed,
          "The specified method is not allowed against the service: " + verb);
    }
    String key = decode(rawKey, false);
    checkKeyLength(key);

    String subresource = null;
    for (String name : query.keySet()) {
      if (SUBRESOURCES.containsKey(name)) {
        subresource = name;
        break;
      }
    }
    if (key.isEmpty()) {
      return bucketOperation(verb, bucket, subresource, query);
    }
    checkBucketName(bucket);
    return objectOperation(verb, bucket, key, subresource, query);
  }

  private S3Operation bucketOperation(String verb, String bucket, String subresource, Map<String, String> query) {
    if (subresource == null) {
      switch (verb) {
        case "GET":
          checkBucketName(bucket);
          return listing(bucket, query);
        case "HEAD":
          checkBucketName(bucket);
          return new HeadBucket(bucket);
        case "PUT":
          checkNewBucketName(bucket);
          return new CreateBucket(bucket);
        case "DELETE":
          checkBucketName(bucket);
          return new DeleteBucket(bucket);
        default:
          checkBucketName(bucket);
          return new Unsupported("PostObject"); // browser-form uploads
      }
    }
    checkBucketName(bucket);
    if (verb.equals("HEAD")) {
      return new HeadBucket(bucket);
    }
    switch (verb + " " + subresource) {
      case "GET versioning":
        return new GetBucketVersioning(bucket);
      case "GET location":
        return new GetBucketLocation(bucket);
      case "GET uploads":
        return new ListMultipartUploads(
            bucket,
            orEmpty(query.get("prefix")),
            delimiter(query),
            query.get("key-marker"),
            query.get("upload-id-marker"),
            count(query, "max-uploads"),
            urlEncoding(query));
      case "POST delete":
        return new DeleteObjects(bucket);
      default:
        return new Unsupported(unsupportedName(verb, subresource, "Bucket"));
    }
  }

  private S3Operation listing(String bucket, Map<String, String> query) {
    String prefix = orEmpty(query.get("prefix"));
    String delimiter = delimiter(query);
    int maxKeys = count(query, "max-keys");
    boolean urlEncoding = urlEncoding(query);
    String listType = query.get("list-type");
    if (listType == null) {
      return new ListObjects(bucket, prefix, delimiter, query.get("marker"), maxKeys, urlEncoding);
    }
    if (!listType.equals("2")) {
      throw new S3Exception(S3Error.InvalidArgument, "Invalid List Type specified in Request");
    }
    String token = query.get("continuation-token");
    if (token != null && token.isEmpty()) {
      throw new S3Exception(S3Error.InvalidArgument, "The continuation token provided is incorrect");
    }
    String fetchOwner = query.get("fetch-owner");
    boolean owner = false;
    if (fetchOwner != null) {
      if (fetchOwner.equalsIgnoreCase("true")) {
        owner = true;
      } else if (!fetchOwner.equalsIgnoreCase("false")) {
        throw new S3Exception(S3Error.InvalidArgument, "Invalid Argument fetch-owner: " + fetchOwner);
      }
    }
    return new ListObjectsV2(bucket, prefix, delimiter, token, query.get("start-after"), maxKeys, owner, urlEncoding);
  }

  private S3Operation objectOperation(
      String verb, String bucket, String key, String subresource, Map<String, String> query) {
    checkNoVersion(query.get("versionId"));
    String uploadId = query.get("uploadId");
    if (subresource != null) {
      switch (verb + " " + subresource) {
        case "POST uploads":
          return new CreateMultipartUpload(bucket, key);
        case "GET tagging":
          return new GetObjectTagging(bucket, key);
        default:
          return new Unsupported(unsupportedName(verb, subresource, "Object"));
      }
    }
    switch (verb) {
      case "GET":
        if (uploadId != null) {
          return new ListParts(bucket, key, requireUploadId(uploadId), count(query, "max-parts"),
              partNumberMarker(query.get("part-number-marker")));
        }
        return new GetObject(bucket, key, optionalPartNumber(query), responseOverrides(query));
      case "HEAD":
        return new HeadObject(bucket, key, optionalPartNumber(query));
      case "PUT": {
        String copySource = header(COPY_SOURCE);
        boolean part = uploadId != null || query.containsKey("partNumber");
        if (part) {
          String upload = requireUploadId(uploadId);
          int partNumber = partNumber(query.get("partNumber"));
          if (copySource != null) {
            return new UploadPartCopy(bucket, key, upload, partNumber, copySource(copySource),
                copyRange(header(COPY_SOURCE_RANGE)));
          }
          return new UploadPart(bucket, key, upload, partNumber);
        }
        if (copySource != null) {
          return new CopyObject(bucket, key, copySource(copySource));
        }
        return new PutObject(bucket, key);
      }
      case "POST":
        if (uploadId != null) {
          return new CompleteMultipartUpload(bucket, key, requireUploadId(uploadId));
        }
        throw new S3Exception(S3Error.MethodNotAllowed,
            "POST on an object needs ?uploads or ?uploadId.");
      case "DELETE":
        if (uploadId != null) {
          return new AbortMultipartUpload(bucket, key, requireUploadId(uploadId));
        }
        return new DeleteObject(bucket, key);
      default:
        throw new S3Exception(S3Error.MethodNotAllowed);
    }
  }

  private static String unsupportedName(String verb, String subresource, String noun) {
    String irregular = IRREGULAR_NAMES.get(verb + " " + subresource);
    if (irregular != null) {
      return irregular;
    }
    String action = switch (verb) {
      case "GET", "HEAD" -> "Get";
      case "PUT" -> "Put";
      case "DELETE" -> "Delete";
      default -> "Post";
    };
    return action + noun + SUBRESOURCES.get(subresource);
  }

  // ---- parameters ---------------------------------------------------------------------------

  private String header(String name) {
    return headers == null ? null : headers.apply(name);
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  private static String delimiter(Map<String, String> query) {
    String d = query.get("delimiter");
    return d == null || d.isEmpty() ? null : d;
  }

  private static boolean urlEncoding(Map<String, String> query) {
    String e = query.get("encoding-type");
    if (e == null) {
      return false;
    }
    if (e.equals("url")) {
      return true;
    }
    throw new S3Exception(S3Error.InvalidArgument, "Invalid Encoding Method specified in Request");
  }

  /** A max-keys / max-parts / max-uploads value: 0..2^31-1, capped at 1000; 1000 when absent. */
  private static int count(Map<String, String> query, String name) {
    String value = query.get(name);
    if (value == null) {
      return MAX_LIST_ENTRIES;
    }
    int n;
    try {
      n = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new S3Exception(S3Error.InvalidArgument,
          "Provided " + name + " not an integer or within integer range");
    }
    if (n < 0) {
      throw new S3Exception(S3Error.InvalidArgument,
          "Argument " + name + " must be an integer between 0 and 2147483647");
    }
    return Math.min(n, MAX_LIST_ENTRIES);
  }

  private static int partNumber(String value) {
    if (value == null) {
      throw new S3Exception(S3Error.InvalidArgument, "partNumber is required with uploadId");
    }
    try {
      int n = Integer.parseInt(value);
      if (n >= MIN_PART_NUMBER && n <= MAX_PART_NUMBER) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new S3Exception(S3Error.InvalidArgument,
        "Part number must be an integer between 1 and 10000, inclusive");
  }

  private static Integer optionalPartNumber(Map<String, String> query) {
    String value = query.get("partNumber");
    return value == null ? null : partNumber(value);
  }

  private static int partNumberMarker(String value) {
    if (value == null || value.isEmpty()) {
      return 0;
    }
    try {
      int n = Integer.parseInt(value);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new S3Exception(S3Error.InvalidArgument,
        "Argument part-number-marker must be an integer between 0 and 2147483647");
  }

  private static String requireUploadId(String uploadId) {
    if (uploadId == null || uploadId.isEmpty()) {
      throw new S3Exception(S3Error.InvalidArgument, "This operation needs a non-empty uploadId");
    }
    return uploadId;
  }

  /** Buckets are never versioned here: only the "null" version (the object itself) exists. */
  private static void checkNoVersion(String versionId) {
    if (versionId != null && !versionId.equals("null")) {
      throw new S3Exception(S3Error.InvalidArgument,
          "Invalid version id specified: this gateway does not keep object versions");
    }
  }

  private static Map<String, String> responseOverrides(Map<String, String> query) {
    Map<String, String> out = new LinkedHashMap<>();
    query.forEach((name, value) -> {
      String header = RESPONSE_OVERRIDES.get(name);
      if (header != null) {
        out.put(header, value);
      }
    });
    return out;
  }

  /**
   * {@code x-amz-copy-source}: {@code [/]bucket/key[?versionId=id]}, URL-encoded. Only the "null"
   * version can be copied (no bucket is versioned).
   */
  static CopySource copySource(String header) {
    String value = header.startsWith("/") ? header.substring(1) : header;
    int question = value.indexOf('?');
    if (question >= 0) {
      Map<String, String> params = parseQuery(value.substring(question + 1));
      checkNoVersion(params.get("versionId"));
      value = value.substring(0, question);
    }
    int slash = value.indexOf('/');
    if (slash <= 0 || slash == value.length() - 1) {
      throw new S3Exception(S3Error.InvalidArgument,
          "Copy Source must mention the source bucket and key: sourcebucket/sourcekey");
    }
    String bucket = decode(value.substring(0, slash), false);
    String key = decode(value.substring(slash + 1), false);
    checkBucketName(bucket);
    checkKeyLength(key);
    return new CopySource(bucket, key);
  }

  private static ByteRange copyRange(String header) {
    if (header == null) {
      return null;
    }
    Matcher m = COPY_RANGE.matcher(header.trim());
    if (m.matches()) {
      long first = Long.parseLong(m.group(1));
      long last = Long.parseLong(m.group(2));
      if (first <= last) {
        return new ByteRange(first, last);
      }
    }
    throw new S3Exception(S3Error.InvalidArgument,
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and"
            + " last are the zero-based offsets of the first and last bytes to copy");
  }

  // ---- names --------------------------------------------------------------------------------

  private static void checkKeyLength(String key) {
    int bytes = utf8Length(key);
    if (bytes > MAX_KEY_BYTES) {
      throw new S3Exception(S3Error.KeyTooLongError, null,
          Map.of("MaxSizeAllowed", Integer.toString(MAX_KEY_BYTES), "Size", Integer.toString(bytes)));
    }
  }

  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /**
   * A bucket name an existing bucket may have: 1..255 of {@code [A-Za-z0-9._-]} (the legacy
   * us-east-1 rules, which are wider than today's). Anything else cannot name a bucket.
   */
  static void checkBucketName(String bucket) {
    if (bucket.isEmpty() || bucket.length() > 255) {
      throw invalidBucketName(bucket);
    }
    for (int i = 0; i < bucket.length(); i++) {
      char c = bucket.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_')) {
        throw invalidBucketName(bucket);
      }
    }
  }

  /**
   * The rules for a new bucket (S3 "General purpose bucket naming rules"): 3..63 characters of
   * lower-case letters, digits, dots and hyphens; beginning and ending with a letter or digit; no
   * two adjacent dots; not an IP address; none of the reserved prefixes and suffixes.
   */
  static void checkNewBucketName(String bucket) {
    checkBucketName(bucket);
    boolean ok = bucket.length() >= 3 && bucket.length() <= 63
        && bucket.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-')
        && Character.isLetterOrDigit(bucket.charAt(0))
        && Character.isLetterOrDigit(bucket.charAt(bucket.length() - 1))
        && !bucket.contains("..")
        && !IPV4.matcher(bucket).matches()
        && !bucket.startsWith("xn--") && !bucket.startsWith("sthree-") && !bucket.startsWith("amzn-s3-demo-")
        && !bucket.endsWith("-s3alias") && !bucket.endsWith("--ol-s3") && !bucket.endsWith(".mrap")
        && !bucket.endsWith("--x-s3") && !bucket.endsWith("--table-s3");
    if (!ok) {
      throw invalidBucketName(bucket);
    }
  }

  private static S3Exception invalidBucketName(String bucket) {
    return new S3Exception(S3Error.InvalidBucketName, null, Map.of("BucketName", bucket));
  }

  // ---- decoding -----------------------------------------------------------------------------

  /**
   * The query's parameters in order, names and values decoded as forms are ({@code +} is a
   * space); a parameter without {@code =} has the value "". When a name repeats, the first wins.
   */
  static Map<String, String> parseQuery(String rawQuery) {
    Map<String, String> out = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return out;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq), true);
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1), true);
      out.putIfAbsent(name, value);
    }
    return out;
  }

  /**
   * Percent-decodes {@code s} once, as UTF-8. In a path {@code +} is itself; in a query it is a
   * space. A malformed escape or invalid UTF-8 is InvalidURI: a key is exactly its bytes, never a
   * guess.
   */
  static String decode(String s, boolean plusIsSpace) {
    if (s.indexOf('%') < 0 && !(plusIsSpace && s.indexOf('+') >= 0)) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          throw new S3Exception(S3Error.InvalidURI, "Incomplete percent-escape in the request URI");
        }
        int hi = AsciiHex.digit(s.charAt(i + 1));
        int lo = AsciiHex.digit(s.charAt(i + 2));
        if (hi < 0 || lo < 0) {
          throw new S3Exception(S3Error.InvalidURI, "Invalid percent-escape in the request URI");
        }
        bytes.write(hi << 4 | lo);
        i += 3;
      } else if (c == '+' && plusIsSpace) {
        bytes.write(' ');
        i++;
      } else {
        int end = i;
        while (end < s.length() && s.charAt(end) != '%' && !(plusIsSpace && s.charAt(end) == '+')) {
          end++;
        }
        bytes.writeBytes(s.substring(i, end).getBytes(StandardCharsets.UTF_8));
        i = end;
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new S3Exception(S3Error.InvalidURI, "The request URI is not valid UTF-8");
    }
  }

}
