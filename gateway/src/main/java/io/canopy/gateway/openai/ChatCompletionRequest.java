package io.canopy.gateway.openai;

import static io.canopy.gateway.openai.GenerationOptions.invalid;
import static io.canopy.gateway.openai.GenerationOptions.kind;
import static io.canopy.gateway.openai.GenerationOptions.present;

import com.fasterxml.jackson.databind.JsonNode;
import io.canopy.compute.llm.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The body of {@code POST /v1/chat/completions} (OpenAI API reference, "Create chat completion"),
 * checked field by field: every refusal is a 400 that names the field at fault.
 *
 * <p>Messages are text only: {@code content} is a string or an array of {@code {"type": "text"}}
 * parts (concatenated). The {@code developer} role is the newer name of {@code system}. Tool and
 * function messages, and parts of any other type (images, audio, files), are refused.
 *
 * @param model the model id
 * @param messages the conversation, at least one message, roles system, user or assistant
 * @param options what the two generation endpoints share
 */
public record ChatCompletionRequest(String model, List<ChatMessage> messages, GenerationOptions options) {
  /** The most messages in one request (as a compute job allows). */
  public static final int MAX_MESSAGES = io.canopy.compute.job.LlamaRuntime.MAX_MESSAGES;

  public ChatCompletionRequest {
    Objects.requireNonNull(model, "model");
    messages = List.copyOf(messages);
    Objects.requireNonNull(options, "options");
  }

  /** Parses and checks a request body. @throws OpenAiException {@link OpenAiError#INVALID_REQUEST} */
  public static ChatCompletionRequest parse(byte[] body) {
    JsonNode root = GenerationOptions.readObject(body);
    String model = GenerationOptions.model(root);
    List<ChatMessage> messages = messages(present(root, "messages"));
    JsonNode logprobs = present(root, "logprobs");
    if (logprobs != null) {
      if (!logprobs.isBoolean()) {
        throw invalid("Invalid type for 'logprobs': expected a boolean, but got " + kind(logprobs) + " instead.",
            "logprobs");
      }
      if (logprobs.booleanValue()) {
        throw GenerationOptions.notSupported("logprobs");
      }
    }
    return new ChatCompletionRequest(model, messages, GenerationOptions.parse(root));
  }

  private static List<ChatMessage> messages(JsonNode list) {
    if (list == null) {
      throw invalid("Missing required parameter: 'messages'.", "messages");
    }
    if (!list.isArray()) {
      throw invalid("Invalid type for 'messages': expected an array, but got " + kind(list) + " instead.", "messages");
    }
    if (list.isEmpty()) {
      throw invalid("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array"
          + " instead.", "messages");
    }
    if (list.size() > MAX_MESSAGES) {
      throw invalid("Invalid 'messages': array too long. Expected an array with maximum length " + MAX_MESSAGES
          + ", but got an array with length " + list.size() + " instead.", "messages");
    }
    List<ChatMessage> messages = new ArrayList<>(list.size());
    for (JsonNode m : list) {
      messages.add(message(m, "messages[" + messages.size() + "]"));
    }
    return messages;
  }

  private static ChatMessage message(JsonNode m, String where) {
    if (!m.isObject()) {
      throw invalid("Invalid type for '" + where + "': expected an object, but got " + kind(m) + " instead.", where);
    }
    JsonNode r = present(m, "role");
    if (r == null) {
      throw invalid("Missing required parameter: '" + where + ".role'.", where + ".role");
    }
    if (!r.isTextual()) {
      throw invalid("Invalid type for '" + where + ".role': expected a string, but got " + kind(r) + " instead.",
          where + ".role");
    }
    String role = switch (r.textValue()) {
      case "system", "developer" -> "system";
      case "user" -> "user";
      case "assistant" -> "assistant";
      case "tool", "function" -> throw invalid("Messages with role '" + r.textValue()
          + "' are not supported yet (no tool or function calling).", where + ".role");
      default -> throw invalid("Invalid value: '" + r.textValue() + "'. Supported values are: 'system', 'assistant',"
          + " 'user', and 'developer'.", where + ".role");
    };
    for (String name : List.of("tool_calls", "function_call", "audio")) {
      if (present(m, name) != null) {
        throw invalid("'" + where + "." + name + "' is not supported yet.", where + "." + name);
      }
    }
    return new ChatMessage(role, content(present(m, "content"), where + ".content"));
  }

  private static String content(JsonNode content, String where) {
    if (content == null) {
      throw invalid("Missing required parameter: '" + where + "'.", where);
    }
    if (content.isTextual()) {
      return content.textValue();
    }
    if (!content.isArray()) {
      throw invalid("Invalid type for '" + where + "': expected a string or an array of content parts, but got "
          + kind(content) + " instead.", where);
    }
    StringBuilder text = new StringBuilder();
    int i = 0;
    for (JsonNode part : content) {
      String at = where + "[" + i++ + "]";
      JsonNode type = part.isObject() ? present(part, "type") : null;
      if (type == null || !type.isTextual()) {
        throw invalid("Invalid '" + at + "': expected a content part, an object with a string 'type'.", at);
      }
      if (!type.textValue().equals("text")) {
        throw invalid("Content parts of type '" + type.textValue() + "' are not supported; only 'text' parts are.",
            at + ".type");
      }
      JsonNode t = present(part, "text");
      if (t == null || !t.isTextual()) {
        throw invalid("Invalid '" + at + ".text': expected a string.", at + ".text");
      }
      text.append(t.textValue());
    }
    return text.toString();
  }
}
