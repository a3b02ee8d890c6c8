package io.canopy.gateway.openai;

import static io.canopy.gateway.openai.OpenAiGenerationErrorsTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.Gateway.OpenAiFace;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Task;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How streamed (and long) generations meet the network: backend refusals still answered as JSON
 * errors with their status, a failure after the stream started sent as an error event, a client
 * that leaves stopping the generation, and a client that stops reading holding it back. The
 * backend is scripted per model id, so each behaviour is exact.
 */
class OpenAiStreamingTest {
  private static final String KEY = "sk-canopy-test-key-0123456789";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Pieces the "flood" model would produce if nothing held it back: 64 MiB of text. */
  private static final int FLOOD_PIECES = 64 * 1024;
  private static final String KIB = "x".repeat(1023) + " ";

  /** Set per test: the generation started, and its sink threw CancellationException. */
  private static volatile CountDownLatch started;
  private static volatile CountDownLatch cancelled;
  private static final AtomicLong emitted = new AtomicLong();

  /**
   * "busy" and "offline" refuse; "fails-midway" sends one piece then loses its node; "slow" sends
   * a piece every 20 ms for ten seconds; "flood" sends 1 KiB pieces as fast as it is let.
   */
  private static final InferenceBackend BACKEND = new InferenceBackend() {
    @Override
    public List<ModelInfo> models() {
      Set<Task> both = Set.of(Task.CHAT, Task.COMPLETION);
      return List.of(new ModelInfo("busy", 1, "canopy", both, 0), new ModelInfo("offline", 1, "canopy", both, 0),
          new ModelInfo("fails-midway", 1, "canopy", both, 0), new ModelInfo("slow", 1, "canopy", both, 0),
          new ModelInfo("flood", 1, "canopy", both, 0));
    }

    @Override
    public Embeddings embed(String account, String model, List<String> inputs) {
      throw new InferenceException.UnknownModel(model);
    }

    @Override
    public Generated generate(String account, String model, Prompt prompt, Params params, TextSink sink) {
      switch (model) {
        case "busy":
          throw new InferenceException.Busy("Model busy is at capacity.");
        case "offline":
          throw new InferenceException.Unavailable("No node serves offline right now.");
        case "fails-midway":
          sink.text("partial");
          throw new InferenceException.Unavailable("The node serving fails-midway went away.");
        case "slow":
          return emit(sink, "tick ", 500, 20);
        case "flood":
          return emit(sink, KIB, FLOOD_PIECES, 0);
        default:
          throw new InferenceException.UnknownModel(model);
      }
    }

    private Generated emit(TextSink sink, String piece, int count, long pauseMillis) {
      started.countDown();
      try {
        for (int i = 0; i < count; i++) {
          sink.text(piece);
          emitted.incrementAndGet();
          if (pauseMillis > 0) {
            Thread.sleep(pauseMillis);
          }
        }
      } catch (CancellationException e) {
        cancelled.countDown();
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InferenceException.Unavailable("interrupted");
      }
      return new Generated(piece.repeat(count), 1, count, "length");
    }
  };

