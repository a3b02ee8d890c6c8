package io.canopy.compute.llm;

/** One chat turn; {@code role} is "system", "user" or "assistant". */
public record ChatMessage(String role, String content) {
  public ChatMessage {
    if (role == null || content == null) {
      throw new IllegalArgumentException("role and content are required");
    }
  }

  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }
}
