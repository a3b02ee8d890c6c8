package io.canopy.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The body of {@code POST /v1/embeddings} (OpenAI API reference, "Create embeddings"), checked
 * field by field: every refusal is a 400 that names the field at fault.
 *
 * @param model the model id
 * @param inputs the texts, at least one, none empty
 * @param format how vectors are sent back
 * @param dimensions the vector length the client asked for, if it asked
 */
public record EmbeddingsRequest(String model, List<String> inputs, EncodingFormat format, OptionalInt dimensions) {
  /** OpenAI's limit on inputs in one request. */
  public static final int MAX_INPUTS = 2048;

  private static final Set<String> FIELDS = Set.of("model", "input", "encoding_format", "dimensions", "user");
  public EmbeddingsRequest {
    inputs = List.copyOf(inputs);
  }

  /** {@code encoding_format}. */
  public enum EncodingFormat {
    /** A JSON array of numbers (the default). */
    FLOAT,
    /** The float32 values, little-endian, base64-encoded: a quarter of the size on the wire. */
    BASE64
  }

  /** Parses and checks a request body. @throws OpenAiException {@link OpenAiError#INVALID_REQUEST} */
  public static EmbeddingsRequest parse(byte[] body) {
    JsonNode root = GenerationOptions.readObject(body);
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      String name = it.next().getKey();
      if (!FIELDS.contains(name)) {
        throw invalid("Unrecognized request argument supplied: " + name, name);
      }
    }

    JsonNode model = root.get("model");
    if (model == null || model.isNull()) {
      throw invalid("You must provide a model parameter.", "model");
    }
    if (!model.isTextual()) {
      throw invalid("Invalid type for 'model': expected a string.", "model");
    }

    List<String> inputs = inputs(root.get("input"));

    EncodingFormat format = EncodingFormat.FLOAT;
    JsonNode f = root.get("encoding_format");
    if (f != null && !f.isNull()) {
      if (!f.isTextual()) {
        throw invalid("Invalid type for 'encoding_format': expected one of 'float', 'base64'.", "encoding_format");
      }
      format = switch (f.textValue()) {
        case "float" -> EncodingFormat.FLOAT;
        case "base64" -> EncodingFormat.BASE64;
        default -> throw invalid("Invalid value for 'encoding_format': '" + f.textValue()
            + "'; supported values are 'float' and 'base64'.", "encoding_format");
      };
    }

    OptionalInt dimensions = OptionalInt.empty();
    JsonNode d = root.get("dimensions");
    if (d != null && !d.isNull()) {
      if (!d.isIntegralNumber() || !d.canConvertToInt()) {
        throw invalid("Invalid type for 'dimensions': expected an integer.", "dimensions");
      }
      if (d.intValue() < 1) {
        throw invalid("Invalid value for 'dimensions': must be at least 1.", "dimensions");
      }
      dimensions = OptionalInt.of(d.intValue());
    }

    JsonNode user = root.get("user");
    if (user != null && !user.isNull() && !user.isTextual()) {
      throw invalid("Invalid type for 'user': expected a string.", "user");
    }
    return new EmbeddingsRequest(model.textValue(), inputs, format, dimensions);
  }

  private static List<String> inputs(JsonNode input) {
    if (input == null || input.isNull()) {
      throw invalid("You must provide an input parameter.", "input");
    }
    if (input.isTextual()) {
      return List.of(nonEmpty(input.textValue()));
    }
    if (!input.isArray()) {
      throw invalid("Invalid type for 'input': expected a string or an array of strings.", "input");
    }
    if (input.isEmpty()) {
      throw invalid("'input' must not be an empty array.", "input");
    }
    if (input.size() > MAX_INPUTS) {
      throw invalid("'input' has " + input.size() + " items; at most " + MAX_INPUTS + " are allowed.", "input");
    }
    List<String> texts = new ArrayList<>(input.size());
    for (JsonNode item : input) {
      if (item.isTextual()) {
        texts.add(nonEmpty(item.textValue()));
      } else if (item.isNumber() || item.isArray()) {
        throw invalid("Token arrays are not supported as 'input' yet; send the text as a string or an array of strings.",
            "input");
      } else {
        throw invalid("Invalid type for 'input[" + texts.size() + "]': expected a string.", "input");
      }
    }
    return texts;
  }

  private static String nonEmpty(String text) {
    if (text.isEmpty()) {
      throw invalid("'input' must not contain empty strings.", "input");
    }
    return text;
  }

  private static OpenAiException invalid(String message, String param) {
    return new OpenAiException(OpenAiError.INVALID_REQUEST, message, param);
  }
}
