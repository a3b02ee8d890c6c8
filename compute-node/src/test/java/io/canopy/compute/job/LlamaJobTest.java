package io.canopy.compute.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Completion and chat jobs on the built-in engine over {@code /canopy/compute/1.0.0}: the text
 * llama.cpp generates for the same model and prompt, a receipt a validator's re-run matches, and
 * refusals with the right codes.
 */
class LlamaJobTest {
  private static final Path MODEL_FILE = Path.of("src", "test", "resources", "llm", "tiny-f32.gguf");
  private static final Cid MODEL = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "tiny-f32".getBytes(StandardCharsets.UTF_8));
  private static final ObjectMapper JSON = new ObjectMapper();

  private static LlamaModel model;
  private static Host node;
  private static Host client;
  private static ComputeProvider provider;

  @BeforeAll
  static void start() throws Exception {
    model = LlamaModel.load(MODEL_FILE);
    Ed25519PrivateKey key = Ed25519PrivateKey.generate(new SecureRandom());
    node = new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    client = new Host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom()))
        .listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    provider = new ComputeProvider(key, List.of(new LlamaRuntime(MODEL, "tiny", Task.COMPLETION, model, 1)),
        ComputeConfig.DEFAULT.withSlots(1, 2), Clock.systemUTC(), () -> 0).register(node);
    client.connect(node.listenAddrs().get(0).withPeerId(node.peerId())).get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (provider != null) {
      provider.close();
    }
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
    if (model != null) {
      model.close();
    }
  }

  private static JsonNode llamaCppCase(String name) throws Exception {
    for (JsonNode c : JSON.readTree(MODEL_FILE.resolveSibling("tiny-f32.vectors.json").toFile()).path("cases")) {
      if (c.path("name").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no case " + name);
  }

  private static Params greedy(int maxTokens) {
    return new Params(maxTokens, 0f, 1f, 0, 0, List.of());
  }

  @Test
  void aCompletionOverTheNetworkIsLlamaCppsTextWithAReceiptARerunMatches() throws Exception {
    JsonNode english = llamaCppCase("english");
    JobRequest request = new JobRequest("c1", MODEL, Task.COMPLETION,
        english.path("prompt").asText().getBytes(StandardCharsets.UTF_8), greedy(32));
    ByteArrayOutputStream streamed = new ByteArrayOutputStream();
    JobResult result = new ComputeClient(client).submit(node.peerId(), request, streamed::writeBytes, Duration.ofSeconds(60))
        .get(60, TimeUnit.SECONDS);

    assertThat(new String(result.output(), StandardCharsets.UTF_8)).isEqualTo(english.path("completion_text").asText());
    assertThat(streamed.toByteArray()).isEqualTo(result.output());
    Receipt receipt = result.receipt();
    assertThat(receipt.verify()).isTrue();
    assertThat(receipt.usage().promptTokens()).isEqualTo(english.path("prompt_tokens").size());
    assertThat(receipt.usage().completionTokens()).isEqualTo(32);

    // A validator re-runs the job on its own engine: the same bytes, so the same hash.
    ByteArrayOutputStream rerun = new ByteArrayOutputStream();
    new LlamaRuntime(MODEL, "tiny", Task.COMPLETION, model, 1).run(request, rerun::writeBytes, new CancellationSignal());
    assertThat(Receipt.sha256(rerun.toByteArray())).isEqualTo(receipt.outputHash());
  }

  @Test
  void seededSamplingIsReproducibleAndChatTakesMessages() {
    LlamaRuntime completion = new LlamaRuntime(MODEL, "tiny", Task.COMPLETION, model, 1);
    Params sampled = new Params(20, 0.8f, 0.9f, 40, 1234, List.of());
    JobRequest job = new JobRequest("s", MODEL, Task.COMPLETION, "Once upon".getBytes(StandardCharsets.UTF_8), sampled);
    ByteArrayOutputStream a = new ByteArrayOutputStream();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    completion.run(job, a::writeBytes, new CancellationSignal());
    completion.run(job, b::writeBytes, new CancellationSignal());
    assertThat(a.toByteArray()).isNotEmpty().isEqualTo(b.toByteArray());

    LlamaRuntime chat = new LlamaRuntime(MODEL, "tiny", Task.CHAT, model, 1);
    ByteArrayOutputStream reply = new ByteArrayOutputStream();
    var usage = chat.run(new JobRequest("chat", MODEL, Task.CHAT,
        "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}]}"
            .getBytes(StandardCharsets.UTF_8), greedy(8)), reply::writeBytes, new CancellationSignal());
    assertThat(usage.completionTokens()).isBetween(1L, 8L);
    assertThat(usage.promptTokens()).isGreaterThan(5);
    assertThatThrownBy(() -> chat.run(new JobRequest("bad", MODEL, Task.CHAT,
        "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}".getBytes(StandardCharsets.UTF_8), greedy(8)), x -> {}, new CancellationSignal()))
        .isInstanceOfSatisfying(JobRejectedException.class, e -> assertThat(e.code()).isEqualTo(Code.BAD_REQUEST));
  }

  @Test
  void tooLongPromptsAndCancelledJobs() {
    LlamaRuntime completion = new LlamaRuntime(MODEL, "tiny", Task.COMPLETION, model, 1);
    byte[] tooLong = "word ".repeat(model.config().contextLength() + 10).getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> completion.run(new JobRequest("l", MODEL, Task.COMPLETION, tooLong, greedy(4)), x -> {},
        new CancellationSignal()))
        .isInstanceOfSatisfying(JobRejectedException.class, e -> assertThat(e.code()).isEqualTo(Code.TOO_LONG));

    CancellationSignal cancel = new CancellationSignal();
    int[] writes = {0};
    Throwable stopped = catchThrowable(() -> completion.run(new JobRequest("x", MODEL, Task.COMPLETION,
        "The".getBytes(StandardCharsets.UTF_8), greedy(200)), bytes -> {
          if (++writes[0] == 3) {
            cancel.cancel("the client went away");
          }
        }, cancel));
    assertThat(stopped).isInstanceOf(CancellationException.class);
    assertThat(writes[0]).isLessThan(10);
  }
}