  private static Gateway gateway;
  private static URI base;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    gateway = Gateway.start(null, null, null, new OpenAiFace(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), BACKEND, ApiKeys.of(Map.of(KEY, "alice"))));
    base = gateway.urls().get("openai");
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
  }

  @BeforeEach
  void reset() {
    started = new CountDownLatch(1);
    cancelled = new CountDownLatch(1);
    emitted.set(0);
  }

  private static String chatBody(String model, boolean stream) {
    return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":" + stream + "}";
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(base.resolve(path))
        .header("Authorization", "Bearer " + KEY)
        .header("Content-Type", "application/json")
        .POST(BodyPublishers.ofString(body)).build(), BodyHandlers.ofString());
  }

  /** Opens a raw connection and sends a chat request on it, with a small receive buffer. */
  private static Socket sendRaw(String body) throws IOException {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
    socket.setSoTimeout(10_000);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    OutputStream out = socket.getOutputStream();
    out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: " + base.getHost() + "\r\nAuthorization: Bearer " + KEY
        + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.flush();
    return socket;
  }

  /** Reads until {@code marker} has arrived; returns what was read. */
  private static String readUntil(InputStream in, String marker) throws IOException {
    StringBuilder seen = new StringBuilder();
    byte[] buf = new byte[1024];
    while (seen.indexOf(marker) < 0) {
      int n = in.read(buf);
      if (n < 0) {
        throw new IOException("connection closed before '" + marker + "'; got: " + seen);
      }
      seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
    return seen.toString();
  }

  @Test
  void aBusyBackendIs429EvenWhenStreaming() throws Exception {
    assertError(post("/v1/chat/completions", chatBody("busy", true)), 429, null, "rate_limit_exceeded");
    assertError(post("/v1/completions", "{\"model\":\"busy\",\"prompt\":\"hi\",\"stream\":true}"), 429, null,
        "rate_limit_exceeded");
  }

  @Test
  void anUnservedModelIs503EvenWhenStreaming() throws Exception {
    assertError(post("/v1/chat/completions", chatBody("offline", true)), 503, null, "model_unavailable");
    assertError(post("/v1/completions", "{\"model\":\"offline\",\"prompt\":\"hi\",\"stream\":true}"), 503, null,
        "model_unavailable");
  }

  @Test
  void aFailureAfterTheStreamStartedIsAnErrorEventWithoutDone() throws Exception {
    HttpResponse<String> res = post("/v1/chat/completions", chatBody("fails-midway", true));
    assertThat(res.statusCode()).isEqualTo(200);
    String[] events = res.body().split("\n\n");
    assertThat(res.body()).endsWith("\n\n").doesNotContain("[DONE]");
    assertThat(events).hasSize(3);
    assertThat(JSON.readTree(events[0].substring(6)).at("/choices/0/delta/role").textValue()).isEqualTo("assistant");
    assertThat(JSON.readTree(events[1].substring(6)).at("/choices/0/delta/content").textValue()).isEqualTo("partial");
    JsonNode error = JSON.readTree(events[2].substring(6));
    assertThat(OpenAiGenerationErrorsTest.fieldNames(error)).containsExactly("error");
    assertThat(error.at("/error/code").textValue()).isEqualTo("model_unavailable");
    assertThat(error.at("/error/type").textValue()).isEqualTo("server_error");
  }

  @Test
  void aClientThatLeavesMidStreamCancelsTheGeneration() throws Exception {
    try (Socket socket = sendRaw(chatBody("slow", true))) {
      String head = readUntil(socket.getInputStream(), "tick");
      assertThat(head).startsWith("HTTP/1.1 200").contains("text/event-stream");
    }
    assertThat(cancelled.await(5, TimeUnit.SECONDS)).as("the backend's sink threw CancellationException").isTrue();
    assertThat(emitted.get()).isLessThan(500);
  }

  @Test
  void aClientThatLeavesBeforeAWholeReplyCancelsTheGeneration() throws Exception {
    try (Socket socket = sendRaw(chatBody("slow", false))) {
      assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(cancelled.await(5, TimeUnit.SECONDS)).as("the backend's sink threw CancellationException").isTrue();
    assertThat(emitted.get()).isLessThan(500);
  }

  @Test
  void aClientThatStopsReadingHoldsTheGenerationBack() throws Exception {
    try (Socket socket = sendRaw(chatBody("flood", true))) {
      readUntil(socket.getInputStream(), "xxx");
      // Read nothing more: once the socket buffers and one write queue are full, the backend must wait.
      long last = -1;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        Thread.sleep(300);
        long now = emitted.get();
        if (now == last) {
          break;
        }
        last = now;
      }
      assertThat(emitted.get()).as("pieces emitted while the client read nothing").isEqualTo(last)
          .isLessThan(FLOOD_PIECES / 4);
      assertThat(cancelled.getCount()).isEqualTo(1);
    }
    assertThat(cancelled.await(5, TimeUnit.SECONDS)).as("the stalled generation is cancelled when the client leaves")
        .isTrue();
  }
}
