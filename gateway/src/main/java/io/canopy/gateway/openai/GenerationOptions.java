package io.canopy.gateway.openai;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.canopy.protocol.compute.Params;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The fields {@code POST /v1/chat/completions} and {@code POST /v1/completions} share: sampling,
 * length, stop sequences, streaming, and the features the face refuses rather than silently
 * ignores (several choices, penalties, log-probabilities, tools, structured output, logit bias).
 * Unknown fields are ignored, since OpenAI's SDKs send newer ones the face need not know.
 *
 * @param maxTokens the most tokens to generate, or 0 for the model's default
 * @param temperature 0 (greedy) to 2
 * @param topP nucleus size, in (0, 1]
 * @param topK keep the k most likely tokens, 0 for all (not OpenAI's; llama.cpp and vLLM accept it)
 * @param seed the sampler's seed, if the client chose one
 * @param stop at most {@link #MAX_STOP} stop sequences
 * @param stream whether to answer with Server-Sent Events
 * @param includeUsage {@code stream_options.include_usage}: end the stream with a usage chunk
 */
public record GenerationOptions(int maxTokens, float temperature, float topP, int topK, OptionalLong seed,
    List<String> stop, boolean stream, boolean includeUsage) {
  /** OpenAI's limit on {@code stop} sequences. */
  public static final int MAX_STOP = 4;

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  public GenerationOptions {
    stop = List.copyOf(stop);
  }

  /** The backend's params, with {@code seed} when the client chose none. */
  public Params params(long randomSeed) {
    return new Params(maxTokens, temperature, topP, topK, seed.orElse(randomSeed), stop);
  }

  /** The shared fields of a request body already read by {@link #readObject}. */
  static GenerationOptions parse(JsonNode root) {
    int maxTokens = 0;
    for (String name : List.of("max_tokens", "max_completion_tokens")) {
      JsonNode n = present(root, name);
      if (n != null) {
        long value = integer(n, name);
        if (value < 1) {
          throw invalid("Invalid '" + name + "': integer below minimum value. Expected a value >= 1, but got "
              + value + " instead.", name);
        }
        if (value > Params.MAX_TOKENS_LIMIT) {
          throw invalid("Invalid '" + name + "': integer above maximum value. Expected a value <= "
              + Params.MAX_TOKENS_LIMIT + ", but got " + value + " instead.", name);
        }
        maxTokens = (int) value; // max_completion_tokens, the newer name, wins when both are sent
      }
    }
    float temperature = (float) decimal(root, "temperature", 1, 0, Params.MAX_TEMPERATURE);
    float topP = (float) decimal(root, "top_p", 1, 0, 1);
    if (topP <= 0) {
      throw invalid("Invalid 'top_p': decimal below minimum value. Expected a value > 0, but got 0 instead.", "top_p");
    }
    int topK = 0;
    JsonNode k = present(root, "top_k");
    if (k != null) {
      long value = integer(k, "top_k");
      if (value < 0 || value > Params.MAX_TOP_K) {
        throw invalid("Invalid 'top_k': expected a value between 0 and " + Params.MAX_TOP_K + ", but got " + value
            + " instead.", "top_k");
      }
      topK = (int) value;
    }
    OptionalLong seed = OptionalLong.empty();
    JsonNode s = present(root, "seed");
    if (s != null) {
      seed = OptionalLong.of(integer(s, "seed"));
    }
    List<String> stop = stop(present(root, "stop"));
    boolean stream = bool(root, "stream");
    boolean includeUsage = false;
    JsonNode options = present(root, "stream_options");
    if (options != null) {
      if (!stream) {
        throw invalid("The 'stream_options' parameter is only allowed when 'stream' is enabled.", "stream_options");
      }
      if (!options.isObject()) {
        throw invalid("Invalid type for 'stream_options': expected an object, but got " + kind(options) + " instead.",
            "stream_options");
      }
      includeUsage = bool(options, "include_usage", "stream_options.include_usage");
    }
    refuseUnsupported(root);
    return new GenerationOptions(maxTokens, temperature, topP, topK, seed, stop, stream, includeUsage);
  }

  /** Fields whose meaning the face cannot honour: refused, so a client never silently gets less than it asked for. */
  private static void refuseUnsupported(JsonNode root) {
    JsonNode n = present(root, "n");
    if (n != null && integer(n, "n") != 1) {
      throw invalid("Invalid 'n': only n = 1 is supported; send one request per choice.", "n");
    }
    for (String name : List.of("presence_penalty", "frequency_penalty")) {
      JsonNode p = present(root, name);
      if (p != null) {
        if (!p.isNumber()) {
          throw invalid("Invalid type for '" + name + "': expected a decimal, but got " + kind(p) + " instead.", name);
        }
        if (p.doubleValue() != 0) {
          throw invalid("'" + name + "' is not supported yet; send 0 or leave it out.", name);
        }
      }
    }
    JsonNode top = present(root, "top_logprobs");
    if (top != null && !(top.isIntegralNumber() && top.longValue() == 0)) {
      throw notSupported("top_logprobs");
    }
    for (String name : List.of("tools", "functions")) {
      if (present(root, name) != null) {
        throw invalid("Tool and function calling is not supported yet ('" + name + "').", name);
      }
    }
    for (String name : List.of("tool_choice", "function_call")) {
      JsonNode choice = present(root, name);
      if (choice != null && !(choice.isTextual() && choice.textValue().equals("none"))) {
        throw invalid("Tool and function calling is not supported yet ('" + name + "').", name);
      }
    }
    JsonNode format = present(root, "response_format");
    if (format != null) {
      JsonNode type = format.get("type");
      if (!format.isObject() || type == null || !type.isTextual()) {
        throw invalid("Invalid 'response_format': expected an object with a 'type'.", "response_format");
      }
      if (!type.textValue().equals("text")) {
        throw invalid("'response_format' of type '" + type.textValue() + "' is not supported yet; only 'text' is.",
            "response_format");
      }
    }
    JsonNode bias = present(root, "logit_bias");
    if (bias != null) {
      if (!bias.isObject()) {
        throw invalid("Invalid type for 'logit_bias': expected an object, but got " + kind(bias) + " instead.",
            "logit_bias");
      }
      if (!bias.isEmpty()) {
        throw notSupported("logit_bias");
      }
    }
    JsonNode user = present(root, "user");
    if (user != null && !user.isTextual()) {
      throw invalid("Invalid type for 'user': expected a string, but got " + kind(user) + " instead.", "user");
    }
  }

  private static List<String> stop(JsonNode stop) {
    if (stop == null) {
      return List.of();
    }
    List<String> sequences = new ArrayList<>();
    if (stop.isTextual()) {
      sequences.add(stop.textValue());
    } else if (stop.isArray()) {
      if (stop.size() > MAX_STOP) {
        throw invalid("Invalid 'stop': array too long. Expected an array with maximum length " + MAX_STOP
            + ", but got an array with length " + stop.size() + " instead.", "stop");
      }
      for (JsonNode s : stop) {
        if (!s.isTextual()) {
          throw invalid("Invalid type for 'stop[" + sequences.size() + "]': expected a string, but got " + kind(s)
              + " instead.", "stop");
        }
        sequences.add(s.textValue());
      }
    } else {
      throw invalid("Invalid type for 'stop': expected a string or an array of strings, but got " + kind(stop)
          + " instead.", "stop");
    }
    for (String s : sequences) {
      if (s.isEmpty() || s.length() > Params.MAX_STOP_LENGTH) {
        throw invalid("Invalid 'stop': each stop sequence must be 1 to " + Params.MAX_STOP_LENGTH + " characters long.",
            "stop");
      }
    }
    return sequences;
  }

  // ---- JSON helpers shared by ChatCompletionRequest and CompletionRequest ----

  /** The body as a JSON object. */
  static JsonNode readObject(byte[] body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw invalid("We could not parse the JSON body of your request: " + e.getOriginalMessage(), null);
    } catch (IOException e) {
      throw invalid("We could not parse the JSON body of your request.", null);
    }
    if (root == null || root.isMissingNode()) {
      throw invalid("The request body is empty; expected a JSON object.", null);
    }
    if (!root.isObject()) {
      throw invalid("The request body must be a JSON object.", null);
    }
    return root;
  }

  /** The required string {@code model}. */
  static String model(JsonNode root) {
    JsonNode model = present(root, "model");
    if (model == null) {
      throw invalid("You must provide a model parameter.", "model");
    }
    if (!model.isTextual()) {
      throw invalid("Invalid type for 'model': expected a string, but got " + kind(model) + " instead.", "model");
    }
    return model.textValue();
  }

  /** The field, or null when it is absent or JSON {@code null} (which OpenAI treats alike). */
  static JsonNode present(JsonNode object, String name) {
    JsonNode n = object.get(name);
    return n == null || n.isNull() ? null : n;
  }

  /** What a JSON value is, in OpenAI's error wording. */
  static String kind(JsonNode n) {
    if (n.isTextual()) {
      return "a string";
    } else if (n.isIntegralNumber()) {
      return "an integer";
    } else if (n.isNumber()) {
      return "a decimal";
    } else if (n.isBoolean()) {
      return "a boolean";
    } else if (n.isArray()) {
      return "an array";
    } else if (n.isObject()) {
      return "an object";
    }
    return "null";
  }

  static OpenAiException invalid(String message, String param) {
    return new OpenAiException(OpenAiError.INVALID_REQUEST, message, param);
  }

  static OpenAiException notSupported(String param) {
    return invalid("'" + param + "' is not supported yet.", param);
  }

  private static long integer(JsonNode n, String name) {
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw invalid("Invalid type for '" + name + "': expected an integer, but got " + kind(n) + " instead.", name);
    }
    return n.longValue();
  }

  private static double decimal(JsonNode root, String name, double absent, double min, double max) {
    JsonNode n = present(root, name);
    if (n == null) {
      return absent;
    }
    if (!n.isNumber()) {
      throw invalid("Invalid type for '" + name + "': expected a decimal, but got " + kind(n) + " instead.", name);
    }
    double value = n.doubleValue();
    if (value < min) {
      throw invalid("Invalid '" + name + "': decimal below minimum value. Expected a value >= " + fmt(min)
          + ", but got " + n.asText() + " instead.", name);
    }
    if (value > max) {
      throw invalid("Invalid '" + name + "': decimal above maximum value. Expected a value <= " + fmt(max)
          + ", but got " + n.asText() + " instead.", name);
    }
    return value;
  }

  private static String fmt(double bound) {
    return bound == Math.rint(bound) ? Long.toString((long) bound) : Double.toString(bound);
  }

  private static boolean bool(JsonNode object, String name) {
    return bool(object, name, name);
  }

  private static boolean bool(JsonNode object, String name, String param) {
    JsonNode n = present(object, name);
    if (n == null) {
      return false;
    }
    if (!n.isBoolean()) {
      throw invalid("Invalid type for '" + param + "': expected a boolean, but got " + kind(n) + " instead.", param);
    }
    return n.booleanValue();
  }
}
