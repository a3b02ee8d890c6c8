package io.canopy.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.compute.embed.EmbeddingResult;
import io.canopy.compute.embed.OnnxEmbedder;
import io.canopy.compute.job.ComputeClient;
import io.canopy.compute.job.ComputeConfig;
import io.canopy.compute.job.ComputeDirectory;
import io.canopy.compute.job.ComputeProvider;
import io.canopy.compute.job.EmbeddingRuntime;
import io.canopy.compute.job.InferenceRuntime;
import io.canopy.compute.job.JobResult;
import io.canopy.compute.job.LlamaRuntime;
import io.canopy.compute.job.ReceiptLog;
import io.canopy.compute.llm.ChatMessage;
import io.canopy.compute.llm.GenerationParams;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.compute.llm.TokenListener;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.ModelOffer;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's routing over real compute nodes on 127.0.0.1: two nodes serve the tiny llama model
 * (and test runtimes that stall or fail), the gateway finds them through identify and sends each
 * request to one that takes it; every answer leaves a countersigned receipt in the log.
 */
class NetworkInferenceBackendTest {
  private static final Path MODEL_FILE = Path.of("..", "compute-node", "src", "test", "resources", "llm", "tiny-f32.gguf");
  private static final Cid TINY = cid("tiny-f32");
  private static final Cid STALLS = cid("stalls");
  private static final Cid FLAKY = cid("flaky");
  private static final Cid MINI = cid("minilm");
  private static final Cid APPROX = cid("approx");
  /** What the non-exact embedding runtime writes, in these two chunks. */
  private static final String[] APPROX_CHUNKS = {"{\"data\":[{\"index\":0,", "\"embedding\":[0.5,0.25]}]}"};

  @TempDir static Path tmp;
  private static LlamaModel model;
  private static OnnxEmbedder embedder;
  private static final List<AutoCloseable> closing = new ArrayList<>();
  private static Host a;
  private static Host b;
  private static ComputeProvider providerA;
  private static ComputeProvider providerB;
  private static Ed25519PrivateKey gatewayKey;
  private static Host gateway;
  private static ComputeDirectory directory;
  private static ReceiptLog receipts;
  private static NetworkInferenceBackend backend;
  /** Released to let every stalled job go on (and end). */
  private static volatile CountDownLatch release = new CountDownLatch(0);

