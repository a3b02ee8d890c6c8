package io.canopy.compute.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.canopy.compute.llm.ChatMessage;
import io.canopy.multiformats.Cid;
import io.canopy.protocol.compute.ComputeMessage.Code;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.ModelOffer;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Forwards jobs to an OpenAI-compatible inference server the operator already runs (Ollama,
 * llama.cpp's {@code llama-server}, vLLM) at a configured base URL such as {@code
 * http://127.0.0.1:11434/v1}: chat to {@code /chat/completions}, completion to {@code
 * /completions} (both streamed as server-sent events, each piece written to the job's output as
 * it arrives) and embeddings to {@code /embeddings} (written in {@link EmbeddingRuntime}'s exact
 * output format). Job inputs are parsed as the built-in runtimes parse them.
 *
 * <p>Such a server is not bit-exact (its output varies with hardware, batching and version), so
 * {@link #bitExact()} is false and the node's receipts say {@code exact = 0}: a validator cannot
 * fraud-prove them by a re-run (spec/compute.md §3.3).
 *
 * <p>Failures map to the protocol's codes: the server unreachable or answering 5xx → {@code
 * INTERNAL}; 400 → {@code BAD_REQUEST} with the server's {@code error.message} ({@code TOO_LONG}
 * when it says the context is exceeded); 404 → {@code INTERNAL} (the server does not know the
 * model); 429 → {@code BUSY}; no answer within the timeout → {@code TIMEOUT}. Every line of the
 * event stream is bounded ({@link #MAX_EVENT_LINE}), and so are the total output ({@link
 * ComputeClient#DEFAULT_MAX_OUTPUT}) and the whole exchange ({@code timeout}). When the job is
 * cancelled the HTTP exchange is aborted, which closes the connection so the server stops
 * generating.
 *
 * <p>Usage is the server's {@code usage} (streamed runs ask for it with {@code
 * stream_options.include_usage}); a server that sends none is counted as 0 prompt tokens and one
 * completion token per content event, which is what most servers send per token.
 */
public final class OpenAiServerRuntime implements InferenceRuntime {
  /** Longest line of the server's event stream, in bytes. */
  public static final int MAX_EVENT_LINE = 1 << 20;
  /** Most bytes of an error answer read for its message. */
  static final int MAX_ERROR_BODY = 64 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The error codes OpenAI and llama.cpp give an input longer than the context. */
  private static final Set<String> CONTEXT_EXCEEDED = Set.of("context_length_exceeded", "exceed_context_size_error");

  private final ModelOffer offer;
  private final URI baseUrl;
  private final String remoteModel;
  private final Optional<String> apiKey;
  private final Duration timeout;
  private final int maxOutput;
  private final HttpClient http;

  /**
   * @param model the CID the node offers the model under
   * @param name the model's name for humans, as offered
   * @param task what the server is used for: CHAT, COMPLETION or EMBEDDING
   * @param baseUrl the server's OpenAI API root, e.g. {@code http://127.0.0.1:11434/v1}
   * @param remoteModel the model's id on that server ({@code model} in each request)
   * @param apiKey sent as {@code Authorization: Bearer …} when present
   * @param contextLength the context length offered (the server enforces its own)
   * @param timeout the longest one job's whole exchange with the server may take
   */
  public OpenAiServerRuntime(Cid model, String name, Task task, URI baseUrl, String remoteModel, Optional<String> apiKey,
                             int contextLength, long pricePer1k, Duration timeout) {
    this(model, name, task, baseUrl, remoteModel, apiKey, contextLength, pricePer1k, timeout, ComputeClient.DEFAULT_MAX_OUTPUT);
  }

