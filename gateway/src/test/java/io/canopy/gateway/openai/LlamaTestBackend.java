package io.canopy.gateway.openai;

import io.canopy.compute.llm.ContextLengthExceededException;
import io.canopy.compute.llm.Generation;
import io.canopy.compute.llm.GenerationParams;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A real text generator for the OpenAI face's tests: compute-node's built-in llama engine running
 * the tiny test model (random weights, real llama-2 vocabulary, 256-token context). Prompts become
 * tokens as {@code LlamaRuntime.run} does it on a compute node: chats through the model's chat
 * template (the tiny model has none, so ChatML), plain prompts as text after BOS. Also serves one
 * embedding-only model id, to show that it cannot be used to chat.
 */
final class LlamaTestBackend implements InferenceBackend, AutoCloseable {
  static final Path TINY = Path.of("../compute-node/src/test/resources/llm/tiny-f32.gguf");
  /** Serves chat and completions. */
  static final String MODEL = "tiny-llama";
  /** Listed, but only embeds (and this backend embeds nothing). */
  static final String EMBEDDING_ONLY = "tiny-embedder";
  static final long CREATED = 1764028800L;

  private final LlamaModel model;

  private LlamaTestBackend(LlamaModel model) {
    this.model = model;
  }

  static LlamaTestBackend load() throws IOException {
    if (!Files.isRegularFile(TINY)) {
      throw new IllegalStateException("the tiny test model is missing: " + TINY.toAbsolutePath());
    }
    return new LlamaTestBackend(LlamaModel.load(TINY, 2));
  }

  LlamaModel model() {
    return model;
  }

  /** The prompt's tokens, as a compute node makes them. */
  List<Integer> tokens(Prompt prompt) {
    if (prompt instanceof Prompt.Chat chat) {
      return model.tokenizer().encode(model.chatTemplate().render(chat.messages(), true), true, true);
    }
    return model.tokenizer().encode(((Prompt.Text) prompt).text(), true);
  }

  @Override
  public List<ModelInfo> models() {
    return List.of(new ModelInfo(MODEL, CREATED, "canopy", Set.of(Task.CHAT, Task.COMPLETION), 0),
        ModelInfo.embedding(EMBEDDING_ONLY, CREATED, "canopy", 4));
  }

  @Override
  public Embeddings embed(String account, String model, List<String> inputs) {
    throw new InferenceException.UnknownModel(model);
  }

  @Override
  public Generated generate(String account, String id, Prompt prompt, Params p, TextSink sink) {
    if (!id.equals(MODEL)) {
      throw new InferenceException.UnknownModel(id);
    }
    int maxTokens = p.maxTokens() > 0 ? p.maxTokens() : model.config().contextLength();
    GenerationParams params = new GenerationParams(maxTokens, p.temperature(), p.topP(), p.topK(), p.seed(), p.stop());
    Generation g;
    try {
      g = model.newSession().generate(tokens(prompt), params, (token, text) -> {
        if (!text.isEmpty()) {
          sink.text(text);
        }
      });
    } catch (ContextLengthExceededException e) {
      throw new InferenceException.Rejected(e.getMessage(), prompt instanceof Prompt.Chat ? "messages" : "prompt");
    }
    return new Generated(g.text(), g.usage().promptTokens(), g.usage().completionTokens(), finishReason(g));
  }

  static String finishReason(Generation g) {
    switch (g.finishReason()) {
      case END_OF_GENERATION:
      case STOP_SEQUENCE:
        return "stop";
      default:
        return "length";
    }
  }

  @Override
  public void close() throws IOException {
    model.close();
  }
}
