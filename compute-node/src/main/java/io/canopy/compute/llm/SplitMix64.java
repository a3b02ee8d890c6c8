package io.canopy.compute.llm;

/**
 * SplitMix64 (Steele, Lea, Flood 2014; the reference in Vigna's xoshiro sources): the state
 * advances by the golden gamma {@code 0x9e3779b97f4a7c15} and each output is the state mixed by
 * {@code z ^= z >>> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >>> 27; z *= 0x94d049bb133111eb; z ^= z >>> 31}.
 * Used to expand a 64-bit seed into {@link Xoshiro256StarStar}'s state.
 */
final class SplitMix64 {
  private long state;

  SplitMix64(long seed) {
    this.state = seed;
  }

  long next() {
    long z = (state += 0x9e3779b97f4a7c15L);
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
