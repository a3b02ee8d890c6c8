package io.canopy.compute.embed;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code BertPreTokenizer} of HuggingFace tokenizers ({@code pre_tokenizers/bert.rs}): split
 * on whitespace, dropping it, then make every punctuation character a word of its own.
 * Punctuation is any ASCII punctuation character (so {@code $ + < = > ^ ` | ~}, which Unicode calls
 * symbols, count) or any character of a Unicode punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po).
 */
final class BertPreTokenizer {
  private BertPreTokenizer() {}

  static List<String> split(String text) {
    List<String> words = new ArrayList<>();
    int wordStart = -1;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      int next = i + Character.charCount(cp);
      if (BertNormalizer.isWhitespace(cp)) {
        if (wordStart >= 0) {
          words.add(text.substring(wordStart, i));
          wordStart = -1;
        }
      } else if (isPunctuation(cp)) {
        if (wordStart >= 0) {
          words.add(text.substring(wordStart, i));
          wordStart = -1;
        }
        words.add(text.substring(i, next));
      } else if (wordStart < 0) {
        wordStart = i;
      }
      i = next;
    }
    if (wordStart >= 0) {
      words.add(text.substring(wordStart));
    }
    return words;
  }

  static boolean isPunctuation(int cp) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
      return true;
    }
    return switch (Character.getType(cp)) {
      case Character.CONNECTOR_PUNCTUATION,
          Character.DASH_PUNCTUATION,
          Character.START_PUNCTUATION,
          Character.END_PUNCTUATION,
          Character.INITIAL_QUOTE_PUNCTUATION,
          Character.FINAL_QUOTE_PUNCTUATION,
          Character.OTHER_PUNCTUATION -> true;
      default -> false;
    };
  }
}
