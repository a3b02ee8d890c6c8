package io.canopy.gateway.http;

import java.util.HexFormat;

/**
 * Hex digits as HTTP means them: ASCII only. {@code Character.digit(c, 16)} also takes other
 * scripts' digits (Arabic-Indic '٣' is 3), so a percent-escape or chunk size could be spelt in a
 * way the SigV4 canonical form and every other HTTP implementation read differently.
 */
public final class AsciiHex {
  private AsciiHex() {}

  /** The value of {@code c} as a hex digit, or -1 if it is not one of 0-9, a-f, A-F. */
  public static int digit(char c) {
    return HexFormat.isHexDigit(c) ? HexFormat.fromHexDigit(c) : -1;
  }
}
