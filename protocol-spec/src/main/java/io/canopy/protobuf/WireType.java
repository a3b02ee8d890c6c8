package io.canopy.protobuf;

/** Protobuf wire types (protobuf.dev/programming-guides/encoding). */
public final class WireType {
  public static final int VARINT = 0;
  public static final int FIXED64 = 1;
  public static final int LENGTH_DELIMITED = 2;
  public static final int FIXED32 = 5;

  private WireType() {}
}
