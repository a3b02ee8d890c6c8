package io.canopy.compute.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canopy.compute.llm.ChatMessage;
import io.canopy.compute.llm.ContextLengthExceededException;
import io.canopy.compute.llm.Generation;
import io.canopy.compute.llm.GenerationParams;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.multiformats.Cid;
import io.canopy.protocol.compute.ComputeMessage.Code;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.ModelOffer;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.compute.Usage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Completion and chat jobs on the built-in llama engine. The output is the generated text, written
 * as it is produced; since the engine is deterministic, a validator re-running the job with the
 * same params (seed included) gets the same bytes. Each job gets its own session (KV cache).
 */
public final class LlamaRuntime implements InferenceRuntime {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> ROLES = Set.of("system", "user", "assistant");
  /** Most messages in one chat job. */
  public static final int MAX_MESSAGES = 1024;

  private final LlamaModel model;
  private final ModelOffer offer;

  /** Serves {@code model} (whose file has CID {@code cid}) for {@code task}: COMPLETION or CHAT. */
  public LlamaRuntime(Cid cid, String name, Task task, LlamaModel model, long pricePer1k) {
    if (task != Task.COMPLETION && task != Task.CHAT) {
      throw new IllegalArgumentException("a llama model serves completion or chat, not " + task);
    }
    this.model = model;
    this.offer = new ModelOffer(cid, name, task, model.config().contextLength(), pricePer1k, 0);
  }

  @Override
  public ModelOffer offer() {
    return offer;
  }

  @Override
  public Usage run(JobRequest request, ChunkSink out, CancellationSignal cancel) {
    List<Integer> prompt = offer.task() == Task.CHAT
        ? model.tokenizer().encode(model.chatTemplate().render(messages(request.input()), true), true, true)
        : model.tokenizer().encode(new String(request.input(), StandardCharsets.UTF_8), true);
    Params p = request.params();
    GenerationParams params;
    try {
      int maxTokens = p.maxTokens() > 0 ? p.maxTokens() : model.config().contextLength();
      params = new GenerationParams(maxTokens, p.temperature(), p.topP() > 0 ? p.topP() : 1.0, p.topK(), p.seed(), p.stop());
    } catch (IllegalArgumentException e) {
      throw new JobRejectedException(Code.BAD_REQUEST, e.getMessage());
    }
    Generation g;
    try {
      g = model.newSession().generate(prompt, params, (token, text) -> {
        cancel.throwIfCancelled();
        if (!text.isEmpty()) {
          out.write(text.getBytes(StandardCharsets.UTF_8));
        }
      });
    } catch (ContextLengthExceededException e) {
      throw new JobRejectedException(Code.TOO_LONG, e.getMessage());
    }
    return new Usage(g.usage().promptTokens(), g.usage().completionTokens());
  }

  /** The messages of {@code {"messages": [{"role", "content"}, …]}}; {@code BAD_REQUEST} for anything else. */
  static List<ChatMessage> messages(byte[] input) {
    JsonNode root;
    try {
      root = JSON.readTree(input);
    } catch (JsonProcessingException e) {
      throw new JobRejectedException(Code.BAD_REQUEST, "input is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new JobRejectedException(Code.BAD_REQUEST, "input is not JSON: " + e.getMessage());
    }
    JsonNode list = root == null ? null : root.get("messages");
    if (list == null || !list.isArray() || list.isEmpty() || list.size() > MAX_MESSAGES) {
      throw new JobRejectedException(Code.BAD_REQUEST, "input must be {\"messages\": [...]} with 1 to " + MAX_MESSAGES + " messages");
    }
    List<ChatMessage> out = new ArrayList<>();
    for (JsonNode m : list) {
      JsonNode role = m.get("role");
      JsonNode content = m.get("content");
      if (role == null || !role.isTextual() || !ROLES.contains(role.textValue()) || content == null || !content.isTextual()) {
        throw new JobRejectedException(Code.BAD_REQUEST, "every message needs a role (system, user or assistant) and text content");
      }
      out.add(new ChatMessage(role.textValue(), content.textValue()));
    }
    return out;
  }
}
