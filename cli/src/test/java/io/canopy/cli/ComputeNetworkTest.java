package io.canopy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.canopy.compute.job.ReceiptLog;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.Receipt;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #6 end to end on a small network in this JVM: a model added by CID on one node is fetched
 * over Bitswap and served by a compute node, which also refuses a corrupt model without losing
 * the others; a gateway routes OpenAI SDK calls to it and keeps its countersigned receipts.
 */
class ComputeNetworkTest {
  private static final Path TINY = Path.of("..", "compute-node", "src", "test", "resources", "llm", "tiny-f32.gguf").toAbsolutePath();
  @TempDir Path tmp;

  CliRun cli(Path home) {
    return new CliRun(tmp.resolve("user"), tmp).env("CANOPY_HOME", home.toString());
  }

  @Test
  void aModelAddedByCidIsFetchedServedAndPaidForWithVerifiableReceipts() throws Exception {
    Path homeA = tmp.resolve("a");
    Path homeC = tmp.resolve("c");
    Path homeG = tmp.resolve("g");
    for (Path h : List.of(homeA, homeC, homeG)) {
      cli(h).run("init").ok();
    }
    Path corrupt = tmp.resolve("corrupt.gguf");
    byte[] model = Files.readAllBytes(TINY);
    Files.write(corrupt, java.util.Arrays.copyOf(model, model.length / 2)); // cut: the tensors run past the end

    try (Daemons.InProcess a = Daemons.inProcess(homeA, Daemons.options(List.of()))) {
      cli(homeA).run("model", "add", corrupt.toString(), "--name", "broken").failsNaming("not a model the built-in engine can load");
      JsonNode added = HomeConfig.JSON.readTree(cli(homeA).run("model", "add", TINY.toString(), "--name", "tiny", "--json").ok().out());
      String cid = added.path("cid").asText();
      assertThat(added.path("size").asLong()).isEqualTo(model.length);
      assertThat(cli(homeA).run("add", "-q", "--only-hash", TINY.toString()).ok().out().trim()).isEqualTo(cid);

      List<Multiaddr> bootstrap = List.of(Multiaddr.parse(a.addr()));
      try (Daemons.InProcess c = Daemons.inProcess(homeC, Daemons.options(bootstrap).withCompute(new DaemonNode.ComputeOptions(
               List.of(new ComputeService.ModelSpec("tiny", cid), new ComputeService.ModelSpec("broken", corrupt.toString())),
               io.canopy.compute.job.ComputeConfig.DEFAULT, null)));
           Daemons.InProcess g = Daemons.inProcess(homeG, Daemons.options(List.of(Multiaddr.parse(c.addr())))
               .withGateway(DaemonNode.GatewayOptions.withOpenAiOnFreePorts()))) {
        awaitModels(homeC, "tiny", "all-MiniLM-L6-v2");
        String ls = cli(homeC).run("model", "ls").ok().out();
        assertThat(ls).containsPattern("broken  failed  .*corrupt.gguf|broken  failed  .*(tensor|past the end|truncated)");
        // The compute node's copy is the added file, byte for byte, and it now provides the model to others.
        assertThat(Files.readAllBytes(homeC.resolve("models").resolve(cid))).isEqualTo(model);
        assertThat(cli(homeC).run("pin", "ls", cid).ok().out()).contains(cid);

        JsonNode key = HomeConfig.JSON.readTree(cli(homeG).run("gateway", "keys", "create", "--account", "alice").ok().out());
        OpenAIClient openai = OpenAIOkHttpClient.builder().apiKey(key.path("apiKey").asText())
            .baseUrl(g.node().httpFaces().get("openai") + "/v1").maxRetries(0).build();
        try {
          awaitListed(openai, "tiny");
          ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("tiny")
              .addUserMessage("Tell me about the forest.").maxCompletionTokens(16).temperature(0.7).seed(7).build();
          ChatCompletion first = openai.chat().completions().create(params);
          ChatCompletion second = openai.chat().completions().create(params);
          String text = first.choices().get(0).message().content().orElseThrow();
          assertThat(second.choices().get(0).message().content()).hasValue(text);
          assertThat(first.usage().orElseThrow().completionTokens()).isPositive();

          CreateEmbeddingResponse embedded = openai.embeddings().create(EmbeddingCreateParams.builder()
              .model("all-MiniLM-L6-v2").input("a quiet forest path").build());
          assertThat(embedded.data().get(0).embedding()).hasSize(384);

          List<CountersignedReceipt> receipts = ReceiptLog.read(homeG.resolve("receipts.log"));
          assertThat(receipts).hasSize(3).allSatisfy(r -> {
            assertThat(r.verify()).isTrue();
            assertThat(r.receipt().node()).isEqualTo(c.node().host().peerId());
            assertThat(r.gateway()).isEqualTo(g.node().host().peerId());
            assertThat(r.account()).isEqualTo("alice");
          });
          Receipt one = receipts.get(0).receipt();
          Receipt two = receipts.get(1).receipt();
          assertThat(one.model().toString()).isEqualTo(cid);
          assertThat(one.jobId()).isNotEqualTo(two.jobId());
          assertThat(one.inputHash()).isEqualTo(two.inputHash()).isEqualTo(Receipt.sha256(
              "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about the forest.\"}]}".getBytes(StandardCharsets.UTF_8)));
          assertThat(one.paramsHash()).isEqualTo(Receipt.sha256(new io.canopy.protocol.compute.Params(16, 0.7f, 1f, 0, 7, List.of()).encode()));
          assertThat(one.outputHash()).isEqualTo(two.outputHash()).isEqualTo(Receipt.sha256(text.getBytes(StandardCharsets.UTF_8)));
          assertThat(one.exact()).isTrue();

          // A compute node that forwards to an OpenAI-compatible server (here: this gateway) serves its
          // answers under its own name, with receipts that say they are not bit-exact.
          Path homeE = tmp.resolve("e");
          cli(homeE).run("init").ok();
          try (Daemons.InProcess e = Daemons.inProcess(homeE, Daemons.options(List.of(Multiaddr.parse(g.addr())))
              .withCompute(new DaemonNode.ComputeOptions(
                  List.of(new ComputeService.ModelSpec("forwarded", g.node().httpFaces().get("openai") + "/v1#tiny")),
                  io.canopy.compute.job.ComputeConfig.DEFAULT, key.path("apiKey").asText())))) {
            awaitModels(homeE, "forwarded");
            awaitListed(openai, "forwarded");
            ChatCompletion viaServer = openai.chat().completions().create(params.toBuilder().model("forwarded").build());
            assertThat(viaServer.choices().get(0).message().content()).hasValue(text);
            List<CountersignedReceipt> all = ReceiptLog.read(homeG.resolve("receipts.log"));
            CountersignedReceipt forwarded = all.stream().filter(r -> r.receipt().node().equals(e.node().host().peerId()))
                .findFirst().orElseThrow();
            assertThat(forwarded.verify()).isTrue();
            assertThat(forwarded.receipt().exact()).isFalse();
            assertThat(forwarded.receipt().outputHash()).isEqualTo(one.outputHash());
          }
        } finally {
          openai.close();
        }
      }
    }
  }

  private void awaitModels(Path home, String... names) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    String last = "";
    while (System.nanoTime() < deadline) {
      last = cli(home).run("model", "ls").ok().out();
      String out = last;
      if (java.util.Arrays.stream(names).allMatch(n -> out.lines().anyMatch(l -> l.startsWith(n + "  serving")))) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("models not served within 90 s: " + last);
  }

  private static void awaitListed(OpenAIClient openai, String model) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (openai.models().list().data().stream().noneMatch(m -> m.id().equals(model))) {
      assertThat(System.nanoTime()).as(model + " listed by the gateway").isLessThan(deadline);
      Thread.sleep(200);
    }
  }
}
