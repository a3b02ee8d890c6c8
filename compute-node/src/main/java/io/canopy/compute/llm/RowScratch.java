package io.canopy.compute.llm;

/** Per-thread buffers a row is copied into before its dot product. */
final class RowScratch {
  private float[] floats = new float[0];
  private short[] halves = new short[0];
  private byte[] bytes = new byte[0];

  float[] floats(int n) {
    if (floats.length < n) {
      floats = new float[n];
    }
    return floats;
  }

  short[] halves(int n) {
    if (halves.length < n) {
      halves = new short[n];
    }
    return halves;
  }

  byte[] bytes(int n) {
    if (bytes.length < n) {
      bytes = new byte[n];
    }
    return bytes;
  }
}
