package io.canopy.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Seeded random inputs for property-style tests, and a runner that checks a property over
 * explicit edge cases plus a fixed number of generated cases. Shared with the other modules
 * through protocol-spec's test jar.
 *
 * <p>Every generated case gets its own case seed, drawn from the property's fixed seed. A failure
 * names the property seed, the try number, the case seed and the input, and {@code
 * new SplittableRandom(caseSeed)} handed to the same generator rebuilds that input.
 */
public final class RandomInputs {
  private static final HexFormat HEX = HexFormat.of();

  /** The byte values worth trying on purpose: zero, one, minus one and both ends of the range. */
  private static final byte[] EDGE_BYTES = {0, 1, -1, Byte.MAX_VALUE, Byte.MIN_VALUE};

  /** Maximum size of an array whose property put no bound on it (as the former property tests had). */
  public static final int DEFAULT_MAX_SIZE = 255;

  private RandomInputs() {}

  /** A property check; may throw anything, which fails the test with the case described. */
  @FunctionalInterface
  public interface Check<T> {
    void accept(T value) throws Exception;
  }

  /**
   * Checks {@code property} for every edge case, then for {@code tries} inputs from {@code
   * generator}, each drawn from its own {@link SplittableRandom} whose seed comes from {@code seed}.
   */
  public static <T> void forAll(
      long seed,
      int tries,
      List<? extends T> edgeCases,
      Function<SplittableRandom, ? extends T> generator,
      Function<? super T, String> describe,
      Check<? super T> property) {
    for (int i = 0; i < edgeCases.size(); i++) {
      int edge = i;
      run(property, edgeCases.get(i), () -> "edge case " + edge + " of " + edgeCases.size(), describe);
    }
    SplittableRandom seeds = new SplittableRandom(seed);
    for (int i = 0; i < tries; i++) {
      long caseSeed = seeds.nextLong();
      T value = generator.apply(new SplittableRandom(caseSeed));
      int attempt = i;
      run(property, value,
          () -> "seed " + seed + ", try " + attempt + " of " + tries + " (case seed " + caseSeed + "L)", describe);
    }
  }

