package io.canopy.gateway.openai;

import java.util.Objects;

/**
 * What {@link InferenceBackend#generate} returns once the model has finished.
 *
 * @param text everything generated (the concatenation of what the {@link TextSink} was given)
 * @param finishReason OpenAI's {@code finish_reason}: {@code "stop"} (end of text or a stop
 *     sequence) or {@code "length"} (max tokens or the context filled up)
 */
public record Generated(String text, long promptTokens, long completionTokens, String finishReason) {
  public Generated {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(finishReason, "finishReason");
  }
}
