package io.canopy.gateway.openai;

import io.vertx.core.http.HttpMethod;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The OpenAI operations the face serves, parsed from method and path before anything else
 * happens (the model is Garage's {@code router.rs}): unknown paths and wrong methods are refused
 * here, so the handler only ever dispatches a known operation.
 */
public sealed interface OpenAiOperation {

  /** {@code GET /v1/models}. */
  record ListModels() implements OpenAiOperation {}

  /** {@code GET /v1/models/{model}}; the id may contain {@code /} (as Hugging Face ids do). */
  record RetrieveModel(String model) implements OpenAiOperation {}

  /** {@code POST /v1/embeddings}; the body is parsed after authentication ({@link EmbeddingsRequest}). */
  record CreateEmbeddings() implements OpenAiOperation {}

  /** {@code POST /v1/chat/completions}; the body is parsed after authentication ({@link ChatCompletionRequest}). */
  record CreateChatCompletion() implements OpenAiOperation {}

  /** {@code POST /v1/completions} (OpenAI's legacy text completions; {@link CompletionRequest}). */
  record CreateCompletion() implements OpenAiOperation {}

  String MODELS = "/v1/models";
  String MODELS_PREFIX = "/v1/models/";
  String EMBEDDINGS = "/v1/embeddings";
  String CHAT_COMPLETIONS = "/v1/chat/completions";
  String COMPLETIONS = "/v1/completions";

  /**
   * The operation at {@code method} and {@code path} (the path without its query).
   *
   * @throws OpenAiException {@link OpenAiError#UNKNOWN_URL} or {@link OpenAiError#METHOD_NOT_ALLOWED}
   */
  static OpenAiOperation route(HttpMethod method, String path) {
    if (path.equals(MODELS)) {
      return requireMethod(method, HttpMethod.GET, path, new ListModels());
    }
    if (path.startsWith(MODELS_PREFIX) && path.length() > MODELS_PREFIX.length()) {
      String id;
      try {
        id = URLDecoder.decode(path.substring(MODELS_PREFIX.length()).replace("+", "%2B"), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new OpenAiException(OpenAiError.UNKNOWN_URL, "Invalid URL (" + method.name() + " " + path + ")");
      }
      return requireMethod(method, HttpMethod.GET, path, new RetrieveModel(id));
    }
    if (path.equals(EMBEDDINGS)) {
      return requireMethod(method, HttpMethod.POST, path, new CreateEmbeddings());
    }
    if (path.equals(CHAT_COMPLETIONS)) {
      return requireMethod(method, HttpMethod.POST, path, new CreateChatCompletion());
    }
    if (path.equals(COMPLETIONS)) {
      return requireMethod(method, HttpMethod.POST, path, new CreateCompletion());
    }
    throw new OpenAiException(OpenAiError.UNKNOWN_URL, "Invalid URL (" + method.name() + " " + path + ")");
  }

  private static OpenAiOperation requireMethod(HttpMethod method, HttpMethod allowed, String path, OpenAiOperation op) {
    if (!method.equals(allowed)) {
      throw new OpenAiException(OpenAiError.METHOD_NOT_ALLOWED,
          "Not allowed to " + method.name() + " on " + path + " (use " + allowed.name() + ")");
    }
    return op;
  }
}
