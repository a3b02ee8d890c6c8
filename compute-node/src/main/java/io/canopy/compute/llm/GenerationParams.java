package io.canopy.compute.llm;

import java.util.List;

/**
 * What to generate.
 *
 * @param maxTokens   most tokens to generate (at least 1)
 * @param temperature 0 for greedy (arg-max, lowest id on ties); otherwise logits are divided by it
 * @param topP        nucleus size in (0, 1]; 1 keeps every candidate
 * @param topK        keep the k most likely candidates; 0 keeps all
 * @param seed        seeds the {@link Xoshiro256StarStar} generator; the same seed gives the same tokens
 * @param stop        strings that end generation; the text is cut before the first one found
 */
public record GenerationParams(int maxTokens, double temperature, double topP, int topK, long seed, List<String> stop) {
  public GenerationParams {
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens must be >= 1: " + maxTokens);
    }
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and >= 0: " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("topP must be in (0, 1]: " + topP);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("topK must be >= 0: " + topK);
    }
    stop = List.copyOf(stop);
    for (String s : stop) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("stop sequences must not be empty");
      }
    }
  }

  /** Greedy decoding of up to {@code maxTokens} tokens, no stop sequences. */
  public static GenerationParams greedy(int maxTokens) {
    return new GenerationParams(maxTokens, 0, 1, 0, 0, List.of());
  }

  public GenerationParams withStop(List<String> stopSequences) {
    return new GenerationParams(maxTokens, temperature, topP, topK, seed, stopSequences);
  }
}
