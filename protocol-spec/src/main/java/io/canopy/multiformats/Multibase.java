package io.canopy.multiformats;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Multibase text encodings (github.com/multiformats/multibase): a one-character prefix names the
 * base. Canopy writes base58btc (CIDv0, peer IDs), base32 (CIDv1 default) and base36 (IPNS keys in
 * subdomains); it also reads base16 and base64 variants.
 */
public enum Multibase {
  BASE16('f', "base16"),
  BASE16_UPPER('F', "base16upper"),
  BASE32('b', "base32"),
  BASE32_UPPER('B', "base32upper"),
  BASE36('k', "base36"),
  BASE36_UPPER('K', "base36upper"),
  BASE58_BTC('z', "base58btc"),
  BASE64('m', "base64"),
  BASE64_URL('u', "base64url");

  private static final String B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  private static final String B36 = "0123456789abcdefghijklmnopqrstuvwxyz";
  private static final String B32 = "abcdefghijklmnopqrstuvwxyz234567";

  private final char prefix;
  private final String baseName;

  Multibase(char prefix, String baseName) {
    this.prefix = prefix;
    this.baseName = baseName;
  }

  public char prefix() {
    return prefix;
  }

  public String baseName() {
    return baseName;
  }

  public static Multibase byPrefix(char prefix) {
    for (Multibase b : values()) {
      if (b.prefix == prefix) {
        return b;
      }
    }
    throw new IllegalArgumentException("unknown multibase prefix '" + prefix + "'");
  }

  public static Multibase byName(String name) {
    for (Multibase b : values()) {
      if (b.baseName.equals(name)) {
        return b;
      }
    }
    throw new IllegalArgumentException("unknown multibase '" + name + "'");
  }

  /** Encodes with the prefix character. */
  public String encode(byte[] data) {
    return prefix + encodeBare(data);
  }

  /** Encodes without the prefix (CIDv0 and legacy peer IDs are bare base58btc). */
  public String encodeBare(byte[] data) {
    return switch (this) {
      case BASE16 -> HexFormat.of().formatHex(data);
      case BASE16_UPPER -> HexFormat.of().withUpperCase().formatHex(data);
      case BASE32 -> base32Encode(data);
      case BASE32_UPPER -> base32Encode(data).toUpperCase(Locale.ROOT);
      case BASE36 -> baseXEncode(data, B36);
      case BASE36_UPPER -> baseXEncode(data, B36).toUpperCase(Locale.ROOT);
      case BASE58_BTC -> baseXEncode(data, B58);
      case BASE64 -> Base64.getEncoder().withoutPadding().encodeToString(data);
      case BASE64_URL -> Base64.getUrlEncoder().withoutPadding().encodeToString(data);
    };
  }

  /** Decodes a prefixed multibase string. */
  public static byte[] decode(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("empty multibase string");
    }
    return byPrefix(text.charAt(0)).decodeBare(text.substring(1));
  }

  public byte[] decodeBare(String text) {
    try {
      return switch (this) {
        case BASE16, BASE16_UPPER -> HexFormat.of().parseHex(asciiLower(text));
        case BASE32, BASE32_UPPER -> base32Decode(asciiLower(text));
        case BASE36, BASE36_UPPER -> baseXDecode(asciiLower(text), B36);
        case BASE58_BTC -> baseXDecode(text, B58);
        case BASE64 -> Base64.getDecoder().decode(text);
        case BASE64_URL -> Base64.getUrlDecoder().decode(text);
      };
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid " + baseName + " text: " + e.getMessage(), e);
    }
  }

  /**
   * Folds only A-Z: {@link String#toLowerCase} would also map non-ASCII letters onto the alphabet
   * (the Kelvin sign U+212A becomes 'k'), and with a default locale, 'I' may become a dotless 'ı'.
   */
  private static String asciiLower(String text) {
    char[] chars = text.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      if (chars[i] >= 'A' && chars[i] <= 'Z') {
        chars[i] = (char) (chars[i] + ('a' - 'A'));
      }
    }
    return new String(chars);
  }

  private static String base32Encode(byte[] data) {
    StringBuilder sb = new StringBuilder((data.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xFF);
      bits += 8;
      while (bits >= 5) {
        sb.append(B32.charAt((buffer >>> (bits - 5)) & 31));
        bits -= 5;
      }
    }
    if (bits > 0) {
      sb.append(B32.charAt((buffer << (5 - bits)) & 31));
    }
    return sb.toString();
  }

  private static byte[] base32Decode(String text) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() * 5 / 8);
    int buffer = 0;
    int bits = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '=') {
        // Padding ends the text: only more padding may follow it.
        for (int j = i; j < text.length(); j++) {
          if (text.charAt(j) != '=') {
            throw new IllegalArgumentException("character '" + text.charAt(j) + "' at " + j + " after padding");
          }
        }
        break;
      }
      int v = B32.indexOf(c);
      if (v < 0) {
        throw new IllegalArgumentException("character '" + c + "' at " + i);
      }
      buffer = (buffer << 5) | v;
      bits += 5;
      if (bits >= 8) {
        out.write((buffer >>> (bits - 8)) & 0xFF);
        bits -= 8;
      }
    }
    // A canonical encoding leaves fewer than 5 spare bits, all zero; anything else is a length no
    // byte string encodes to (1, 3 or 6 mod 8) or a second spelling of the same bytes.
    if (bits >= 5 || (buffer & ((1 << bits) - 1)) != 0) {
      throw new IllegalArgumentException("non-canonical end of text (length " + text.length() + ")");
    }
    return out.toByteArray();
  }

  /** Big-number base conversion with leading zero bytes kept as leading zero digits (base58btc rules). */
  private static String baseXEncode(byte[] data, String alphabet) {
    int base = alphabet.length();
    int zeros = 0;
    while (zeros < data.length && data[zeros] == 0) {
      zeros++;
    }
    byte[] input = data.clone();
    char[] out = new char[data.length * 2 + 1];
    int outPos = out.length;
    int start = zeros;
    while (start < input.length) {
      int remainder = 0;
      for (int i = start; i < input.length; i++) {
        int acc = (remainder << 8) | (input[i] & 0xFF);
        input[i] = (byte) (acc / base);
        remainder = acc % base;
      }
      out[--outPos] = alphabet.charAt(remainder);
      while (start < input.length && input[start] == 0) {
        start++;
      }
    }
    for (int i = 0; i < zeros; i++) {
      out[--outPos] = alphabet.charAt(0);
    }
    return new String(out, outPos, out.length - outPos);
  }

  private static byte[] baseXDecode(String text, String alphabet) {
    int base = alphabet.length();
    int zeros = 0;
    while (zeros < text.length() && text.charAt(zeros) == alphabet.charAt(0)) {
      zeros++;
    }
    byte[] out = new byte[text.length()];
    int outStart = out.length;
    for (int i = zeros; i < text.length(); i++) {
      int digit = alphabet.indexOf(text.charAt(i));
      if (digit < 0) {
        throw new IllegalArgumentException("character '" + text.charAt(i) + "' at " + i);
      }
      int carry = digit;
      for (int j = out.length - 1; j >= outStart || carry != 0; j--) {
        if (j < outStart) {
          outStart = j;
        }
        int acc = (out[j] & 0xFF) * base + carry;
        out[j] = (byte) acc;
        carry = acc >>> 8;
      }
    }
    byte[] result = new byte[zeros + out.length - outStart];
    System.arraycopy(out, outStart, result, zeros, out.length - outStart);
    return result;
  }
}
