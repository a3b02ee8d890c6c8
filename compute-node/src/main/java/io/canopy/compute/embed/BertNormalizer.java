package io.canopy.compute.embed;

import java.text.Normalizer;

/**
 * The {@code BertNormalizer} of HuggingFace tokenizers ({@code normalizers/bert.rs}), applied in
 * its order: clean text, pad CJK ideographs with spaces, strip accents, lowercase.
 *
 * <p>Character classes follow the Rust definitions rather than Java's similarly named methods:
 * whitespace is Unicode's White_Space property plus tab, LF and CR ({@link
 * Character#isWhitespace} differs on no-break spaces and the information separators); "control"
 * is general category Cc, Cf or Co, less tab, LF and CR (unassigned code points are kept).
 * Categories come from the JDK's Unicode tables, which may differ from the Rust crate's older ones
 * only for characters assigned recently.
 *
 * @param stripAccents NFD, then drop nonspacing marks (Mn); {@code tokenizer.json}'s {@code null}
 *     means "same as lowercase", resolved by the caller
 */
record BertNormalizer(boolean cleanText, boolean handleChineseChars, boolean stripAccents, boolean lowercase) {

  String normalize(String text) {
    String s = text;
    if (cleanText) {
      s = clean(s);
    }
    if (handleChineseChars) {
      s = padChineseChars(s);
    }
    if (stripAccents) {
      s = stripAccents(s);
    }
    if (lowercase) {
      s = lowercase(s);
    }
    return s;
  }

  /** Drops NUL, U+FFFD and control characters; turns every whitespace character into a space. */
  private static String clean(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      // A lone surrogate cannot occur in a Rust string; decoded from UTF-8 it would be U+FFFD,
      // which is dropped here too.
      if (cp == 0 || cp == 0xFFFD || isControl(cp) || Character.getType(cp) == Character.SURROGATE) {
        continue;
      }
      if (isWhitespace(cp)) {
        out.append(' ');
      } else {
        out.appendCodePoint(cp);
      }
    }
    return out.toString();
  }

  private static String padChineseChars(String s) {
    StringBuilder out = null;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      int next = i + Character.charCount(cp);
      if (isChineseChar(cp)) {
        if (out == null) {
          out = new StringBuilder(s.length() + 16).append(s, 0, i);
        }
        out.append(' ').appendCodePoint(cp).append(' ');
      } else if (out != null) {
        out.appendCodePoint(cp);
      }
      i = next;
    }
    return out == null ? s : out.toString();
  }

  private static String stripAccents(String s) {
    String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
    StringBuilder out = new StringBuilder(nfd.length());
    for (int i = 0; i < nfd.length(); ) {
      int cp = nfd.codePointAt(i);
      i += Character.charCount(cp);
      if (Character.getType(cp) != Character.NON_SPACING_MARK) {
        out.appendCodePoint(cp);
      }
    }
    return out.toString();
  }

  /**
   * Lowercases code point by code point, as Rust's {@code char::to_lowercase} does: no
   * context-sensitive rules (a final capital sigma becomes σ, not ς), and the one unconditional
   * one-to-many mapping, U+0130 → "i̇".
   */
  private static String lowercase(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == 0x130) {
        out.append("i\u0307");
      } else {
        out.appendCodePoint(Character.toLowerCase(cp));
      }
    }
    return out.toString();
  }

  static boolean isControl(int cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') {
      return false;
    }
    int type = Character.getType(cp);
    return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE;
  }

  /** Unicode's White_Space property (Rust's {@code char::is_whitespace}). */
  static boolean isWhitespace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D)
        || cp == 0x20
        || cp == 0x85
        || cp == 0xA0
        || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A)
        || cp == 0x2028
        || cp == 0x2029
        || cp == 0x202F
        || cp == 0x205F
        || cp == 0x3000;
  }

  /**
   * The CJK Unified Ideographs blocks (and extensions and compatibility ideographs) that BERT
   * splits into one word each; Hangul, Hiragana and Katakana are not among them.
   */
  static boolean isChineseChar(int cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF)
        || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F)
        || (cp >= 0x2B740 && cp <= 0x2B81F)
        || (cp >= 0x2B920 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF)
        || (cp >= 0x2F800 && cp <= 0x2FA1F);
  }
}
