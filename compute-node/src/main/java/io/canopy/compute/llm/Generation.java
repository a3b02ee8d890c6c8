package io.canopy.compute.llm;

import java.util.List;

/**
 * The result of {@link Session#generate}.
 *
 * @param tokens generated token ids (an end-of-generation token is not included; the token that
 *               completed a stop sequence is)
 * @param text   the generated text, cut before a stop sequence; a trailing incomplete UTF-8
 *               sequence is left out and malformed bytes become U+FFFD (as llama-server does)
 */
public record Generation(List<Integer> tokens, String text, FinishReason finishReason, Usage usage) {
  public Generation {
    tokens = List.copyOf(tokens);
  }

  public enum FinishReason {
    /** The model produced an end-of-generation token. */
    END_OF_GENERATION,
    /** A stop sequence appeared in the text. */
    STOP_SEQUENCE,
    /** {@link GenerationParams#maxTokens()} tokens were generated. */
    MAX_TOKENS,
    /** The session's context is full. */
    CONTEXT_FULL
  }

  public record Usage(int promptTokens, int completionTokens) {
    public int totalTokens() {
      return promptTokens + completionTokens;
    }
  }
}
