package io.canopy.gateway.openai;

import io.canopy.compute.llm.ChatMessage;
import java.util.List;
import java.util.Objects;

/** What a text generation starts from: a plain prompt ({@code /v1/completions}) or a conversation ({@code /v1/chat/completions}). */
public sealed interface Prompt {

  /** {@code /v1/completions}: the model continues {@code text}. */
  record Text(String text) implements Prompt {
    public Text {
      Objects.requireNonNull(text, "text");
    }
  }

  /** {@code /v1/chat/completions}: the model writes the assistant's next turn, after its chat template. */
  record Chat(List<ChatMessage> messages) implements Prompt {
    public Chat {
      messages = List.copyOf(messages);
      if (messages.isEmpty()) {
        throw new IllegalArgumentException("a chat needs at least one message");
      }
    }
  }
}
