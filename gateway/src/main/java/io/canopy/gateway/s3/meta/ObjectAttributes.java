package io.canopy.gateway.s3.meta;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What S3 stores with an object besides its bytes: the standard headers it echoes back and the
 * user metadata ({@code x-amz-meta-*}). Any header may be null (absent). User metadata names are
 * given without the {@code x-amz-meta-} prefix and kept lower-case, as S3 returns them.
 */
public record ObjectAttributes(
    String contentType,
    String contentEncoding,
    String contentDisposition,
    String cacheControl,
    Map<String, String> userMetadata) {

  /** S3's bound on user metadata: the UTF-8 bytes of every name and value, summed. */
  public static final int MAX_USER_METADATA_BYTES = 2048;

  public static final ObjectAttributes NONE = new ObjectAttributes(null, null, null, null, Map.of());

  /** User metadata is kept as an unmodifiable map sorted by name, names lower-cased; null is empty. */
  public ObjectAttributes {
    userMetadata = normalize(userMetadata);
  }

  /** Only a content type, no other headers or metadata. */
  public static ObjectAttributes ofContentType(String contentType) {
    return new ObjectAttributes(contentType, null, null, null, Map.of());
  }

  /** The size S3 counts against {@link #MAX_USER_METADATA_BYTES}. */
  public int userMetadataBytes() {
    int total = 0;
    for (Map.Entry<String, String> e : userMetadata.entrySet()) {
      total += e.getKey().getBytes(StandardCharsets.UTF_8).length + e.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    return total;
  }

  /** {@code MetadataTooLarge} beyond 2 KB; {@code InvalidArgument} for an empty metadata name. */
  void check() throws S3MetadataException {
    for (String name : userMetadata.keySet()) {
      if (name.isEmpty()) {
        throw new S3MetadataException(S3MetadataException.INVALID_ARGUMENT, "empty user metadata name");
      }
    }
    int bytes = userMetadataBytes();
    if (bytes > MAX_USER_METADATA_BYTES) {
      throw new S3MetadataException(S3MetadataException.METADATA_TOO_LARGE,
          "user metadata is " + bytes + " bytes; at most " + MAX_USER_METADATA_BYTES + " are allowed");
    }
  }

  private static SortedMap<String, String> normalize(Map<String, String> metadata) {
    if (metadata == null || metadata.isEmpty()) {
      return Collections.emptySortedMap();
    }
    TreeMap<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new IllegalArgumentException("null user metadata name or value");
      }
      out.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
    }
    return Collections.unmodifiableSortedMap(out);
  }
}
