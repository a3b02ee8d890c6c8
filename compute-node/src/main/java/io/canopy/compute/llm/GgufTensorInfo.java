package io.canopy.compute.llm;

/**
 * One tensor of a GGUF file. {@code dims[0]} is ggml's {@code ne[0]}, the contiguous (column)
 * dimension; {@code absoluteOffset} is where the data begins in the file.
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long absoluteOffset, long byteSize) {
  public long elementCount() {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    return n;
  }

  /** Elements per row (ne[0]). */
  public long columns() {
    return dims.length == 0 ? 1 : dims[0];
  }

  /** Number of rows: the product of every dimension but the first. */
  public long rows() {
    long n = 1;
    for (int i = 1; i < dims.length; i++) {
      n *= dims[i];
    }
    return n;
  }
}
