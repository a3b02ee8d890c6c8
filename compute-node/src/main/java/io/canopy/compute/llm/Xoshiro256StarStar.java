package io.canopy.compute.llm;

/**
 * xoshiro256** 1.0 (Blackman and Vigna, https://prng.di.unimi.it/xoshiro256starstar.c). The four
 * state words are the first four outputs of {@link SplitMix64} seeded with the user's seed.
 * Specified here, rather than {@code java.util.Random}, so that the sampled sequence for a seed is
 * part of Canopy's spec and can be reproduced by any implementation.
 */
public final class Xoshiro256StarStar {
  private long s0;
  private long s1;
  private long s2;
  private long s3;

  public Xoshiro256StarStar(long seed) {
    SplitMix64 sm = new SplitMix64(seed);
    s0 = sm.next();
    s1 = sm.next();
    s2 = sm.next();
    s3 = sm.next();
  }

  public long nextLong() {
    long result = Long.rotateLeft(s1 * 5, 7) * 9;
    long t = s1 << 17;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = Long.rotateLeft(s3, 45);
    return result;
  }

  /** Uniform in [0, 1): the top 53 bits of {@link #nextLong()} times 2^-53. */
  public double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }
}
