package io.canopy.compute.llm;

import java.lang.reflect.Array;

/**
 * A GGUF metadata array. {@code values} is a {@code long[]} for every integer element type
 * (unsigned 64-bit values keep their bit pattern), {@code float[]}, {@code double[]},
 * {@code boolean[]}, {@code String[]}, or {@code GgufArray[]} for nested arrays.
 */
public record GgufArray(GgufValueType elementType, Object values) {
  public int length() {
    return Array.getLength(values);
  }
}
