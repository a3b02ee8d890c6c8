package io.canopy.protocol.compute;

/** What a job cost, in tokens: the prompt (or embedded inputs) and the generated tokens. */
public record Usage(long promptTokens, long completionTokens) {
  public Usage {
    if (promptTokens < 0 || completionTokens < 0) {
      throw new ComputeMessageException("token counts must not be negative");
    }
  }

  public long totalTokens() {
    return promptTokens + completionTokens;
  }
}
