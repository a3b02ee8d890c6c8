package io.canopy.gateway.openai;

import static io.canopy.gateway.openai.GenerationOptions.invalid;
import static io.canopy.gateway.openai.GenerationOptions.kind;
import static io.canopy.gateway.openai.GenerationOptions.present;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * The body of {@code POST /v1/completions} (OpenAI API reference, "Create completion", legacy),
 * checked field by field: every refusal is a 400 that names the field at fault.
 *
 * <p>{@code prompt} is one text: a string, or an array holding exactly one string. Several prompts
 * in one request, token arrays, {@code echo}, {@code suffix}, {@code best_of} and {@code logprobs}
 * are refused.
 *
 * @param model the model id
 * @param prompt the text the model continues
 * @param options what the two generation endpoints share
 */
public record CompletionRequest(String model, String prompt, GenerationOptions options) {
  public CompletionRequest {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(options, "options");
  }

  /** Parses and checks a request body. @throws OpenAiException {@link OpenAiError#INVALID_REQUEST} */
  public static CompletionRequest parse(byte[] body) {
    JsonNode root = GenerationOptions.readObject(body);
    String model = GenerationOptions.model(root);
    String prompt = prompt(present(root, "prompt"));
    if (present(root, "logprobs") != null) {
      throw GenerationOptions.notSupported("logprobs");
    }
    JsonNode echo = present(root, "echo");
    if (echo != null && !echo.isBoolean()) {
      throw invalid("Invalid type for 'echo': expected a boolean, but got " + kind(echo) + " instead.", "echo");
    }
    if (echo != null && echo.booleanValue()) {
      throw GenerationOptions.notSupported("echo");
    }
    JsonNode suffix = present(root, "suffix");
    if (suffix != null && !(suffix.isTextual() && suffix.textValue().isEmpty())) {
      throw GenerationOptions.notSupported("suffix");
    }
    JsonNode bestOf = present(root, "best_of");
    if (bestOf != null && !(bestOf.isIntegralNumber() && bestOf.longValue() == 1)) {
      throw invalid("Invalid 'best_of': only best_of = 1 is supported.", "best_of");
    }
    return new CompletionRequest(model, prompt, GenerationOptions.parse(root));
  }

  private static String prompt(JsonNode prompt) {
    if (prompt == null) {
      throw invalid("Missing required parameter: 'prompt'.", "prompt");
    }
    if (prompt.isTextual()) {
      return prompt.textValue();
    }
    if (!prompt.isArray()) {
      throw invalid("Invalid type for 'prompt': expected a string or an array of strings, but got " + kind(prompt)
          + " instead.", "prompt");
    }
    if (!prompt.isEmpty() && (prompt.get(0).isNumber() || prompt.get(0).isArray())) {
      throw invalid("Token arrays are not supported as 'prompt' yet; send the text as a string.", "prompt");
    }
    if (prompt.size() != 1) {
      throw invalid("Invalid 'prompt': only one prompt per request is supported, but got " + prompt.size() + ".",
          "prompt");
    }
    if (!prompt.get(0).isTextual()) {
      throw invalid("Invalid type for 'prompt[0]': expected a string, but got " + kind(prompt.get(0)) + " instead.",
          "prompt");
    }
    return prompt.get(0).textValue();
  }
}
