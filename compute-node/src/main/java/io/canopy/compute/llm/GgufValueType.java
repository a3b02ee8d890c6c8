package io.canopy.compute.llm;

/** Metadata value types of the GGUF spec (ggml docs/gguf.md, {@code gguf_metadata_value_type}). */
public enum GgufValueType {
  UINT8(0, 1),
  INT8(1, 1),
  UINT16(2, 2),
  INT16(3, 2),
  UINT32(4, 4),
  INT32(5, 4),
  FLOAT32(6, 4),
  BOOL(7, 1),
  STRING(8, 8),
  ARRAY(9, 12),
  UINT64(10, 8),
  INT64(11, 8),
  FLOAT64(12, 8);

  /** Wire id. */
  final int id;
  /** The fewest bytes one value of this type occupies (used to reject absurd array counts early). */
  final int minBytes;

  GgufValueType(int id, int minBytes) {
    this.id = id;
    this.minBytes = minBytes;
  }

  static GgufValueType of(int id, long at) throws GgufFormatException {
    for (GgufValueType t : values()) {
      if (t.id == id) {
        return t;
      }
    }
    throw new GgufFormatException("unknown GGUF metadata value type " + Integer.toUnsignedString(id) + " at offset " + at);
  }

  boolean isInteger() {
    return switch (this) {
      case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
      default -> false;
    };
  }
}