  OpenAiServerRuntime(Cid model, String name, Task task, URI baseUrl, String remoteModel, Optional<String> apiKey, int contextLength,
                      long pricePer1k, Duration timeout, int maxOutput) {
    Objects.requireNonNull(baseUrl, "baseUrl");
    if (!"http".equalsIgnoreCase(baseUrl.getScheme()) && !"https".equalsIgnoreCase(baseUrl.getScheme())) {
      throw new IllegalArgumentException("the server's URL must be http or https: " + baseUrl);
    }
    if (remoteModel == null || remoteModel.isEmpty()) {
      throw new IllegalArgumentException("the server's model id is required");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive");
    }
    this.offer = new ModelOffer(model, name, task, contextLength, pricePer1k, 0);
    String base = baseUrl.toString();
    this.baseUrl = URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
    this.remoteModel = remoteModel;
    this.apiKey = Objects.requireNonNull(apiKey, "apiKey");
    this.timeout = timeout;
    this.maxOutput = maxOutput;
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
  }

  @Override
  public ModelOffer offer() {
    return offer;
  }

  /** False: the server's output is not reproducible bit for bit (spec/compute.md §3.3). */
  @Override
  public boolean bitExact() {
    return false;
  }

  @Override
  public Usage run(JobRequest request, ChunkSink out, CancellationSignal cancel) throws InterruptedException {
    if (request.task() != offer.task()) {
      throw new JobRejectedException(Code.BAD_REQUEST, "this runtime serves " + offer.task() + ", not " + request.task());
    }
    Exchange exchange = new Exchange(cancel);
    try {
      if (offer.task() == Task.EMBEDDING) {
        return embed(request, out, exchange);
      }
      return generate(request, out, exchange);
    } finally {
      exchange.finish();
    }
  }

  private Usage generate(JobRequest request, ChunkSink out, Exchange exchange) throws InterruptedException {
    boolean chat = offer.task() == Task.CHAT;
    ObjectNode body = JSON.createObjectNode().put("model", remoteModel);
    if (chat) {
      ArrayNode messages = body.putArray("messages");
      for (ChatMessage m : LlamaRuntime.messages(request.input())) {
        messages.addObject().put("role", m.role()).put("content", m.content());
      }
    } else {
      body.put("prompt", new String(request.input(), StandardCharsets.UTF_8));
    }
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    Params p = request.params();
    if (p.maxTokens() > 0) {
      body.put("max_tokens", p.maxTokens());
    }
    body.put("temperature", p.temperature()); // a float node: written as Float.toString, "0.7" not "0.699999988…"
    body.put("top_p", p.topP());
    if (p.topK() > 0) {
      body.put("top_k", p.topK()); // not OpenAI's, but llama.cpp, vLLM and Ollama read it
    }
    body.put("seed", new BigInteger(Long.toUnsignedString(p.seed()))); // uint64 in the protocol
    if (!p.stop().isEmpty()) {
      ArrayNode stop = body.putArray("stop");
      p.stop().forEach(stop::add);
    }
    String path = chat ? "/chat/completions" : "/completions";
    HttpResponse<InputStream> response = exchange.send(path, body, "text/event-stream");
    String type = response.headers().firstValue("Content-Type").orElse("");
    if (!type.isEmpty() && !type.toLowerCase(Locale.ROOT).contains("text/event-stream")) {
      throw failure(path, "answered with " + type + ", not an event stream");
    }

    EventStream events = new EventStream(response.body());
    Usage usage = null;
    long contentEvents = 0;
    long written = 0;
    boolean finished = false;
    boolean done = false;
    try {
      byte[] line;
      while ((line = events.nextLine()) != null) {
        String data = dataOf(line);
        if (data == null) {
          continue; // a blank line, a comment or another field
        }
        if (data.equals("[DONE]")) {
          done = true;
          break;
        }
        JsonNode event = parse(path, data.getBytes(StandardCharsets.UTF_8));
        if (event.has("error")) {
          throw fromError(path, 500, event);
        }
        JsonNode choice = event.path("choices").path(0);
        JsonNode text = chat ? choice.path("delta").path("content") : choice.path("text");
        if (text.isTextual() && !text.textValue().isEmpty()) {
          byte[] bytes = text.textValue().getBytes(StandardCharsets.UTF_8);
          written += bytes.length;
          if (written > maxOutput) {
            throw failure(path, "sent more than " + maxOutput + " bytes of output");
          }
          contentEvents++;
          out.write(bytes);
        }
        if (choice.path("finish_reason").isTextual()) {
          finished = true;
        }
        Usage u = usageOf(event);
        if (u != null) {
          usage = u;
        }
      }
    } catch (IOException e) {
      throw exchange.failed(path, e);
    }
    exchange.throwIfAborted(path);
    if (!done && !finished) {
      throw failure(path, "ended its event stream before the end of the output");
    }
    return usage != null ? usage : new Usage(0, contentEvents);
  }

