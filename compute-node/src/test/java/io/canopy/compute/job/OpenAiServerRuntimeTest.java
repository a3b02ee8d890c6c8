package io.canopy.compute.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.canopy.compute.embed.EmbeddingResult;
import io.canopy.compute.embed.TextEmbedder;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.protocol.compute.ComputeMessage.Code;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link OpenAiServerRuntime} against a real HTTP server on 127.0.0.1 that answers as llama.cpp's
 * server and OpenAI do (server-sent events, a usage chunk, {@code [DONE]}), and end to end through
 * {@code /canopy/compute/1.0.0}: its receipts say {@code exact = false}, the built-in runtimes'
 * say true.
 */
class OpenAiServerRuntimeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Cid MODEL = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "remote".getBytes(StandardCharsets.UTF_8));
  private static final String CHAT_INPUT =
      "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}]}";

  private final List<AutoCloseable> closeAtEnd = new ArrayList<>();
  private final BlockingQueue<Recorded> requests = new LinkedBlockingQueue<>();
  private volatile HttpHandler reply = ex -> ex.sendResponseHeaders(500, -1);
  private HttpServer server;
  private ExecutorService serverThreads;

  /** A request the server received. */
  private record Recorded(String path, Headers headers, JsonNode body) {}

  @BeforeEach
  void startServer() throws IOException {
    serverThreads = Executors.newCachedThreadPool();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(serverThreads);
    server.createContext("/", ex -> {
      try {
        requests.add(new Recorded(ex.getRequestURI().getPath(), ex.getRequestHeaders(), JSON.readTree(ex.getRequestBody().readAllBytes())));
        reply.handle(ex);
      } finally {
        ex.close();
      }
    });
    server.start();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closeAtEnd.size() - 1; i >= 0; i--) {
      closeAtEnd.get(i).close();
    }
    server.stop(0);
    serverThreads.shutdownNow();
  }

  private URI baseUrl() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
  }

  private OpenAiServerRuntime runtime(Task task) {
    return runtime(task, baseUrl(), Duration.ofSeconds(20));
  }

  private static OpenAiServerRuntime runtime(Task task, URI url, Duration timeout) {
    return new OpenAiServerRuntime(MODEL, "remote", task, url, "remote-model", Optional.of("sk-test"), 4096, 3, timeout);
  }

  private static JobRequest job(Task task, String input, Params params) {
    return new JobRequest("j", MODEL, task, input.getBytes(StandardCharsets.UTF_8), params);
  }

  // ---- what the server sends ----

  private static String chatChunk(String content, String finishReason) {
    ObjectNode chunk = JSON.createObjectNode().put("id", "chatcmpl-1").put("object", "chat.completion.chunk").put("model", "remote-model");
    ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
    ObjectNode delta = choice.putObject("delta");
    if (content != null) {
      delta.put("content", content);
    } else {
      delta.put("role", "assistant");
    }
    if (finishReason != null) {
      choice.put("finish_reason", finishReason);
    } else {
      choice.putNull("finish_reason");
    }
    return chunk.toString();
  }

  private static String completionChunk(String text) {
    ObjectNode chunk = JSON.createObjectNode().put("id", "cmpl-1").put("object", "text_completion");
    chunk.putArray("choices").addObject().put("index", 0).put("text", text).putNull("finish_reason");
    return chunk.toString();
  }

  private static String usageChunk(long prompt, long completion) {
    ObjectNode chunk = JSON.createObjectNode().put("id", "chatcmpl-1").put("object", "chat.completion.chunk");
    chunk.putArray("choices");
    chunk.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion).put("total_tokens", prompt + completion);
    return chunk.toString();
  }

  /** Answers 200 with {@code text/event-stream} and exactly {@code raw}. */
  private static HttpHandler sse(String raw) {
    return ex -> {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(raw.getBytes(StandardCharsets.UTF_8));
      }
    };
  }

  private static String events(String lineEnd, String... data) {
    StringBuilder sb = new StringBuilder();
    for (String d : data) {
      sb.append("data: ").append(d).append(lineEnd).append(lineEnd);
    }
    return sb.toString();
  }

  private static HttpHandler status(int code, String body) {
    return ex -> {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(code, bytes.length);
      ex.getResponseBody().write(bytes);
    };
  }

  // ---- the runtime alone ----

  @Test
  void chatIsStreamedPieceByPieceWithTheServersUsage() throws Exception {
    List<String> pieces = List.of("Hel", "lo", ", wörld ", "🌳", "!");
    List<String> data = new ArrayList<>();
    data.add(chatChunk(null, null)); // the role-only first delta llama.cpp and OpenAI send
    pieces.forEach(p -> data.add(chatChunk(p, null)));
    data.add(chatChunk(null, "stop"));
    data.add(usageChunk(12, 5));
    data.add("[DONE]");
    reply = sse(": a comment, then an unrelated field\nevent: message\n\n" + events("\n", data.toArray(String[]::new)));

    List<byte[]> chunks = Collections.synchronizedList(new ArrayList<>());
    Usage usage = runtime(Task.CHAT).run(job(Task.CHAT, CHAT_INPUT, new Params(16, 0.7f, 0.95f, 20, -3, List.of("</s>", "\n\n"))),
        chunks::add, new CancellationSignal());

    assertThat(chunks).hasSize(pieces.size());
    for (int i = 0; i < pieces.size(); i++) {
      assertThat(new String(chunks.get(i), StandardCharsets.UTF_8)).isEqualTo(pieces.get(i));
    }
    assertThat(usage).isEqualTo(new Usage(12, 5));

    Recorded r = requests.poll(5, TimeUnit.SECONDS);
    assertThat(r.path()).isEqualTo("/v1/chat/completions");
    assertThat(r.headers().getFirst("Authorization")).isEqualTo("Bearer sk-test");
    assertThat(r.headers().getFirst("Content-Type")).isEqualTo("application/json");
    JsonNode body = r.body();
    assertThat(body.path("model").asText()).isEqualTo("remote-model");
    assertThat(body.path("messages")).isEqualTo(JSON.readTree(CHAT_INPUT).path("messages"));
    assertThat(body.path("stream").asBoolean()).isTrue();
    assertThat(body.path("stream_options").path("include_usage").asBoolean()).isTrue();
    assertThat(body.path("max_tokens").asInt()).isEqualTo(16);
    assertThat(body.path("temperature").toString()).isEqualTo("0.7");
    assertThat(body.path("top_p").toString()).isEqualTo("0.95");
    assertThat(body.path("top_k").asInt()).isEqualTo(20);
    assertThat(body.path("seed").toString()).isEqualTo(Long.toUnsignedString(-3)); // uint64, as the protocol has it
    assertThat(body.path("stop")).isEqualTo(JSON.readTree("[\"</s>\", \"\\n\\n\"]"));
  }

  @Test
  void completionStreamsTextAndCountsEventsWhenTheServerSendsNoUsage() throws Exception {
    // CRLF line ends, and no usage chunk.
    reply = sse(events("\r\n", completionChunk("Once"), completionChunk(" upon"), completionChunk(""), completionChunk(" a time"), "[DONE]"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Usage usage = runtime(Task.COMPLETION).run(job(Task.COMPLETION, "Tell me: ", Params.DEFAULT), out::writeBytes, new CancellationSignal());

    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("Once upon a time");
    assertThat(usage).isEqualTo(new Usage(0, 3)); // one completion token per content event
    JsonNode body = requests.poll(5, TimeUnit.SECONDS).body();
    assertThat(body.path("prompt").asText()).isEqualTo("Tell me: ");
    assertThat(body.has("messages")).isFalse();
    assertThat(body.has("max_tokens")).as("0 = the server's default").isFalse();
    assertThat(body.has("top_k")).as("0 = off").isFalse();
    assertThat(body.has("stop")).isFalse();
    assertThat(body.path("temperature").toString()).isEqualTo("0.0");
    assertThat(body.path("seed").asLong()).isZero();
  }

  @Test
  void embeddingsAreWrittenInTheBuiltInRuntimesFormat() throws Exception {
    float[][] vectors = {{0.25f, -1.5f, 3.0e-7f}, {0.1f, 0.2f, -0.333f}};
    ObjectNode answer = JSON.createObjectNode().put("object", "list").put("model", "remote-model");
    ArrayNode data = answer.putArray("data");
    for (int i = vectors.length - 1; i >= 0; i--) { // out of order: the index decides
      ArrayNode embedding = data.addObject().put("object", "embedding").put("index", i).putArray("embedding");
      for (float x : vectors[i]) {
        embedding.add(x);
      }
    }
    answer.putObject("usage").put("prompt_tokens", 7).put("total_tokens", 7);
    reply = status(200, answer.toString());

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Usage usage = runtime(Task.EMBEDDING).run(job(Task.EMBEDDING, "{\"input\": [\"one\", \"two\"]}", Params.DEFAULT), out::writeBytes,
        new CancellationSignal());

    String expected = EmbeddingRuntime.format(new EmbeddingResult(vectors, new int[] {3, 4}, new boolean[2]));
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
    assertThat(usage).isEqualTo(new Usage(7, 0));
    Recorded r = requests.poll(5, TimeUnit.SECONDS);
    assertThat(r.path()).isEqualTo("/v1/embeddings");
    assertThat(r.body().path("model").asText()).isEqualTo("remote-model");
    assertThat(r.body().path("input")).isEqualTo(JSON.readTree("[\"one\", \"two\"]"));

    // Fewer vectors than inputs is the server's fault.
    data.remove(0);
    reply = status(200, answer.toString());
    assertThat(rejection(runtime(Task.EMBEDDING), job(Task.EMBEDDING, "{\"input\": [\"one\", \"two\"]}", Params.DEFAULT)).code())
        .isEqualTo(Code.INTERNAL);
  }

  @Test
  void serverFailuresMapToTheProtocolsCodes() throws Exception {
    JobRequest chat = job(Task.CHAT, CHAT_INPUT, Params.DEFAULT);
    OpenAiServerRuntime runtime = runtime(Task.CHAT);

    reply = status(400, "{\"error\":{\"code\":400,\"message\":\"temperature is out of range\",\"type\":\"invalid_request_error\"}}");
    JobRejectedException bad = rejection(runtime, chat);
    assertThat(bad.code()).isEqualTo(Code.BAD_REQUEST);
    assertThat(bad.reason()).isEqualTo("temperature is out of range");

    reply = status(400, "{\"error\":{\"code\":400,\"message\":\"the request exceeds the available context size\","
        + "\"type\":\"exceed_context_size_error\"}}");
    assertThat(rejection(runtime, chat).code()).isEqualTo(Code.TOO_LONG);

    reply = status(500, "{\"error\":{\"code\":500,\"message\":\"CUDA out of memory\",\"type\":\"server_error\"}}");
    JobRejectedException internal = rejection(runtime, chat);
    assertThat(internal.code()).isEqualTo(Code.INTERNAL);
    assertThat(internal.reason()).contains(baseUrl().toString(), "500", "CUDA out of memory");

    reply = status(429, "{\"error\":{\"message\":\"too many requests\"}}");
    assertThat(rejection(runtime, chat).code()).isEqualTo(Code.BUSY);

    reply = status(404, "{\"error\":{\"message\":\"model 'remote-model' not found\"}}");
    JobRejectedException unknown = rejection(runtime, chat);
    assertThat(unknown.code()).isEqualTo(Code.INTERNAL);
    assertThat(unknown.reason()).contains("does not know model remote-model");

    // An error event in the middle of the stream, after some output.
    reply = sse(events("\n", chatChunk("partial", null), "{\"error\":{\"code\":500,\"message\":\"slot crashed\"}}"));
    assertThat(rejection(runtime, chat).reason()).contains("slot crashed");

    // A stream that just ends: the output may be cut short, so no receipt.
    reply = sse(events("\n", chatChunk("partial", null)));
    assertThat(rejection(runtime, chat).reason()).contains("ended its event stream");

    // A job the input format does not allow never reaches the server.
    requests.clear();
    assertThat(rejection(runtime, job(Task.CHAT, "{\"messages\": 3}", Params.DEFAULT)).code()).isEqualTo(Code.BAD_REQUEST);
    assertThat(requests).isEmpty();

    // Nobody listening.
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    URI nowhere = URI.create("http://127.0.0.1:" + port + "/v1");
    JobRejectedException refused = rejection(runtime(Task.CHAT, nowhere, Duration.ofSeconds(10)), chat);
    assertThat(refused.code()).isEqualTo(Code.INTERNAL);
    assertThat(refused.reason()).contains(nowhere.toString());
  }

  @Test
  void anEventLineOverTheLimitIsRefused() {
    reply = sse("data: " + "x".repeat(OpenAiServerRuntime.MAX_EVENT_LINE) + "\n\n" + events("\n", "[DONE]"));
    JobRejectedException e = rejection(runtime(Task.CHAT), job(Task.CHAT, CHAT_INPUT, Params.DEFAULT));
    assertThat(e.code()).isEqualTo(Code.INTERNAL);
    assertThat(e.reason()).contains("longer than " + OpenAiServerRuntime.MAX_EVENT_LINE);
  }

  @Test
  void aServerThatStallsPastTheTimeoutIsCutOff() {
    CountDownLatch hold = new CountDownLatch(1);
    reply = ex -> {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      out.write(events("\n", chatChunk("slow", null)).getBytes(StandardCharsets.UTF_8));
      out.flush();
      try {
        hold.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    closeAtEnd.add(hold::countDown);
    long start = System.nanoTime();
    JobRejectedException e = rejection(runtime(Task.CHAT, baseUrl(), Duration.ofMillis(500)), job(Task.CHAT, CHAT_INPUT, Params.DEFAULT));
    assertThat(e.code()).isEqualTo(Code.TIMEOUT);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void cancellingAbortsTheRequestAndTheServerSeesTheConnectionClose() throws Exception {
    CountDownLatch serverSawClose = new CountDownLatch(1);
    reply = ex -> {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream");
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      byte[] tick = events("\n", chatChunk("tick ", null)).getBytes(StandardCharsets.UTF_8);
      try {
        for (int i = 0; i < 100_000; i++) { // endless, for this test
          out.write(tick);
          out.flush();
          Thread.sleep(5);
        }
      } catch (IOException e) {
        serverSawClose.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    OpenAiServerRuntime runtime = runtime(Task.CHAT);
    CancellationSignal cancel = new CancellationSignal();
    CountDownLatch firstChunk = new CountDownLatch(3);
    ExecutorService jobThread = Executors.newSingleThreadExecutor();
    closeAtEnd.add(jobThread::shutdownNow);
    // The sink does not throw on cancellation: the runtime itself must notice.
    Future<Usage> run = jobThread.submit(() -> runtime.run(job(Task.CHAT, CHAT_INPUT, Params.DEFAULT), b -> firstChunk.countDown(), cancel));
    assertThat(firstChunk.await(20, TimeUnit.SECONDS)).isTrue();

    cancel.cancel("the client went away");
    Throwable t = catchThrowable(() -> run.get(5, TimeUnit.SECONDS));
    assertThat(t).isInstanceOf(ExecutionException.class);
    assertThat(t.getCause()).isInstanceOf(CancellationException.class).hasMessage("the client went away");
    assertThat(serverSawClose.await(10, TimeUnit.SECONDS)).as("the server's writes fail once the connection is closed").isTrue();
  }

  private static JobRejectedException rejection(OpenAiServerRuntime runtime, JobRequest request) {
    Throwable t = catchThrowable(() -> runtime.run(request, b -> {}, new CancellationSignal()));
    assertThat(t).isInstanceOf(JobRejectedException.class);
    return (JobRejectedException) t;
  }

  // ---- end to end over libp2p ----

  /** A fixed embedder, for the built-in embedding runtime's receipt. */
  private static final class FixedEmbedder implements TextEmbedder {
    @Override
    public int dimension() {
      return 2;
    }

    @Override
    public int maxTokens() {
      return 64;
    }

    @Override
    public EmbeddingResult embedWithUsage(List<String> texts) {
      float[][] v = new float[texts.size()][];
      int[] tokens = new int[texts.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = new float[] {i, texts.get(i).length()};
        tokens[i] = texts.get(i).length();
      }
      return new EmbeddingResult(v, tokens, new boolean[texts.size()]);
    }

    @Override
    public void close() {}
  }

  @Test
  void endToEndTheServersReceiptsSayNotExactAndTheBuiltInRuntimesSayExact() throws Exception {
    reply = sse(events("\n", chatChunk(null, null), chatChunk("Hi ", null), chatChunk("there.", "stop"), usageChunk(9, 2), "[DONE]"));
    Cid embedModel = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "fixed-embedder".getBytes(StandardCharsets.UTF_8));
    Cid llamaModel = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "tiny-f32".getBytes(StandardCharsets.UTF_8));
    LlamaModel tiny = LlamaModel.load(Path.of("src", "test", "resources", "llm", "tiny-f32.gguf"));
    closeAtEnd.add(tiny);

    Ed25519PrivateKey key = Ed25519PrivateKey.generate(new SecureRandom());
    Host node = host(key);
    Host client = host(Ed25519PrivateKey.generate(new SecureRandom()));
    ComputeProvider provider = new ComputeProvider(key, List.of(runtime(Task.CHAT),
        new EmbeddingRuntime(embedModel, "fixed", new FixedEmbedder(), 1),
        new LlamaRuntime(llamaModel, "tiny", Task.COMPLETION, tiny, 1)),
        ComputeConfig.DEFAULT, Clock.systemUTC(), () -> 4).register(node);
    closeAtEnd.add(provider);
    client.connect(node.listenAddrs().get(0).withPeerId(node.peerId())).get(30, TimeUnit.SECONDS);
    ComputeClient compute = new ComputeClient(client);

    JobRequest chat = job(Task.CHAT, CHAT_INPUT, new Params(8, 0f, 1f, 0, 42, List.of()));
    JobResult remote = compute.submit(node.peerId(), chat, c -> {}, Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS);
    assertThat(new String(remote.output(), StandardCharsets.UTF_8)).isEqualTo("Hi there.");
    Receipt receipt = remote.receipt();
    assertThat(receipt.exact()).isFalse();
    assertThat(receipt.verify()).isTrue();
    assertThat(receipt.usage()).isEqualTo(new Usage(9, 2));
    assertThat(receipt.epoch()).isEqualTo(4);
    assertThat(Receipt.decode(receipt.encode()).exact()).isFalse();

    JobRequest embed = new JobRequest("e", embedModel, Task.EMBEDDING, "{\"input\": \"abc\"}".getBytes(StandardCharsets.UTF_8),
        Params.DEFAULT);
    Receipt embedded = compute.submit(node.peerId(), embed, c -> {}, Duration.ofSeconds(30)).get(30, TimeUnit.SECONDS).receipt();
    assertThat(embedded.exact()).isTrue();
    assertThat(embedded.verify()).isTrue();

    JobRequest complete = new JobRequest("c", llamaModel, Task.COMPLETION, "Hello".getBytes(StandardCharsets.UTF_8),
        new Params(3, 0f, 1f, 0, 0, List.of()));
    Receipt completed = compute.submit(node.peerId(), complete, c -> {}, Duration.ofSeconds(60)).get(60, TimeUnit.SECONDS).receipt();
    assertThat(completed.exact()).isTrue();
    assertThat(completed.verify()).isTrue();
  }

  private Host host(Ed25519PrivateKey key) throws InterruptedException {
    Host h = new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    closeAtEnd.add(h);
    return h;
  }
}