  private static <T> void run(
      Check<? super T> property, T value, Supplier<String> where, Function<? super T, String> describe) {
    try {
      property.accept(value);
    } catch (Throwable t) {
      if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
        throw (VirtualMachineError) t;
      }
      String input;
      try {
        input = describe.apply(value);
      } catch (RuntimeException e) {
        input = "<cannot describe input: " + e + ">";
      }
      throw new AssertionError(
          "property failed at " + where.get() + "\n  input: " + input + "\n  cause: " + t, t);
    }
  }

  // ---- numbers ------------------------------------------------------------------------------

  /**
   * A value in {@code [0, max]}. The bit length is drawn uniformly first, so every magnitude (and
   * hence every varint length) turns up as often as every other, rather than almost always the
   * longest one; the rest of the bits are uniform.
   */
  public static long nonNegativeUpTo(SplittableRandom random, long max) {
    if (max < 0) {
      throw new IllegalArgumentException("max " + max);
    }
    int maxBits = 64 - Long.numberOfLeadingZeros(max);
    int bits = random.nextInt(maxBits + 1);
    long value = bits == 0 ? 0 : (random.nextLong() >>> (64 - bits)) | (1L << (bits - 1));
    if (value <= max) {
      return value;
    }
    return max == Long.MAX_VALUE ? random.nextLong() & Long.MAX_VALUE : random.nextLong(max + 1);
  }

  /** A value in {@code [0, Long.MAX_VALUE]}, every bit length equally likely. */
  public static long nonNegativeLong(SplittableRandom random) {
    return nonNegativeUpTo(random, Long.MAX_VALUE);
  }

  /** An int in {@code [min, max]}, uniformly. */
  public static int intBetween(SplittableRandom random, int min, int max) {
    return (int) random.nextLong(min, (long) max + 1);
  }

  /**
   * 0, 1, every {@code 2^7k - 1} and {@code 2^7k} (the varint length steps) up to {@code max}, and
   * {@code max - 1}, {@code max}.
   */
  public static List<Long> edgeLongsUpTo(long max) {
    List<Long> edges = new ArrayList<>();
    addIfNew(edges, 0L, max);
    addIfNew(edges, 1L, max);
    for (int bits = 7; bits < 63; bits += 7) {
      addIfNew(edges, (1L << bits) - 1, max);
      addIfNew(edges, 1L << bits, max);
    }
    addIfNew(edges, max - 1, max);
    addIfNew(edges, max, max);
    return edges;
  }

  private static void addIfNew(List<Long> edges, long value, long max) {
    if (value >= 0 && value <= max && !edges.contains(value)) {
      edges.add(value);
    }
  }

  // ---- byte arrays --------------------------------------------------------------------------

  /**
   * Any long: a non-negative one of random bit length (see {@link #nonNegativeUpTo}), negated half
   * the time, or now and then {@link Long#MIN_VALUE} or {@link Long#MAX_VALUE}.
   */
  public static long anyLong(SplittableRandom random) {
    int pick = random.nextInt(32);
    if (pick == 0) {
      return Long.MIN_VALUE;
    }
    if (pick == 1) {
      return Long.MAX_VALUE;
    }
    long magnitude = nonNegativeLong(random);
    return random.nextBoolean() ? magnitude : -magnitude - 1;
  }

  /** Any int, every bit length and both signs equally likely. */
  public static int anyInt(SplittableRandom random) {
    int magnitude = (int) nonNegativeUpTo(random, Integer.MAX_VALUE);
    return random.nextBoolean() ? magnitude : -magnitude - 1;
  }

  /** Null with probability {@code nullProbability}, else a value from {@code generator}. */
  public static <T> T orNull(
      SplittableRandom random, double nullProbability, Function<SplittableRandom, ? extends T> generator) {
    return random.nextDouble() < nullProbability ? null : generator.apply(random);
  }

  /** One of {@code values}, uniformly. */
  @SafeVarargs
  public static <T> T oneOf(SplittableRandom random, T... values) {
    return values[random.nextInt(values.length)];
  }

  /** A list of {@code minSize..maxSize} elements from {@code element}; sizes uniform. */
  public static <T> List<T> listOf(
      SplittableRandom random, int minSize, int maxSize, Function<SplittableRandom, ? extends T> element) {
    int size = intBetween(random, minSize, maxSize);
    List<T> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(element.apply(random));
    }
    return out;
  }

  // ---- strings ------------------------------------------------------------------------------

  /** A string of {@code 0..maxLength} chars, each drawn uniformly from {@code chars}. */
  public static String stringOf(SplittableRandom random, int maxLength, String chars) {
    int length = random.nextInt(maxLength + 1);
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append(chars.charAt(random.nextInt(chars.length())));
    }
    return sb.toString();
  }

  /**
   * A string of {@code 0..maxLength} chars from the BMP without surrogates ({@code U+0000..U+D7FF},
   * {@code U+E000..U+FFFF}); a quarter of the chars are ASCII, so names also look like names.
   */
  public static String bmpString(SplittableRandom random, int maxLength) {
    int length = random.nextInt(maxLength + 1);
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      if (random.nextInt(4) == 0) {
        sb.append((char) random.nextInt(0x80));
      } else {
        int c = random.nextInt(0xD800 + 0x2000); // 0x0000..0xD7FF, then 0xE000..0xFFFF
        sb.append((char) (c < 0xD800 ? c : c + 0x800));
      }
    }
    return sb.toString();
  }

  // ---- byte arrays --------------------------------------------------------------------------

  /**
   * A byte array of {@code minSize..maxSize} random bytes. Sizes lean small (half the time at most
   * 16 bytes) but reach {@code maxSize}; now and then the bytes are all zero, all 0xff, or start
   * with a run of zeros.
   */
  public static byte[] bytes(SplittableRandom random, int minSize, int maxSize) {
    int size;
    int shape = random.nextInt(8);
    if (shape == 0) {
      size = maxSize;
    } else if (shape < 4) {
      size = intBetween(random, minSize, Math.min(maxSize, minSize + 16));
    } else {
      size = intBetween(random, minSize, maxSize);
    }
    byte[] out = new byte[size];
    int fill = random.nextInt(16);
    if (fill == 0) {
      return out; // all zero
    }
    if (fill == 1) {
      Arrays.fill(out, (byte) 0xff);
      return out;
    }
    random.nextBytes(out);
    if (fill == 2 && size > 0) {
      Arrays.fill(out, 0, random.nextInt(size + 1), (byte) 0); // leading zero bytes
    }
    return out;
  }

  /** A byte array of {@code 0..maxSize} bytes; see {@link #bytes(SplittableRandom, int, int)}. */
  public static byte[] bytes(SplittableRandom random, int maxSize) {
    return bytes(random, 0, maxSize);
  }

  /** Exactly {@code size} uniformly random bytes. */
  public static byte[] bytesOfSize(SplittableRandom random, int size) {
    byte[] out = new byte[size];
    random.nextBytes(out);
    return out;
  }

  /**
   * Edge-case arrays: the shortest allowed one filled with each edge byte (for {@code
   * minSize == 0} the empty array and the one-byte arrays), plus the longest one all 0x00, all
   * 0xff, and counting up from 0.
   */
  public static List<byte[]> edgeByteArrays(int minSize, int maxSize) {
    List<byte[]> edges = new ArrayList<>();
    if (minSize == 0) {
      edges.add(new byte[0]);
    }
    int shortest = Math.max(1, minSize);
    if (shortest <= maxSize) {
      for (byte b : EDGE_BYTES) {
        byte[] a = new byte[shortest];
        Arrays.fill(a, b);
        edges.add(a);
      }
    }
    if (maxSize > shortest) {
      edges.add(new byte[maxSize]);
      byte[] ones = new byte[maxSize];
      Arrays.fill(ones, (byte) 0xff);
      edges.add(ones);
      byte[] counting = new byte[maxSize];
      for (int i = 0; i < maxSize; i++) {
        counting[i] = (byte) i;
      }
      edges.add(counting);
    }
    return edges;
  }

  // ---- describing ---------------------------------------------------------------------------

  /** Hex of {@code bytes}, with its length; "null" for null. */
  public static String hex(byte[] bytes) {
    return bytes == null ? "null" : "[" + bytes.length + " bytes] " + HEX.formatHex(bytes);
  }

  /** A string shown with its UTF-16 code units, so invisible and unusual characters are visible. */
  public static String describe(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        sb.append(c);
      } else {
        sb.append(String.format("\\u%04x", (int) c));
      }
    }
    return sb.append('"').toString();
  }
}