  private Usage embed(JobRequest request, ChunkSink out, Exchange exchange) throws InterruptedException {
    List<String> inputs = EmbeddingRuntime.parseInputs(request.input());
    ObjectNode body = JSON.createObjectNode().put("model", remoteModel).put("encoding_format", "float");
    ArrayNode input = body.putArray("input");
    inputs.forEach(input::add);
    String path = "/embeddings";
    HttpResponse<InputStream> response = exchange.send(path, body, "application/json");
    JsonNode answer;
    try (InputStream in = response.body()) {
      byte[] bytes = readAtMost(in, maxOutput, () -> failure(path, "answered with more than " + maxOutput + " bytes"));
      exchange.throwIfAborted(path);
      answer = parse(path, bytes);
    } catch (IOException e) {
      throw exchange.failed(path, e);
    }
    JsonNode data = answer.path("data");
    if (!data.isArray() || data.size() != inputs.size()) {
      throw failure(path, "answered " + (data.isArray() ? data.size() + " embeddings" : "no data") + " for " + inputs.size() + " inputs");
    }
    float[][] vectors = new float[inputs.size()][];
    for (int k = 0; k < data.size(); k++) {
      JsonNode item = data.get(k);
      int index = item.path("index").isInt() ? item.get("index").intValue() : k;
      JsonNode embedding = item.path("embedding");
      if (index < 0 || index >= vectors.length || vectors[index] != null || !embedding.isArray() || embedding.isEmpty()) {
        throw failure(path, "answered a malformed embedding list");
      }
      float[] v = new float[embedding.size()];
      for (int j = 0; j < v.length; j++) {
        JsonNode x = embedding.get(j);
        if (!x.isNumber() || !Float.isFinite(x.floatValue())) {
          throw failure(path, "answered an embedding with a component that is not a finite number");
        }
        v[j] = x.floatValue();
      }
      vectors[index] = v;
    }
    for (float[] v : vectors) {
      if (v.length != vectors[0].length) {
        throw failure(path, "answered embeddings of different lengths");
      }
    }
    Usage served = usageOf(answer);
    long tokens = served == null ? 0 : served.promptTokens();
    exchange.throwIfAborted(path);
    byte[] output = EmbeddingRuntime.format(vectors, tokens).getBytes(StandardCharsets.UTF_8);
    if (output.length > maxOutput) {
      throw failure(path, "answered embeddings longer than " + maxOutput + " bytes as output");
    }
    out.write(output);
    return new Usage(tokens, 0);
  }

  /** One job's HTTP exchange: sends, and aborts on cancellation or past the deadline. */
  private final class Exchange {
    private final CancellationSignal cancel;
    /** Completes true when the timeout passes, false when the job is over first. */
    private final CompletableFuture<Boolean> deadline = new CompletableFuture<>();
    private final AtomicReference<CompletableFuture<HttpResponse<InputStream>>> pending = new AtomicReference<>();
    private final AtomicReference<InputStream> body = new AtomicReference<>();
    private volatile boolean aborted;
    private volatile boolean timedOut;

    Exchange(CancellationSignal cancel) {
      this.cancel = cancel;
      // completeOnTimeout's timer is cancelled when the future completes, so finished jobs leave nothing scheduled.
      deadline.completeOnTimeout(true, timeout.toMillis(), TimeUnit.MILLISECONDS).thenAccept(expired -> {
        if (expired) {
          timedOut = true;
          abort();
        }
      });
      cancel.onCancel(this::abort);
    }

