package io.canopy.gateway.openai;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.canopy.gateway.openai.OpenAiOperation.CreateChatCompletion;
import io.canopy.gateway.openai.OpenAiOperation.CreateCompletion;
import io.canopy.gateway.openai.OpenAiOperation.CreateEmbeddings;
import io.canopy.gateway.openai.OpenAiOperation.ListModels;
import io.canopy.gateway.openai.OpenAiOperation.RetrieveModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * The OpenAI face's logic, with no HTTP in it: authenticate, parse the body, dispatch one
 * operation to the {@link InferenceBackend}, and write OpenAI's JSON. Every failure, including
 * the backend's, becomes an entry of {@link OpenAiError} ({@link #errorReply}). Blocking: run it
 * on a worker thread.
 */
public final class OpenAiApi {
  private static final System.Logger LOG = System.getLogger(OpenAiApi.class.getName());
  private static final JsonFactory JSON = new JsonFactory();
  private static final String BEARER = "bearer ";

  private final InferenceBackend backend;
  private final ApiKeys keys;
  private final TextGeneration generation;

  public OpenAiApi(InferenceBackend backend, ApiKeys keys) {
    this(backend, keys, Clock.systemUTC());
  }

  /** With {@code clock} giving the {@code created} time of completions. */
  public OpenAiApi(InferenceBackend backend, ApiKeys keys, Clock clock) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.keys = Objects.requireNonNull(keys, "keys");
    this.generation = new TextGeneration(backend, clock);
  }

  /**
   * Serves one request already routed to {@code op}.
   *
   * @param authorization the {@code Authorization} header, or null
   * @param body the request body (empty for GETs)
   * @param client the way back to the client: a streamed reply goes through it, and a generation
   *     stops once it says the client has gone
   * @return the reply to send, or empty if it was streamed through {@code client} (and ended there)
   */
  public Optional<OpenAiReply> serve(OpenAiOperation op, String authorization, byte[] body, EventStream client) {
    try {
      String account = authenticate(authorization);
      if (op instanceof ListModels) {
        return Optional.of(new OpenAiReply(200, listModels()));
      } else if (op instanceof RetrieveModel r) {
        return Optional.of(new OpenAiReply(200, retrieveModel(r.model())));
      } else if (op instanceof CreateEmbeddings) {
        return Optional.of(new OpenAiReply(200, createEmbeddings(account, EmbeddingsRequest.parse(body))));
      } else if (op instanceof CreateChatCompletion) {
        return generation.chat(account, ChatCompletionRequest.parse(body), client);
      } else if (op instanceof CreateCompletion) {
        return generation.complete(account, CompletionRequest.parse(body), client);
      }
      throw new IllegalStateException("unhandled operation " + op);
    } catch (OpenAiException e) {
      return Optional.of(errorReply(e));
    } catch (InferenceException e) {
      return Optional.of(errorReply(translate(e)));
    } catch (CancellationException e) {
      if (client.clientGone()) {
        // A non-streamed generation stopped because its client left: there is no one to answer.
        client.end();
        return Optional.empty();
      }
      return Optional.of(errorReply(internal(e)));
    } catch (RuntimeException e) {
      return Optional.of(errorReply(internal(e)));
    }
  }

  /** An unexpected failure, logged here and answered as a 500 that says nothing of it. */
  static OpenAiException internal(RuntimeException e) {
    LOG.log(System.Logger.Level.WARNING, "OpenAI request failed", e);
    return new OpenAiException(OpenAiError.INTERNAL, "The server had an error while processing your request.");
  }

  /** The account behind the request's key. */
  private String authenticate(String authorization) {
    if (authorization == null || authorization.isBlank()) {
      throw new OpenAiException(OpenAiError.INVALID_API_KEY,
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth"
              + " (i.e. Authorization: Bearer YOUR_KEY).");
    }
    String value = authorization.trim();
    if (!value.toLowerCase(Locale.ROOT).startsWith(BEARER)) {
      throw new OpenAiException(OpenAiError.INVALID_API_KEY,
          "The Authorization header must use Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
    }
    String key = value.substring(BEARER.length()).trim();
    Optional<String> account = key.isEmpty() ? Optional.empty() : keys.account(key);
    return account.orElseThrow(() -> new OpenAiException(OpenAiError.INVALID_API_KEY,
        "Incorrect API key provided: " + redact(key) + "."));
  }

  /** As OpenAI does: enough of the key to recognise it, not enough to use it. */
  static String redact(String key) {
    if (key.length() <= 8) {
      return "****";
    }
    return key.substring(0, 3) + "*".repeat(Math.min(20, key.length() - 7)) + key.substring(key.length() - 4);
  }

  static OpenAiException translate(InferenceException e) {
    if (e instanceof InferenceException.UnknownModel) {
      return new OpenAiException(OpenAiError.MODEL_NOT_FOUND, e.getMessage(), "model");
    } else if (e instanceof InferenceException.Rejected r) {
      return new OpenAiException(OpenAiError.INVALID_REQUEST, e.getMessage(), r.param());
    } else if (e instanceof InferenceException.Busy) {
      return new OpenAiException(OpenAiError.RATE_LIMITED, e.getMessage());
    } else {
      return new OpenAiException(OpenAiError.MODEL_UNAVAILABLE, e.getMessage());
    }
  }

  private byte[] listModels() {
    return json(g -> {
      g.writeStartObject();
      g.writeStringField("object", "list");
      g.writeArrayFieldStart("data");
      for (ModelInfo m : backend.models()) {
        writeModel(g, m);
      }
      g.writeEndArray();
      g.writeEndObject();
    });
  }

  private byte[] retrieveModel(String id) {
    ModelInfo model = find(id).orElseThrow(() -> new InferenceException.UnknownModel(id));
    return json(g -> writeModel(g, model));
  }

  private Optional<ModelInfo> find(String id) {
    return backend.models().stream().filter(m -> m.id().equals(id)).findFirst();
  }

  private static void writeModel(JsonGenerator g, ModelInfo m) throws IOException {
    g.writeStartObject();
    g.writeStringField("id", m.id());
    g.writeStringField("object", "model");
    g.writeNumberField("created", m.created());
    g.writeStringField("owned_by", m.ownedBy());
    g.writeEndObject();
  }

  private byte[] createEmbeddings(String account, EmbeddingsRequest request) {
    ModelInfo model = find(request.model()).filter(ModelInfo::embeds)
        .orElseThrow(() -> new InferenceException.UnknownModel(request.model()));
    if (request.dimensions().isPresent() && model.embeddingDimension() > 0
        && request.dimensions().getAsInt() != model.embeddingDimension()) {
      throw new OpenAiException(OpenAiError.INVALID_REQUEST, "Model " + model.id() + " only produces "
          + model.embeddingDimension() + "-dimensional embeddings; 'dimensions' must be " + model.embeddingDimension()
          + " or left out.", "dimensions");
    }
    Embeddings result = backend.embed(account, model.id(), request.inputs());
    if (result.vectors().length != request.inputs().size()) {
      throw new IllegalStateException("backend returned " + result.vectors().length + " vectors for "
          + request.inputs().size() + " inputs");
    }
    return json(g -> {
      g.writeStartObject();
      g.writeStringField("object", "list");
      g.writeArrayFieldStart("data");
      float[][] vectors = result.vectors();
      for (int i = 0; i < vectors.length; i++) {
        g.writeStartObject();
        g.writeStringField("object", "embedding");
        g.writeNumberField("index", i);
        g.writeFieldName("embedding");
        if (request.format() == EmbeddingsRequest.EncodingFormat.BASE64) {
          g.writeString(base64(vectors[i]));
        } else {
          g.writeStartArray();
          for (float x : vectors[i]) {
            g.writeNumber(x);
          }
          g.writeEndArray();
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeStringField("model", model.id());
      g.writeObjectFieldStart("usage");
      g.writeNumberField("prompt_tokens", result.promptTokens());
      g.writeNumberField("total_tokens", result.promptTokens());
      g.writeEndObject();
      g.writeEndObject();
    });
  }

  /** OpenAI's {@code encoding_format=base64}: the float32 values, little-endian, base64 (standard alphabet, padded). */
  static String base64(float[] vector) {
    ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(vector);
    return Base64.getEncoder().encodeToString(bytes.array());
  }

  /** OpenAI's error body {@code {"error": {"message", "type", "param", "code"}}} with the entry's status. */
  public static OpenAiReply errorReply(OpenAiException e) {
    OpenAiError error = e.error();
    return new OpenAiReply(error.status(), json(g -> {
      g.writeStartObject();
      g.writeObjectFieldStart("error");
      g.writeStringField("message", e.getMessage());
      g.writeStringField("type", error.type());
      g.writeStringField("param", e.param());
      g.writeStringField("code", error.code());
      g.writeEndObject();
      g.writeEndObject();
    }));
  }

  interface JsonWriter {
    void write(JsonGenerator g) throws IOException;
  }

  static byte[] json(JsonWriter writer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      writer.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
