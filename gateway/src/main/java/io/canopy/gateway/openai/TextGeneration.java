package io.canopy.gateway.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import io.canopy.protocol.compute.ComputeMessageException;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Task;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}, with no HTTP in it: checks
 * the model, runs the generation on the {@link InferenceBackend}, and answers in OpenAI's shapes,
 * either whole or streamed as Server-Sent Events through an {@link EventStream}.
 *
 * <p>A streamed reply starts only when the first text arrives, so a request the backend refuses
 * (unknown model, busy, unavailable, prompt too long) is still answered with a JSON error and its
 * status. Once the stream has started, a failure is sent as one {@code data: {"error": …}} event
 * and the stream ends without {@code [DONE]}, as OpenAI does. If the client goes away, the next
 * piece of text throws {@link CancellationException} into the backend, which stops the job.
 */
final class TextGeneration {
  /** The data of the event that ends an OpenAI stream. */
  static final String DONE = "[DONE]";

  private final InferenceBackend backend;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  TextGeneration(InferenceBackend backend, Clock clock) {
    this.backend = Objects.requireNonNull(backend, "backend");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Serves a chat completion; empty when the reply was streamed through {@code stream}. */
  Optional<OpenAiReply> chat(String account, ChatCompletionRequest request, EventStream stream) {
    ModelInfo model = model(request.model(), Task.CHAT);
    Shape shape = new ChatShape(newId("chatcmpl-"), now(), model.id(), request.options().includeUsage());
    return generate(account, model, new Prompt.Chat(request.messages()), request.options(), shape, stream);
  }

  /** Serves a text completion; empty when the reply was streamed through {@code stream}. */
  Optional<OpenAiReply> complete(String account, CompletionRequest request, EventStream stream) {
    ModelInfo model = model(request.model(), Task.COMPLETION);
    Shape shape = new CompletionShape(newId("cmpl-"), now(), model.id(), request.options().includeUsage());
    return generate(account, model, new Prompt.Text(request.prompt()), request.options(), shape, stream);
  }

  private ModelInfo model(String id, Task task) {
    return backend.models().stream()
        .filter(m -> m.id().equals(id) && m.does(task))
        .findFirst()
        .orElseThrow(() -> new InferenceException.UnknownModel(id));
  }

  private Optional<OpenAiReply> generate(String account, ModelInfo model, Prompt prompt, GenerationOptions options, Shape shape,
      EventStream stream) {
    Params params;
    try {
      params = options.params(random.nextLong());
    } catch (ComputeMessageException e) {
      throw new OpenAiException(OpenAiError.INVALID_REQUEST, e.getMessage());
    }
    if (!options.stream()) {
      Generated g = backend.generate(account, model.id(), prompt, params, piece -> {
        // Nothing to send yet, but an abandoned request should free its compute slot.
        if (stream.clientGone()) {
          throw new CancellationException("the client went away");
        }
      });
      return Optional.of(new OpenAiReply(200, shape.reply(g)));
    }

    boolean[] started = {false};
    TextSink sink = piece -> {
      if (stream.clientGone()) {
        throw new CancellationException("the client went away");
      }
      if (piece.isEmpty()) {
        return;
      }
      if (!started[0]) {
        started[0] = true;
        shape.opening().ifPresent(stream::send);
      }
      stream.send(shape.piece(piece));
    };
    Generated g;
    try {
      g = backend.generate(account, model.id(), prompt, params, sink);
    } catch (CancellationException e) {
      if (!stream.clientGone()) {
        throw e; // not ours: a backend bug, answered as one
      }
      stream.end();
      return Optional.empty();
    } catch (RuntimeException e) {
      if (!started[0]) {
        throw e; // nothing sent yet: answered as a JSON error with its status
      }
      OpenAiException error = e instanceof InferenceException ie ? OpenAiApi.translate(ie) : OpenAiApi.internal(e);
      try {
        stream.send(new String(OpenAiApi.errorReply(error).json(), StandardCharsets.UTF_8));
      } catch (CancellationException gone) {
        // The client left too; nothing more to tell it.
      }
      stream.end();
      return Optional.empty();
    }
    try {
      if (!started[0]) {
        shape.opening().ifPresent(stream::send);
      }
      stream.send(shape.finish(g.finishReason()));
      if (options.includeUsage()) {
        stream.send(shape.usage(g));
      }
      stream.send(DONE);
    } catch (CancellationException gone) {
      // The text is all generated; the client left before it read the end.
    }
    stream.end();
    return Optional.empty();
  }

  private long now() {
    return clock.millis() / 1000;
  }

  private String newId(String prefix) {
    byte[] id = new byte[12];
    random.nextBytes(id);
    return prefix + HexFormat.of().formatHex(id);
  }

  /** How one endpoint writes its replies: whole, or as the chunks of a stream. */
  private abstract static class Shape {
    final String id;
    final long created;
    final String model;
    final boolean includeUsage;

    Shape(String id, long created, String model, boolean includeUsage) {
      this.id = id;
      this.created = created;
      this.model = model;
      this.includeUsage = includeUsage;
    }

    /** The whole, non-streamed reply. */
    abstract byte[] reply(Generated g);

    /** The chunk sent before any text, if the endpoint has one. */
    Optional<String> opening() {
      return Optional.empty();
    }

    /** The chunk carrying one piece of text. */
    abstract String piece(String text);

    /** The chunk carrying the finish reason. */
    abstract String finish(String reason);

    /** {@code stream_options.include_usage}: the last chunk, no choices and the usage. */
    String usage(Generated g) {
      return chunk(g2 -> {
        g2.writeArrayFieldStart("choices");
        g2.writeEndArray();
        writeUsage(g2, g);
      }, true);
    }

    /** Writes {@code id, object, created, model}. */
    abstract void head(JsonGenerator g, boolean chunk) throws IOException;

    /** One chunk: the head, then {@code fields}, then {@code "usage": null} when usage comes last. */
    String chunk(OpenAiApi.JsonWriter fields, boolean usageWritten) {
      return new String(OpenAiApi.json(g -> {
        g.writeStartObject();
        head(g, true);
        fields.write(g);
        if (includeUsage && !usageWritten) {
          g.writeNullField("usage");
        }
        g.writeEndObject();
      }), StandardCharsets.UTF_8);
    }

    static void writeUsage(JsonGenerator g, Generated generated) throws IOException {
      g.writeObjectFieldStart("usage");
      g.writeNumberField("prompt_tokens", generated.promptTokens());
      g.writeNumberField("completion_tokens", generated.completionTokens());
      g.writeNumberField("total_tokens", generated.promptTokens() + generated.completionTokens());
      g.writeEndObject();
    }
  }

  /** {@code chat.completion} and {@code chat.completion.chunk} (OpenAI API reference, "The chat completion object"). */
  private static final class ChatShape extends Shape {
    ChatShape(String id, long created, String model, boolean includeUsage) {
      super(id, created, model, includeUsage);
    }

    @Override
    void head(JsonGenerator g, boolean chunk) throws IOException {
      g.writeStringField("id", id);
      g.writeStringField("object", chunk ? "chat.completion.chunk" : "chat.completion");
      g.writeNumberField("created", created);
      g.writeStringField("model", model);
      g.writeNullField("system_fingerprint");
    }

    @Override
    byte[] reply(Generated generated) {
      return OpenAiApi.json(g -> {
        g.writeStartObject();
        head(g, false);
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
        g.writeObjectFieldStart("message");
        g.writeStringField("role", "assistant");
        g.writeStringField("content", generated.text());
        g.writeNullField("refusal");
        g.writeEndObject();
        g.writeNullField("logprobs");
        g.writeStringField("finish_reason", generated.finishReason());
        g.writeEndObject();
        g.writeEndArray();
        writeUsage(g, generated);
        g.writeEndObject();
      });
    }

    @Override
    Optional<String> opening() {
      return Optional.of(choice(g -> {
        g.writeStringField("role", "assistant");
        g.writeStringField("content", "");
      }, null));
    }

    @Override
    String piece(String text) {
      return choice(g -> g.writeStringField("content", text), null);
    }

    @Override
    String finish(String reason) {
      return choice(g -> {}, reason);
    }

    private String choice(OpenAiApi.JsonWriter delta, String finishReason) {
      return chunk(g -> {
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", 0);
        g.writeObjectFieldStart("delta");
        delta.write(g);
        g.writeEndObject();
        g.writeNullField("logprobs");
        g.writeStringField("finish_reason", finishReason);
        g.writeEndObject();
        g.writeEndArray();
      }, false);
    }
  }

  /** {@code text_completion}, whole or as a stream's chunk (OpenAI API reference, "The completion object"). */
  private static final class CompletionShape extends Shape {
    CompletionShape(String id, long created, String model, boolean includeUsage) {
      super(id, created, model, includeUsage);
    }

    @Override
    void head(JsonGenerator g, boolean chunk) throws IOException {
      g.writeStringField("id", id);
      g.writeStringField("object", "text_completion");
      g.writeNumberField("created", created);
      g.writeStringField("model", model);
    }

    @Override
    byte[] reply(Generated generated) {
      return OpenAiApi.json(g -> {
        g.writeStartObject();
        head(g, false);
        writeChoice(g, generated.text(), generated.finishReason());
        writeUsage(g, generated);
        g.writeEndObject();
      });
    }

    @Override
    String piece(String text) {
      return chunk(g -> writeChoice(g, text, null), false);
    }

    @Override
    String finish(String reason) {
      return chunk(g -> writeChoice(g, "", reason), false);
    }

    private static void writeChoice(JsonGenerator g, String text, String finishReason) throws IOException {
      g.writeArrayFieldStart("choices");
      g.writeStartObject();
      g.writeStringField("text", text);
      g.writeNumberField("index", 0);
      g.writeNullField("logprobs");
      g.writeStringField("finish_reason", finishReason);
      g.writeEndObject();
      g.writeEndArray();
    }
  }
}
