package io.canopy.compute.embed;

/**
 * Vectors for a list of inputs, and what each input cost.
 *
 * @param vectors one per input, in input order
 * @param tokenCounts the tokens each input was fed to the model as, special tokens included and
 *     after truncation (what an OpenAI-style {@code usage.prompt_tokens} adds up)
 * @param truncated which inputs lost tokens to the model's length limit
 */
public record EmbeddingResult(float[][] vectors, int[] tokenCounts, boolean[] truncated) {

  public long totalTokens() {
    long sum = 0;
    for (int n : tokenCounts) {
      sum += n;
    }
    return sum;
  }
}
