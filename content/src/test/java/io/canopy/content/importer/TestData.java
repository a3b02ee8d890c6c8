package io.canopy.content.importer;

/**
 * Deterministic file content shared with the JS reference run that produced the fixed CIDs in
 * {@link ImporterKnownCidsTest}: a 32-bit LCG, top byte of each state.
 */
public final class TestData {
  private TestData() {}

  public static byte[] lcg(int n) {
    byte[] b = new byte[n];
    int x = 12345;
    for (int i = 0; i < n; i++) {
      x = x * 1103515245 + 12345;
      b[i] = (byte) (x >>> 24);
    }
    return b;
  }
}
