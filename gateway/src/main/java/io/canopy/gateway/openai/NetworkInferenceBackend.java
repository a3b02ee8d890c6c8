package io.canopy.gateway.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.canopy.compute.job.ComputeDirectory;
import io.canopy.compute.job.ComputeDirectory.NodeOffer;
import io.canopy.compute.job.JobRejectedException;
import io.canopy.compute.job.JobResult;
import io.canopy.compute.job.ReceiptLog;
import io.canopy.compute.llm.ChatMessage;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.protocol.compute.ComputeMessage.Code;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Task;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Serves the OpenAI face from the compute nodes of the network (spec/compute.md §3.4–3.6): a model
 * is every offer with that name (or CID); a job goes to the node with free slots and the lowest
 * latency, and to the next one if a node is busy or fails before its first output byte. Every
 * receipt is verified (by the client), countersigned with the gateway's key for the account that
 * asked, and appended to the {@link ReceiptLog} with its job before the answer is complete.
 */
public final class NetworkInferenceBackend implements InferenceBackend {
  private static final System.Logger LOG = System.getLogger(NetworkInferenceBackend.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom IDS = new SecureRandom();
  /** Put in a job's chunk queue when the job is over (compared by identity). */
  private static final byte[] END = new byte[0];
  /** Who a model served by the network is listed as owned by. */
  public static final String OWNER = "canopy";

  /**
   * @param jobTimeout the most one job may take on a node, queue wait included
   * @param maxAttempts nodes tried for one request before giving up
   * @param remember how long a model stays listed (answered 503, not 404) after its last node went away
   */
  public record Config(Duration jobTimeout, int maxAttempts, Duration remember) {
    public static Config defaults() {
      return new Config(Duration.ofMinutes(5), 3, Duration.ofMinutes(10));
    }
  }

  private final ComputeDirectory directory;
  private final Ed25519PrivateKey gatewayKey;
  private final ReceiptLog receipts;
  private final Clock clock;
  private final Config config;
  /** Every model offered within {@link Config#remember}, by name. */
  private final Map<String, Seen> seen = new ConcurrentHashMap<>();

  /** {@code created}: when this gateway first saw the model (OpenAI's {@code created}, stable while it runs). */
  private record Seen(long created, Set<Task> tasks, long lastMillis) {}

  public NetworkInferenceBackend(ComputeDirectory directory, Ed25519PrivateKey gatewayKey, ReceiptLog receipts, Clock clock,
                                 Config config) {
    this.directory = directory;
    this.gatewayKey = gatewayKey;
    this.receipts = receipts;
    this.clock = clock;
    this.config = config;
  }

  /** The models offered now, and those offered within {@link Config#remember} (their requests get 503 until a node is back). */
  @Override
  public List<ModelInfo> models() {
    long now = clock.millis();
    Map<String, Set<Task>> offered = new TreeMap<>();
    for (NodeOffer o : directory.offers()) {
      offered.computeIfAbsent(o.offer().name(), n -> EnumSet.noneOf(Task.class)).add(o.offer().task());
    }
    offered.forEach((name, tasks) -> seen.merge(name, new Seen(now / 1000, tasks, now),
        (old, fresh) -> new Seen(old.created(), fresh.tasks(), now)));
    seen.values().removeIf(s -> now - s.lastMillis() > config.remember().toMillis());
    return new TreeMap<>(seen).entrySet().stream()
        .map(e -> new ModelInfo(e.getKey(), e.getValue().created(), OWNER, e.getValue().tasks(), 0))
        .toList();
  }

  @Override
  public Embeddings embed(String account, String model, List<String> inputs) {
    ObjectNode input = JSON.createObjectNode();
    ArrayNode texts = input.putArray("input");
    inputs.forEach(texts::add);
    JobResult result = run(account, model, Task.EMBEDDING, bytes(input), Params.DEFAULT, "input", chunk -> {});
    try {
      JsonNode data = JSON.readTree(result.output()).get("data");
      float[][] vectors = new float[data.size()][];
      for (JsonNode item : data) {
        JsonNode embedding = item.get("embedding");
        float[] v = new float[embedding.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = embedding.get(i).floatValue();
        }
        vectors[item.get("index").intValue()] = v;
      }
      return new Embeddings(vectors, result.receipt().usage().promptTokens());
    } catch (IOException | RuntimeException e) {
      // The receipt verified, so the node signed this output: it is at fault, not the client.
      throw new InferenceException.Unavailable("The node serving " + model + " returned embeddings that do not parse.");
    }
  }

  @Override
  public Generated generate(String account, String model, Prompt prompt, Params params, TextSink sink) {
    Task task;
    byte[] input;
    String param;
    if (prompt instanceof Prompt.Chat chat) {
      task = Task.CHAT;
      param = "messages";
      ObjectNode root = JSON.createObjectNode();
      ArrayNode messages = root.putArray("messages");
      for (ChatMessage m : chat.messages()) {
        messages.addObject().put("role", m.role()).put("content", m.content());
      }
      input = bytes(root);
    } else {
      task = Task.COMPLETION;
      param = "prompt";
      input = ((Prompt.Text) prompt).text().getBytes(StandardCharsets.UTF_8);
    }
    Utf8Pieces text = new Utf8Pieces(sink);
    JobResult result = run(account, model, task, input, params, param, text::accept);
    String all = text.finish();
    long promptTokens = result.receipt().usage().promptTokens();
    long completionTokens = result.receipt().usage().completionTokens();
    boolean hitLimit = params.maxTokens() > 0 && completionTokens >= params.maxTokens();
    return new Generated(all, promptTokens, completionTokens, hitLimit ? "length" : "stop");
  }

  /** Runs one job on the best node that takes it; {@code onChunk} runs on this thread, in order. */
  private JobResult run(String account, String model, Task task, byte[] input, Params params, String param, Consumer<byte[]> onChunk) {
    if (input.length > JobRequest.MAX_INPUT_SIZE) {
      throw new InferenceException.Rejected("The input is " + input.length + " bytes; a job takes at most "
          + JobRequest.MAX_INPUT_SIZE + ".", param);
    }
    List<NodeOffer> candidates = candidates(model, task);
    int busy = 0;
    String lastFailure = null;
    int attempts = 0;
    for (NodeOffer candidate : candidates) {
      if (attempts++ == config.maxAttempts()) {
        break;
      }
      JobRequest request = new JobRequest(newJobId(), candidate.offer().model(), task, input, params);
      LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
      CompletableFuture<JobResult> job = directory.submit(candidate.node(), request, chunks::add, config.jobTimeout());
      job.whenComplete((r, e) -> chunks.add(END)); // after the last chunk: the stream delivers in order
      boolean started = false;
      try {
        for (byte[] chunk = chunks.take(); chunk != END; chunk = chunks.take()) {
          started = true;
          onChunk.accept(chunk);
        }
        JobResult result = job.get();
        keep(account, request, result); // this attempt's request: the one the node ran and signed for
        return result;
      } catch (CancellationException e) { // the client went away: the node drops the job
        job.cancel(true);
        throw e;
      } catch (InterruptedException e) {
        job.cancel(true);
        Thread.currentThread().interrupt();
        throw new CancellationException("interrupted");
      } catch (ExecutionException e) {
        Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
        if (cause instanceof JobRejectedException r && (r.code() == Code.BAD_REQUEST || r.code() == Code.TOO_LONG)) {
          throw new InferenceException.Rejected(r.reason(), param);
        }
        if (started) {
          throw new InferenceException.Unavailable("The node serving " + model + " failed while answering: " + describe(cause));
        }
        if (cause instanceof JobRejectedException r && r.code() == Code.BUSY) {
          busy++;
        } else {
          lastFailure = describe(cause);
          LOG.log(System.Logger.Level.INFO, "job on {0} failed before any output, trying another node: {1}", candidate.node(),
              lastFailure);
        }
      }
    }
    if (busy > 0 && lastFailure == null) {
      throw new InferenceException.Busy("Every node serving " + model + " is busy; retry the request later.");
    }
    throw new InferenceException.Unavailable("No node could run " + model + " now: " + lastFailure);
  }

  /** Nodes offering {@code model} for {@code task}, best first: free slots, then latency, then price. */
  private List<NodeOffer> candidates(String model, Task task) {
    List<NodeOffer> forTask = new ArrayList<>(matching(model).stream().filter(o -> o.offer().task() == task).toList());
    if (forTask.isEmpty()) {
      Seen known = seen.get(model);
      if (known != null && known.tasks().contains(task)) {
        throw new InferenceException.Unavailable("No node serves " + model + " right now; retry later.");
      }
      throw new InferenceException.UnknownModel(model);
    }
    java.util.Collections.shuffle(forTask, IDS); // equal nodes share the load
    forTask.sort(Comparator.<NodeOffer>comparingInt(o -> o.offer().freeSlots() > 0 ? 0 : 1)
        .thenComparing(NodeOffer::latency)
        .thenComparingLong(o -> o.offer().pricePer1k()));
    return forTask;
  }

  private List<NodeOffer> matching(String model) {
    return directory.offers().stream()
        .filter(o -> o.offer().name().equals(model) || o.offer().model().toString().equals(model))
        .toList();
  }

  /**
   * Countersigns the receipt and logs it with the job, so validators can re-run it (spec
   * compute-verification.md §6.1). The output (every chunk, in order: what the client verified the
   * receipt against) is kept only where a re-run needs it: a non-exact embedding receipt, whose
   * vectors are compared within a tolerance instead of by hash.
   */
  private void keep(String account, JobRequest request, JobResult result) {
    CountersignedReceipt countersigned = CountersignedReceipt.sign(gatewayKey, result.receipt(), account, clock.millis());
    byte[] output = !result.receipt().exact() && request.task() == Task.EMBEDDING ? result.output() : null;
    try {
      receipts.append(new ReceiptLog.Entry(countersigned, request, output));
    } catch (IOException e) {
      // Without its receipt the job cannot be billed or checked: fail it rather than give it away.
      throw new UncheckedIOException("cannot record the receipt of job " + result.receipt().jobId(), e);
    }
  }

  private static String describe(Throwable t) {
    if (t instanceof TimeoutException) {
      return "no answer in time";
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static String newJobId() {
    byte[] id = new byte[16];
    IDS.nextBytes(id);
    return "gw-" + HexFormat.of().formatHex(id);
  }

  private static byte[] bytes(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Turns output chunks (cut anywhere, even inside a UTF-8 sequence) into text pieces for the sink. */
  private static final class Utf8Pieces {
    private final TextSink sink;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private final StringBuilder all = new StringBuilder();
    private ByteBuffer pending = ByteBuffer.allocate(0);

    Utf8Pieces(TextSink sink) {
      this.sink = sink;
    }

    void accept(byte[] chunk) {
      ByteBuffer in = ByteBuffer.allocate(pending.remaining() + chunk.length);
      in.put(pending).put(chunk).flip();
      CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
      decoder.decode(in, out, false);
      pending = in; // an incomplete sequence at the end waits for the next chunk
      emit(out);
    }

    String finish() {
      CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
      decoder.decode(pending, out, true);
      decoder.flush(out);
      emit(out);
      return all.toString();
    }

    private void emit(CharBuffer out) {
      out.flip();
      if (out.hasRemaining()) {
        String piece = out.toString();
        all.append(piece);
        sink.text(piece);
      }
    }
  }
}