    HttpResponse<InputStream> send(String path, ObjectNode json, String accept) throws InterruptedException {
      byte[] bytes;
      try {
        bytes = JSON.writeValueAsBytes(json);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("a JSON tree always serializes", e);
      }
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
          .timeout(timeout)
          .header("Content-Type", "application/json")
          .header("Accept", accept)
          .POST(HttpRequest.BodyPublishers.ofByteArray(bytes));
      apiKey.ifPresent(key -> request.header("Authorization", "Bearer " + key));
      CompletableFuture<HttpResponse<InputStream>> future = http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      pending.set(future);
      if (aborted) {
        future.cancel(true);
      }
      HttpResponse<InputStream> response;
      try {
        response = future.get();
      } catch (CancellationException e) {
        throw stopped(path);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        throw failed(path, cause instanceof IOException io ? io : new IOException(String.valueOf(cause), cause));
      }
      body.set(response.body());
      if (aborted) {
        closeQuietly(response.body());
        throw stopped(path);
      }
      if (response.statusCode() / 100 != 2) {
        String error;
        try (InputStream in = response.body()) {
          error = new String(readAtMost(in, MAX_ERROR_BODY, () -> null), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw failed(path, e);
        }
        throw fromStatus(path, response.statusCode(), error);
      }
      return response;
    }

    /** What a broken exchange means: the job stopped (cancel, deadline) or the server failed. */
    RuntimeException failed(String path, IOException e) {
      if (aborted) {
        return stopped(path);
      }
      if (e instanceof HttpTimeoutException) {
        return new JobRejectedException(Code.TIMEOUT, "the server at " + baseUrl + " did not answer " + path + " within "
            + timeout.toMillis() + " ms");
      }
      String reason = e instanceof ConnectException
          ? "could not connect" + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")")
          : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      return new JobRejectedException(Code.INTERNAL, "the server at " + baseUrl + " failed on " + path + ": " + reason);
    }

    private RuntimeException stopped(String path) {
      if (cancel.isCancelled()) {
        return new CancellationException(cancel.reason());
      }
      if (timedOut) {
        return new JobRejectedException(Code.TIMEOUT, "the server at " + baseUrl + " did not finish " + path + " within "
            + timeout.toMillis() + " ms");
      }
      return new CancellationException("aborted");
    }

    /** Aborts the request in flight, or closes the body being read: either closes the connection, so the server stops. */
    void abort() {
      aborted = true;
      CompletableFuture<HttpResponse<InputStream>> future = pending.get();
      if (future != null) {
        future.cancel(true);
      }
      InputStream in = body.get();
      if (in != null) {
        closeQuietly(in);
      }
    }

    /** Throws what the job's end means if the exchange was aborted (a stream cut short may read as a plain end). */
    void throwIfAborted(String path) {
      if (aborted) {
        throw stopped(path);
      }
    }

    void finish() {
      deadline.complete(false);
      CompletableFuture<HttpResponse<InputStream>> future = pending.get();
      if (future != null) {
        future.cancel(true); // no-op once answered; stops the request if this thread was interrupted while waiting
      }
      InputStream in = body.get();
      if (in != null) {
        closeQuietly(in);
      }
    }
  }

  private JobRejectedException fromStatus(String path, int status, String body) {
    JsonNode json = null;
    try {
      json = JSON.readTree(body);
    } catch (IOException | RuntimeException e) {
      // not JSON: the raw text is the reason
    }
    return json != null && json.isObject() ? fromError(path, status, json) : fromError(path, status, body.strip());
  }

  /** An OpenAI-style error {@code {"error": {"message", "type", "code"}}} (or vLLM's, FastAPI's) as the protocol's refusal. */
  private JobRejectedException fromError(String path, int status, JsonNode json) {
    JsonNode error = json.path("error");
    String message = firstText(error.path("message"), error, json.path("message"), json.path("detail"));
    // OpenAI names it in error.code, llama.cpp in error.type.
    boolean contextExceeded = Stream.of(error.path("code"), error.path("type"), json.path("type"))
        .anyMatch(n -> n.isTextual() && CONTEXT_EXCEEDED.contains(n.textValue()));
    if (status == 400 && contextExceeded) {
      return new JobRejectedException(Code.TOO_LONG, message == null ? "input is longer than the context" : message);
    }
    return fromError(path, status, message == null ? json.toString() : message);
  }

