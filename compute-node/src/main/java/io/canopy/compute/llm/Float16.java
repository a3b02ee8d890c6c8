package io.canopy.compute.llm;

/** IEEE 754 binary16 conversions (Java 17 has none built in). */
final class Float16 {
  private static final float[] TO_FLOAT = new float[1 << 16];

  static {
    for (int h = 0; h < TO_FLOAT.length; h++) {
      TO_FLOAT[h] = compute((short) h);
    }
  }

  private Float16() {}

  /** Exact widening. */
  static float toFloat(short h) {
    return TO_FLOAT[h & 0xFFFF];
  }

  private static float compute(short half) {
    int h = half & 0xFFFF;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    if (exp == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    if (exp == 0) {
      // zero or subnormal: mant * 2^-24, exact in float
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
  }

  /** Narrowing with round-to-nearest-even, as F16C's {@code vcvtps2ph} with rounding mode 0. */
  static short fromFloat(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xFF;
    int mant = bits & 0x7FFFFF;
    if (exp == 0xFF) {
      return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1F) {
      return (short) (sign | 0x7C00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      int full = mant | 0x800000;
      int shift = 14 - e;
      int half = full >>> shift;
      int rem = full & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rem > halfway || (rem == halfway && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >>> 13);
    int rem = mant & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
      half++; // a carry into the exponent is the correct rounding (up to infinity)
    }
    return (short) (sign | half);
  }

  /** {@code f} rounded to the nearest binary16 value and widened back. */
  static float round(float f) {
    return toFloat(fromFloat(f));
  }
}
