package io.canopy.compute.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.compute.embed.OnnxEmbedder;
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
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real all-MiniLM-L6-v2 embedder served over {@code /canopy/compute/1.0.0} between two hosts. */
class EmbeddingJobTest {
  private static final Cid MODEL = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "all-MiniLM-L6-v2".getBytes(StandardCharsets.UTF_8));
  private static final ObjectMapper JSON = new ObjectMapper();

  private static OnnxEmbedder embedder;
  private static Host node;
  private static Host client;
  private static ComputeProvider provider;

  @BeforeAll
  static void start() throws Exception {
    embedder = OnnxEmbedder.allMiniLmL6V2();
    Ed25519PrivateKey key = Ed25519PrivateKey.generate(new SecureRandom());
    node = new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    client = new Host(HostConfig.builder(Ed25519PrivateKey.generate(new SecureRandom()))
        .listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    provider = new ComputeProvider(key, List.of(new EmbeddingRuntime(MODEL, "all-MiniLM-L6-v2", embedder, 1)),
        ComputeConfig.DEFAULT.withSlots(2, 2), Clock.systemUTC(), () -> 0).register(node);
    client.connect(node.listenAddrs().get(0).withPeerId(node.peerId())).get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    if (provider != null) {
      provider.close();
    }
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
    if (embedder != null) {
      embedder.close();
    }
  }

  private static JobRequest embed(String id, String json) {
    return new JobRequest(id, MODEL, Task.EMBEDDING, json.getBytes(StandardCharsets.UTF_8), Params.DEFAULT);
  }

  @Test
  void embeddingsEndToEndWithAVerifiedReceipt() throws Exception {
    JobRequest request = embed("e1", "{\"input\": [\"The cat sits on the mat.\", \"Canopy stores and computes.\"]}");
    JobResult result = new ComputeClient(client).submit(node.peerId(), request, c -> {}, Duration.ofSeconds(60)).get(60, TimeUnit.SECONDS);

    JsonNode out = JSON.readTree(result.output());
    assertThat(out.get("data")).hasSize(2);
    assertThat(out.get("data").get(1).get("index").asInt()).isEqualTo(1);
    assertThat(out.get("data").get(0).get("embedding")).hasSize(embedder.dimension());
    long tokens = out.get("usage").get("prompt_tokens").asLong();
    assertThat(tokens).isPositive();

    Receipt receipt = result.receipt();
    assertThat(receipt.verify()).isTrue();
    assertThat(receipt.usage().promptTokens()).isEqualTo(tokens);
    assertThat(receipt.usage().completionTokens()).isZero();
    assertThat(receipt.outputHash()).isEqualTo(Receipt.sha256(result.output()));

    // What a validator does: re-run the job locally and compare the output hash.
    ByteArrayOutputStream rerun = new ByteArrayOutputStream();
    new EmbeddingRuntime(MODEL, "all-MiniLM-L6-v2", embedder, 1).run(request, rerun::writeBytes, new CancellationSignal());
    assertThat(Receipt.sha256(rerun.toByteArray())).isEqualTo(receipt.outputHash());
  }

  @Test
  void badOrTooLongInputIsRefused() throws Exception {
    ComputeClient compute = new ComputeClient(client);
    Throwable bad = catchThrowable(() -> compute.submit(node.peerId(), embed("b", "{\"input\": 42}"), c -> {}, Duration.ofSeconds(60))
        .get(60, TimeUnit.SECONDS));
    assertThat(bad).isInstanceOf(ExecutionException.class);
    assertThat(((JobRejectedException) bad.getCause()).code()).isEqualTo(Code.BAD_REQUEST);

    String longText = "word ".repeat(embedder.maxTokens() + 10);
    Throwable tooLong = catchThrowable(() -> compute.submit(node.peerId(), embed("l", "{\"input\": \"" + longText + "\"}"), c -> {},
        Duration.ofSeconds(60)).get(60, TimeUnit.SECONDS));
    assertThat(tooLong).isInstanceOf(ExecutionException.class);
    assertThat(((JobRejectedException) tooLong.getCause()).code()).isEqualTo(Code.TOO_LONG);
  }

  @Test
  void inputFormats() {
    assertThat(EmbeddingRuntime.parseInputs("{\"input\":\"one\"}".getBytes(StandardCharsets.UTF_8))).containsExactly("one");
    assertThat(EmbeddingRuntime.parseInputs("{\"input\":[\"a\",\"b\"]}".getBytes(StandardCharsets.UTF_8))).containsExactly("a", "b");
    assertThatThrownBy(() -> EmbeddingRuntime.parseInputs("{\"input\":[]}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(JobRejectedException.class);
    assertThatThrownBy(() -> EmbeddingRuntime.parseInputs("not json".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(JobRejectedException.class);
    assertThatThrownBy(() -> EmbeddingRuntime.parseInputs("{\"input\":[1]}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(JobRejectedException.class);
  }
}
