package io.canopy.compute.llm;

/**
 * Receives generated tokens as they are produced. {@code text} is the text that became final
 * with this token, possibly empty: bytes that could still be the start of a stop sequence, or an
 * incomplete UTF-8 character, are held back until resolved. If text is still held when generation
 * ends, one last call with {@link #END} as the token id delivers it.
 */
@FunctionalInterface
public interface TokenListener {
  int END = -1;

  TokenListener NONE = (token, text) -> {};

  void onToken(int tokenId, String text);
}