  private static Cid cid(String name) {
    return Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, name.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes "tick " every 20 ms until released (then ends) or cancelled. */
  private static InferenceRuntime stalls() {
    return runtime(new ModelOffer(STALLS, "stalls", Task.COMPLETION, 4096, 0, 0), (request, out) -> {
      for (int i = 0; i < 10_000; i++) {
        out.write("tick ".getBytes(StandardCharsets.UTF_8));
        if (release.await(20, TimeUnit.MILLISECONDS)) {
          return new Usage(1, i + 1);
        }
      }
      return new Usage(1, 10_000);
    });
  }

  interface Body {
    Usage run(JobRequest request, io.canopy.compute.job.ChunkSink out) throws Exception;
  }

  private static InferenceRuntime runtime(ModelOffer offer, Body body) {
    return new InferenceRuntime() {
      @Override
      public ModelOffer offer() {
        return offer;
      }

      @Override
      public Usage run(JobRequest request, io.canopy.compute.job.ChunkSink out, io.canopy.compute.job.CancellationSignal cancel)
          throws Exception {
        return body.run(request, out);
      }
    };
  }

  /** A runtime that is not bit-exact (like one forwarding to another server): its receipts say exact = false. */
  private static InferenceRuntime inexact(ModelOffer offer, Body body) {
    InferenceRuntime inner = runtime(offer, body);
    return new InferenceRuntime() {
      @Override
      public ModelOffer offer() {
        return offer;
      }

      @Override
      public Usage run(JobRequest request, io.canopy.compute.job.ChunkSink out, io.canopy.compute.job.CancellationSignal cancel)
          throws Exception {
        return inner.run(request, out, cancel);
      }

      @Override
      public boolean bitExact() {
        return false;
      }
    };
  }

  @BeforeAll
  static void start() throws Exception {
    model = LlamaModel.load(MODEL_FILE);
    embedder = OnnxEmbedder.allMiniLmL6V2();
    Ed25519PrivateKey keyA = Ed25519PrivateKey.generate(new SecureRandom());
    Ed25519PrivateKey keyB = Ed25519PrivateKey.generate(new SecureRandom());
    a = host(keyA);
    b = host(keyB);
    ComputeConfig oneSlot = ComputeConfig.DEFAULT.withSlots(1, 0);
    providerA = new ComputeProvider(keyA, List.of(
        new LlamaRuntime(TINY, "tiny", Task.COMPLETION, model, 1), new LlamaRuntime(TINY, "tiny", Task.CHAT, model, 1), stalls(),
        runtime(new ModelOffer(FLAKY, "flaky", Task.COMPLETION, 4096, 0, 0), (r, out) -> {
          throw new IllegalStateException("GPU fell off the bus");
        }),
        new EmbeddingRuntime(MINI, "mini", embedder, 1)), oneSlot, Clock.systemUTC(), () -> 0).register(a);
    providerB = new ComputeProvider(keyB, List.of(
        new LlamaRuntime(TINY, "tiny", Task.COMPLETION, model, 1), new LlamaRuntime(TINY, "tiny", Task.CHAT, model, 1), stalls(),
        runtime(new ModelOffer(FLAKY, "flaky", Task.COMPLETION, 4096, 0, 0), (r, out) -> {
          out.write("fine".getBytes(StandardCharsets.UTF_8));
          return new Usage(1, 1);
        }),
        inexact(new ModelOffer(APPROX, "approx", Task.EMBEDDING, 4096, 0, 0), (r, out) -> {
          for (String chunk : APPROX_CHUNKS) {
            out.write(chunk.getBytes(StandardCharsets.UTF_8));
          }
          return new Usage(1, 0);
        })), oneSlot, Clock.systemUTC(), () -> 0).register(b);
    closing.add(providerA);
    closing.add(providerB);
    gatewayKey = Ed25519PrivateKey.generate(new SecureRandom());
    gateway = host(gatewayKey);
    directory = new ComputeDirectory(gateway, new ComputeClient(gateway), null, null, Duration.ofMillis(300)).start();
    closing.add(directory);
    receipts = ReceiptLog.open(tmp.resolve("receipts.log"));
    closing.add(receipts);
    backend = new NetworkInferenceBackend(directory, gatewayKey, receipts, Clock.systemUTC(),
        new NetworkInferenceBackend.Config(Duration.ofSeconds(30), 3, Duration.ofMinutes(10)));
    gateway.connect(a.listenAddrs().get(0).withPeerId(a.peerId())).get(30, TimeUnit.SECONDS);
    gateway.connect(b.listenAddrs().get(0).withPeerId(b.peerId())).get(30, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (directory.offers().stream().map(ComputeDirectory.NodeOffer::node).distinct().count() < 2) {
      assertThat(System.nanoTime()).as("both nodes found").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static Host host(Ed25519PrivateKey key) throws Exception {
    Host h = new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    closing.add(0, h);
    return h;
  }

  @AfterAll
  static void stop() throws Exception {
    release.countDown();
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    if (model != null) {
      model.close();
    }
    if (embedder != null) {
      embedder.close();
    }
  }

  @Test
  void listsEachModelOnceWithWhatItDoes() {
    // (another test adds and removes a model "ephemeral", which stays listed)
    assertThat(backend.models()).extracting(ModelInfo::id).containsSubsequence("flaky", "mini", "stalls", "tiny")
        .doesNotHaveDuplicates().isSorted();
    ModelInfo tiny = backend.models().stream().filter(m -> m.id().equals("tiny")).findFirst().orElseThrow();
    assertThat(tiny.tasks()).containsExactlyInAnyOrder(Task.CHAT, Task.COMPLETION);
  }

  @Test
  void completionIsTheEnginesTextAndLeavesACountersignedReceipt() throws Exception {
    String prompt = "Once upon a time";
    String expected = model.newSession().generate(model.tokenizer().encode(prompt, true), GenerationParams.greedy(24),
        TokenListener.NONE).text();
    long before = receipts.size();
    StringBuilder pieces = new StringBuilder();
    Generated g = backend.generate("alice", "tiny", new Prompt.Text(prompt), new Params(24, 0f, 1f, 0, 0, List.of()), pieces::append);

    assertThat(g.text()).isEqualTo(expected);
    assertThat(pieces.toString()).isEqualTo(expected);
    assertThat(g.completionTokens()).isEqualTo(24);
    assertThat(g.finishReason()).isEqualTo("length");
    List<ReceiptLog.Entry> kept = receipts.readAll();
    assertThat(kept).hasSize((int) before + 1);
    ReceiptLog.Entry entry = kept.get(kept.size() - 1);
    assertThat(entry.job().jobId()).isEqualTo(entry.countersigned().receipt().jobId());
    assertThat(entry.job().input()).isEqualTo(prompt.getBytes(StandardCharsets.UTF_8));
    assertThat(entry.job().params()).isEqualTo(new Params(24, 0f, 1f, 0, 0, List.of()));
    assertThat(entry.output()).as("an exact receipt keeps no output").isNull();
    CountersignedReceipt last = entry.countersigned();
    assertThat(last.verify()).isTrue();
    assertThat(last.gateway()).isEqualTo(gatewayKey.peerId());
    assertThat(last.account()).isEqualTo("alice");
    assertThat(last.receipt().node()).isIn(a.peerId(), b.peerId());
    assertThat(last.receipt().model()).isEqualTo(TINY);
    assertThat(last.receipt().inputHash()).isEqualTo(Receipt.sha256(prompt.getBytes(StandardCharsets.UTF_8)));
    assertThat(last.receipt().outputHash()).isEqualTo(Receipt.sha256(expected.getBytes(StandardCharsets.UTF_8)));
    assertThat(ReceiptLog.read(receipts.file())).isEqualTo(kept.stream().map(ReceiptLog.Entry::countersigned).toList());
  }

  @Test
  void theSameJobOnEitherNodeHashesTheSame() throws Exception {
    Params sampled = new Params(20, 0.8f, 0.95f, 40, 1234, List.of());
    byte[] input = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story\"}]}".getBytes(StandardCharsets.UTF_8);
    JobResult onA = directory.submit(a.peerId(), new JobRequest("job-a", TINY, Task.CHAT, input, sampled), c -> {}, Duration.ofSeconds(30))
        .get(30, TimeUnit.SECONDS);
    JobResult onB = directory.submit(b.peerId(), new JobRequest("job-b", TINY, Task.CHAT, input, sampled), c -> {}, Duration.ofSeconds(30))
        .get(30, TimeUnit.SECONDS);
    assertThat(onA.receipt().node()).isEqualTo(a.peerId());
    assertThat(onB.receipt().node()).isEqualTo(b.peerId());
    assertThat(onA.receipt().outputHash()).isEqualTo(onB.receipt().outputHash());
    assertThat(onA.receipt().inputHash()).isEqualTo(onB.receipt().inputHash());
    assertThat(onA.output()).isNotEmpty();

    Generated chat = backend.generate("alice", "tiny", new Prompt.Chat(List.of(ChatMessage.user("Tell me a story"))), sampled, p -> {});
    assertThat(chat.text().getBytes(StandardCharsets.UTF_8)).isEqualTo(onA.output());
  }

  @Test
  void aBusyNodeIsPassedOverAndEveryNodeBusyIs429() throws Exception {
    release = new CountDownLatch(1);
    List<CompletableFuture<Generated>> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) { // each takes one node's only slot
        CountDownLatch started = new CountDownLatch(1);
        stalled.add(CompletableFuture.supplyAsync(
            () -> backend.generate("alice", "stalls", new Prompt.Text("x"), Params.DEFAULT, piece -> started.countDown())));
        assertThat(started.await(20, TimeUnit.SECONDS)).as("stalled job " + i + " started").isTrue();
      }
      assertThatThrownBy(() -> backend.generate("alice", "stalls", new Prompt.Text("x"), Params.DEFAULT, p -> {}))
          .isInstanceOf(InferenceException.Busy.class).hasMessageContaining("busy");
    } finally {
      release.countDown();
    }
    for (CompletableFuture<Generated> f : stalled) {
      assertThat(f.get(20, TimeUnit.SECONDS).text()).startsWith("tick ");
    }
    Set<PeerId> ran = receipts.readAll().stream().map(ReceiptLog.Entry::countersigned).filter(r -> r.receipt().model().equals(STALLS))
        .map(r -> r.receipt().node())
        .collect(Collectors.toSet());
    assertThat(ran).containsExactlyInAnyOrder(a.peerId(), b.peerId());
  }

  @Test
  void aClientThatGoesAwayFreesTheNodesSlot() throws Exception {
    release = new CountDownLatch(1);
    try {
      assertThatThrownBy(() -> backend.generate("alice", "stalls", new Prompt.Text("x"), Params.DEFAULT, piece -> {
        throw new CancellationException("client closed the connection");
      })).isInstanceOf(CancellationException.class);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (freeSlots(providerA, STALLS) + freeSlots(providerB, STALLS) < 2) {
        assertThat(System.nanoTime()).as("both slots free again").isLessThan(deadline);
        Thread.sleep(20);
      }
    } finally {
      release.countDown();
    }
  }

  @Test
  void anHttpClientThatHangsUpMidStreamFreesTheNodesSlot() throws Exception {
    release = new CountDownLatch(1);
    try (io.canopy.gateway.Gateway gateway = io.canopy.gateway.Gateway.start(null, null, null, new io.canopy.gateway.Gateway.OpenAiFace(
             new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), backend, ApiKeys.of(java.util.Map.of("sk-t", "alice"))));
         java.net.Socket socket = new java.net.Socket()) {
      java.net.URI base = gateway.urls().get("openai");
      socket.connect(new java.net.InetSocketAddress(base.getHost(), base.getPort()), 5000);
      socket.setSoTimeout(20_000);
      byte[] body = "{\"model\":\"stalls\",\"prompt\":\"x\",\"stream\":true}".getBytes(StandardCharsets.UTF_8);
      socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: " + base.getHost() + "\r\nAuthorization: Bearer sk-t\r\n"
          + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().write(body);
      socket.getOutputStream().flush();
      java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      String line;
      do {
        line = in.readLine();
        assertThat(line).as("an SSE event before the stream ends").isNotNull();
      } while (!line.startsWith("data: "));
      assertThat(freeSlots(providerA, STALLS) + freeSlots(providerB, STALLS)).as("one node runs the job").isEqualTo(1);
      socket.close(); // the client hangs up mid-stream
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (freeSlots(providerA, STALLS) + freeSlots(providerB, STALLS) < 2) {
        assertThat(System.nanoTime()).as("the node's slot freed after the client left").isLessThan(deadline);
        Thread.sleep(20);
      }
    } finally {
      release.countDown();
    }
  }

  private static int freeSlots(ComputeProvider provider, Cid model) {
    return provider.capabilities().offers().stream().filter(o -> o.model().equals(model)).mapToInt(ModelOffer::freeSlots).sum();
  }

  @Test
  void aNodeFailingBeforeItsFirstByteIsRetriedElsewhere() throws Exception {
    for (int i = 0; i < 6; i++) { // whichever node is tried first, the answer comes from the one that works
      Generated g = backend.generate("alice", "flaky", new Prompt.Text("x"), Params.DEFAULT, p -> {});
      assertThat(g.text()).isEqualTo("fine");
    }
    // Each kept job is the request the working node answered, not the one sent to the failing node.
    assertThat(entriesFor(FLAKY)).hasSize(6).allSatisfy(e -> {
      assertThat(e.countersigned().receipt().node()).isEqualTo(b.peerId());
      assertThat(e.job().jobId()).isEqualTo(e.countersigned().receipt().jobId());
    });
  }

  private static List<ReceiptLog.Entry> entriesFor(Cid model) throws java.io.IOException {
    return receipts.readAll().stream().filter(e -> e.countersigned().receipt().model().equals(model)).toList();
  }

  @Test
  void embeddingsComeBackAsTheModelComputesThem() {
    List<String> inputs = List.of("a cat sat on the mat", "stock markets fell sharply");
    Embeddings e = backend.embed("alice", "mini", inputs);
    EmbeddingResult direct = embedder.embedWithUsage(inputs);
    assertThat(e.vectors()).isDeepEqualTo(direct.vectors());
    assertThat(e.promptTokens()).isEqualTo(direct.totalTokens());
  }

  @Test
  void aNonExactEmbeddingKeepsItsWholeOutputForTheValidators() throws Exception {
    Embeddings e = backend.embed("alice", "approx", List.of("x"));
    assertThat(e.vectors()).isDeepEqualTo(new float[][] {{0.5f, 0.25f}});
    List<ReceiptLog.Entry> kept = entriesFor(APPROX);
    assertThat(kept).hasSize(1);
    ReceiptLog.Entry entry = kept.get(0);
    assertThat(entry.countersigned().receipt().exact()).isFalse();
    assertThat(entry.job().task()).isEqualTo(Task.EMBEDDING);
    assertThat(entry.job().jobId()).isEqualTo(entry.countersigned().receipt().jobId());
    assertThat(entry.output()).isEqualTo(String.join("", APPROX_CHUNKS).getBytes(StandardCharsets.UTF_8));
    assertThat(Receipt.sha256(entry.output())).isEqualTo(entry.countersigned().receipt().outputHash());

    backend.embed("alice", "mini", List.of("exact vectors"));
    assertThat(entriesFor(MINI)).isNotEmpty().allSatisfy(exact -> assertThat(exact.output()).isNull());
  }

  @Test
  void aModelWhoseNodesWentAwayIsStillListedAndAnswered503() throws Exception {
    Ed25519PrivateKey key = Ed25519PrivateKey.generate(new SecureRandom());
    Host c = new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
    try (ComputeProvider provider = new ComputeProvider(key, List.of(new LlamaRuntime(cid("ephemeral"), "ephemeral", Task.COMPLETION,
        model, 1)), ComputeConfig.DEFAULT, Clock.systemUTC(), () -> 0).register(c)) {
      gateway.connect(c.listenAddrs().get(0).withPeerId(c.peerId())).get(30, TimeUnit.SECONDS);
      awaitOffered("ephemeral", true);
      assertThat(backend.models()).extracting(ModelInfo::id).contains("ephemeral");
      assertThat(backend.generate("alice", "ephemeral", new Prompt.Text("x"), new Params(2, 0f, 1f, 0, 0, List.of()), p -> {})
          .completionTokens()).isEqualTo(2);
    } finally {
      c.close();
    }
    awaitOffered("ephemeral", false);
    assertThat(backend.models()).extracting(ModelInfo::id).contains("ephemeral");
    assertThatThrownBy(() -> backend.generate("alice", "ephemeral", new Prompt.Text("x"), Params.DEFAULT, p -> {}))
        .isInstanceOf(InferenceException.Unavailable.class).hasMessageContaining("No node serves ephemeral");
  }

  private static void awaitOffered(String name, boolean offered) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (directory.offers().stream().anyMatch(o -> o.offer().name().equals(name)) != offered) {
      assertThat(System.nanoTime()).as(name + (offered ? " offered" : " gone")).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  @Test
  void refusalsNameTheProblem() {
    assertThatThrownBy(() -> backend.generate("alice", "nope", new Prompt.Text("x"), Params.DEFAULT, p -> {}))
        .isInstanceOf(InferenceException.UnknownModel.class);
    assertThatThrownBy(() -> backend.generate("alice", "mini", new Prompt.Text("x"), Params.DEFAULT, p -> {}))
        .isInstanceOf(InferenceException.UnknownModel.class);
    assertThatThrownBy(() -> backend.embed("alice", "tiny", List.of("x"))).isInstanceOf(InferenceException.UnknownModel.class);
    String tooLong = "word ".repeat(model.config().contextLength() * 2);
    assertThatThrownBy(() -> backend.generate("alice", "tiny", new Prompt.Text(tooLong), Params.DEFAULT, p -> {}))
        .isInstanceOf(InferenceException.Rejected.class)
        .satisfies(e -> assertThat(((InferenceException.Rejected) e).param()).isEqualTo("prompt"));
  }
}
