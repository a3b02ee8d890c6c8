package io.canopy.gateway.s3.meta;

import java.util.Locale;

/** The canned ACLs a bucket can have: only its owner reads it, or anyone reads its objects. */
public enum BucketAcl {
  PRIVATE("private"),
  PUBLIC_READ("public-read");

  private final String cannedName;

  BucketAcl(String cannedName) {
    this.cannedName = cannedName;
  }

  /** The name S3 uses in {@code x-amz-acl}. */
  public String cannedName() {
    return cannedName;
  }

  /** The ACL named by {@code x-amz-acl}; {@code InvalidArgument} for any other canned ACL. */
  public static BucketAcl fromCannedName(String name) throws S3MetadataException {
    for (BucketAcl acl : values()) {
      if (acl.cannedName.equals(name.toLowerCase(Locale.ROOT))) {
        return acl;
      }
    }
    throw new S3MetadataException(S3MetadataException.INVALID_ARGUMENT, "unsupported canned ACL: " + name);
  }
}
