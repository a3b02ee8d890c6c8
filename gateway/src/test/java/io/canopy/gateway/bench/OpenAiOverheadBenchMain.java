package io.canopy.gateway.bench;

import io.canopy.compute.embed.OnnxEmbedder;
import io.canopy.compute.job.CancellationSignal;
import io.canopy.compute.job.ComputeClient;
import io.canopy.compute.job.ComputeConfig;
import io.canopy.compute.job.ComputeDirectory;
import io.canopy.compute.job.ComputeProvider;
import io.canopy.compute.job.EmbeddingRuntime;
import io.canopy.compute.job.InferenceRuntime;
import io.canopy.compute.job.LlamaRuntime;
import io.canopy.compute.job.ReceiptLog;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.openai.ApiKeys;
import io.canopy.gateway.openai.NetworkInferenceBackend;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiaddr.Multiaddr;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.host.HostConfig;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Task;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's overhead on one request (issue #6's benchmark), in one run: the same completion
 * (greedy, TOKENS tokens) and the same one-sentence embedding, timed (1) calling the runtime in
 * this process, (2) as a job over {@code /canopy/compute/1.0.0} on 127.0.0.1 (Noise + Yamux,
 * receipt signed and verified), and (3) as an OpenAI HTTP request through the gateway (JSON, the
 * node chosen from the directory, the receipt countersigned and fsynced to the log). Prints one
 * JSON line of medians (ms) and the ratios to (1). Run by bench/openai.sh.
 *
 *   OpenAiOverheadBenchMain MODEL.gguf TOKENS REPS
 */
public final class OpenAiOverheadBenchMain {
  private static final String KEY = "sk-bench";

  public static void main(String[] args) throws Exception {
    Path modelFile = Path.of(args[0]);
    int tokens = Integer.parseInt(args[1]);
    int reps = Integer.parseInt(args[2]);
    Cid tinyCid = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, Files.readAllBytes(modelFile));
    Cid miniCid = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "minilm".getBytes(StandardCharsets.UTF_8));
    Path tmp = Files.createTempDirectory("openai-bench");
    try (LlamaModel model = LlamaModel.load(modelFile, 1); OnnxEmbedder embedder = OnnxEmbedder.allMiniLmL6V2()) {
      LlamaRuntime completion = new LlamaRuntime(tinyCid, "tiny", Task.COMPLETION, model, 0);
      EmbeddingRuntime embedding = new EmbeddingRuntime(miniCid, "mini", embedder, 0);
      Ed25519PrivateKey nodeKey = Ed25519PrivateKey.generate(new SecureRandom());
      Ed25519PrivateKey gatewayKey = Ed25519PrivateKey.generate(new SecureRandom());
      try (Host node = host(nodeKey); Host gatewayHost = host(gatewayKey);
           ComputeProvider provider = new ComputeProvider(nodeKey, List.of(completion, embedding), ComputeConfig.DEFAULT,
               Clock.systemUTC(), () -> 0).register(node);
           ComputeDirectory directory = new ComputeDirectory(gatewayHost, new ComputeClient(gatewayHost), null, null,
               Duration.ofSeconds(5)).start();
           ReceiptLog receipts = ReceiptLog.open(tmp.resolve("receipts.log"));
           Gateway gateway = Gateway.start(null, null, null, new Gateway.OpenAiFace(new InetSocketAddress("127.0.0.1", 0),
               new NetworkInferenceBackend(directory, gatewayKey, receipts, Clock.systemUTC(), NetworkInferenceBackend.Config.defaults()),
               ApiKeys.of(Map.of(KEY, "bench"))))) {
        gatewayHost.connect(node.listenAddrs().get(0).withPeerId(node.peerId())).get(30, TimeUnit.SECONDS);
        while (directory.offers().size() < 2) {
          Thread.sleep(20);
        }
        ComputeClient client = new ComputeClient(gatewayHost);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        URI base = gateway.urls().get("openai");
        Params greedy = new Params(tokens, 0f, 1f, 0, 0, List.of());
        byte[] prompt = "Once upon a time".getBytes(StandardCharsets.UTF_8);
        byte[] sentence = "{\"input\":[\"a quiet path through an old forest\"]}".getBytes(StandardCharsets.UTF_8);
        String completionBody = "{\"model\":\"tiny\",\"prompt\":\"Once upon a time\",\"max_tokens\":" + tokens + ",\"temperature\":0}";
        String embeddingBody = "{\"model\":\"mini\",\"input\":\"a quiet path through an old forest\"}";

        double[] c = {
            median(reps, () -> completion.run(job(tinyCid, Task.COMPLETION, prompt, greedy), b -> {}, new CancellationSignal())),
            median(reps, () -> client.submit(node.peerId(), job(tinyCid, Task.COMPLETION, prompt, greedy), b -> {},
                Duration.ofMinutes(1)).get()),
            median(reps, () -> post(http, base.resolve("/v1/completions"), completionBody))};
        double[] e = {
            median(reps, () -> embedding.run(job(miniCid, Task.EMBEDDING, sentence, Params.DEFAULT), b -> {}, new CancellationSignal())),
            median(reps, () -> client.submit(node.peerId(), job(miniCid, Task.EMBEDDING, sentence, Params.DEFAULT), b -> {},
                Duration.ofMinutes(1)).get()),
            median(reps, () -> post(http, base.resolve("/v1/embeddings"), embeddingBody))};
        System.out.printf(java.util.Locale.ROOT,
            "{\"tokens\":%d,\"reps\":%d,\"completionMs\":{\"inProcess\":%.3f,\"job\":%.3f,\"gateway\":%.3f},"
                + "\"completionRatio\":{\"job\":%.2f,\"gateway\":%.2f},"
                + "\"embeddingMs\":{\"inProcess\":%.3f,\"job\":%.3f,\"gateway\":%.3f},"
                + "\"embeddingRatio\":{\"job\":%.2f,\"gateway\":%.2f}}%n",
            tokens, reps, c[0], c[1], c[2], c[1] / c[0], c[2] / c[0], e[0], e[1], e[2], e[1] / e[0], e[2] / e[0]);
      }
    } finally {
      try (var files = Files.walk(tmp)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static int jobs;

  private static JobRequest job(Cid model, Task task, byte[] input, Params params) {
    return new JobRequest("bench-" + (jobs++), model, task, input, params);
  }

  private static Object post(HttpClient http, URI uri, String body) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + KEY)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException(uri + ": " + r.statusCode() + " " + r.body());
    }
    return r;
  }

  interface Call {
    Object run() throws Exception;
  }

  /** Median wall time in ms of {@code reps} calls, after {@code reps / 2 + 3} untimed ones. */
  private static double median(int reps, Call call) throws Exception {
    for (int i = 0; i < reps / 2 + 3; i++) {
      call.run();
    }
    double[] ms = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t = System.nanoTime();
      call.run();
      ms[i] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(ms);
    return reps % 2 == 1 ? ms[reps / 2] : (ms[reps / 2 - 1] + ms[reps / 2]) / 2;
  }

  private static Host host(Ed25519PrivateKey key) throws Exception {
    return new Host(HostConfig.builder(key).listen(List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"))).build()).start();
  }

  private OpenAiOverheadBenchMain() {}
}