  private JobRejectedException fromError(String path, int status, String message) {
    String reason = message.length() > 512 ? message.substring(0, 512) + "…" : message;
    switch (status) {
      case 400:
      case 422:
        return new JobRejectedException(Code.BAD_REQUEST, reason);
      case 404:
        return new JobRejectedException(Code.INTERNAL, "the server at " + baseUrl + " does not know model " + remoteModel
            + " (404 on " + path + ": " + reason + ")");
      case 413:
        return new JobRejectedException(Code.TOO_LONG, reason);
      case 429:
        return new JobRejectedException(Code.BUSY, "the server at " + baseUrl + " is busy: " + reason);
      default:
        return new JobRejectedException(Code.INTERNAL, "the server at " + baseUrl + " answered " + status + " on " + path + ": " + reason);
    }
  }

  private JobRejectedException failure(String path, String what) {
    return new JobRejectedException(Code.INTERNAL, "the server at " + baseUrl + " " + what + " (" + path + ")");
  }

  private JsonNode parse(String path, byte[] json) {
    try {
      JsonNode node = JSON.readTree(json);
      if (node == null || !node.isObject()) {
        throw failure(path, "sent JSON that is not an object");
      }
      return node;
    } catch (IOException e) {
      throw failure(path, "sent JSON that does not parse: " + e.getMessage());
    }
  }

  private static Usage usageOf(JsonNode event) {
    JsonNode usage = event.path("usage");
    if (!usage.isObject()) {
      return null;
    }
    long prompt = usage.path("prompt_tokens").asLong(0);
    long completion = usage.path("completion_tokens").asLong(0);
    return new Usage(Math.max(0, prompt), Math.max(0, completion));
  }

  /** The value of a {@code data:} line (one optional space after the colon), or null for any other line. */
  private static String dataOf(byte[] line) {
    if (line.length < 5 || line[0] != 'd' || line[1] != 'a' || line[2] != 't' || line[3] != 'a' || line[4] != ':') {
      return null;
    }
    int start = line.length > 5 && line[5] == ' ' ? 6 : 5;
    return new String(line, start, line.length - start, StandardCharsets.UTF_8);
  }

  private static String firstText(JsonNode... nodes) {
    for (JsonNode n : nodes) {
      if (n.isTextual() && !n.textValue().isEmpty()) {
        return n.textValue();
      }
      if (n.isNumber()) {
        return n.asText();
      }
    }
    return null;
  }

  private static byte[] readAtMost(InputStream in, int max, Supplier<RuntimeException> tooLong)
      throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    int n;
    while ((n = in.read(buf)) != -1) {
      int room = max - out.size();
      if (n > room) {
        out.write(buf, 0, room);
        RuntimeException e = tooLong.get();
        if (e != null) {
          throw e;
        }
        break; // keep the first max bytes
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException | RuntimeException ignored) {
      // closing only to abort
    }
  }

  /** The lines of a server-sent event stream (ended by LF, CRLF or CR), each at most {@link #MAX_EVENT_LINE} bytes. */
  private final class EventStream {
    private final InputStream in;
    private final byte[] buf = new byte[8192];
    private int pos;
    private int limit;
    private boolean afterCr;

    EventStream(InputStream in) {
      this.in = in;
    }

    /** The next line without its end, or null at the end of the stream. */
    byte[] nextLine() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      while (true) {
        if (pos == limit) {
          limit = in.read(buf);
          pos = 0;
          if (limit == -1) {
            limit = 0;
            return line.size() > 0 ? line.toByteArray() : null;
          }
        }
        int start = pos;
        if (afterCr && buf[pos] == '\n') {
          start = ++pos; // the LF of a CRLF
        }
        afterCr = false;
        while (pos < limit && buf[pos] != '\n' && buf[pos] != '\r') {
          pos++;
        }
        if (line.size() + (pos - start) > MAX_EVENT_LINE) {
          throw new JobRejectedException(Code.INTERNAL, "the server at " + baseUrl + " sent an event line longer than "
              + MAX_EVENT_LINE + " bytes");
        }
        line.write(buf, start, pos - start);
        if (pos < limit) {
          afterCr = buf[pos] == '\r';
          pos++;
          return line.toByteArray();
        }
      }
    }
  }
}
