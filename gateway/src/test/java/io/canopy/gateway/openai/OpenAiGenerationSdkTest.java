package io.canopy.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import io.canopy.compute.llm.ChatMessage;
import io.canopy.compute.llm.Generation;
import io.canopy.compute.llm.GenerationParams;
import io.canopy.compute.llm.TokenListener;
import io.canopy.gateway.Gateway;
import io.canopy.gateway.Gateway.OpenAiFace;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official OpenAI Java SDK against a real gateway on 127.0.0.1 whose backend runs the built-in
 * llama engine on the tiny test model ({@link LlamaTestBackend}). What the SDK gets is compared
 * with what the engine produces by itself for the same tokens and parameters.
 */
class OpenAiGenerationSdkTest {
  private static final String KEY = "sk-canopy-test-key-0123456789";
  private static final String MODEL = LlamaTestBackend.MODEL;
  private static final List<ChatMessage> CHAT = List.of(
      ChatMessage.system("You answer in one sentence."),
      ChatMessage.user("What grows in a forest canopy?"));
  private static final String PROMPT = "Once upon a time, in a forest,";

  private static LlamaTestBackend backend;
  private static Gateway gateway;
  private static OpenAIClient client;

  @BeforeAll
  static void start() throws Exception {
    backend = LlamaTestBackend.load();
    gateway = Gateway.start(null, null, null, new OpenAiFace(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), backend, ApiKeys.of(Map.of(KEY, "alice"))));
    client = OpenAIOkHttpClient.builder()
        .apiKey(KEY)
        .baseUrl(gateway.urls().get("openai") + "/v1")
        .maxRetries(0)
        .build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  /** What the engine generates by itself, from the prompt's tokens. */
  private static Generation engine(Prompt prompt, GenerationParams params) {
    return backend.model().newSession().generate(backend.tokens(prompt), params, TokenListener.NONE);
  }

  private static ChatCompletionCreateParams.Builder chat(int maxTokens) {
    return ChatCompletionCreateParams.builder()
        .model(MODEL)
        .addSystemMessage(CHAT.get(0).content())
        .addUserMessage(CHAT.get(1).content())
        .maxCompletionTokens(maxTokens)
        .temperature(0.0);
  }

  @Test
  void chatCompletionIsWhatTheEngineGenerates() {
    Generation expected = engine(new Prompt.Chat(CHAT), GenerationParams.greedy(12));
    long before = System.currentTimeMillis() / 1000;

    ChatCompletion c = client.chat().completions().create(chat(12).build());

    assertThat(expected.text()).isNotEmpty();
    assertThat(c.id()).startsWith("chatcmpl-");
    assertThat(c.model()).isEqualTo(MODEL);
    assertThat(c.created()).isBetween(before, System.currentTimeMillis() / 1000);
    assertThat(c.choices()).singleElement().satisfies(choice -> {
      assertThat(choice.index()).isZero();
      assertThat(choice.message().content()).hasValue(expected.text());
      assertThat(choice.finishReason().asString()).isEqualTo(LlamaTestBackend.finishReason(expected));
    });
    assertThat(c.usage()).hasValueSatisfying(u -> {
      assertThat(u.promptTokens()).isEqualTo(backend.tokens(new Prompt.Chat(CHAT)).size());
      assertThat(u.completionTokens()).isEqualTo(expected.tokens().size());
      assertThat(u.totalTokens()).isEqualTo(u.promptTokens() + u.completionTokens());
    });
  }

  @Test
  void developerMessagesAreSystemMessages() {
    ChatCompletion asSystem = client.chat().completions().create(chat(8).build());
    ChatCompletion asDeveloper = client.chat().completions().create(ChatCompletionCreateParams.builder()
        .model(MODEL)
        .addDeveloperMessage(CHAT.get(0).content())
        .addUserMessage(CHAT.get(1).content())
        .maxCompletionTokens(8)
        .temperature(0.0)
        .build());
    assertThat(asDeveloper.choices().get(0).message().content())
        .isEqualTo(asSystem.choices().get(0).message().content());
  }

  @Test
  void streamedChatConcatenatesToTheSameTextAndEndsWithUsage() {
    Generation expected = engine(new Prompt.Chat(CHAT), GenerationParams.greedy(12));
    List<ChatCompletionChunk> chunks;
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(12)
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
        .build())) {
      chunks = stream.stream().collect(Collectors.toList());
    }

    // role chunk, at least two text chunks, finish chunk, usage chunk
    assertThat(chunks.size()).isGreaterThanOrEqualTo(5);
    assertThat(chunks).extracting(ChatCompletionChunk::id).containsOnly(chunks.get(0).id());
    assertThat(chunks).extracting(ChatCompletionChunk::created).containsOnly(chunks.get(0).created());
    assertThat(chunks).extracting(ChatCompletionChunk::model).containsOnly(MODEL);
    assertThat(chunks.get(0).id()).startsWith("chatcmpl-");
    assertThat(chunks.get(0).choices().get(0).delta().role()).isPresent();

    List<ChatCompletionChunk> withChoices = chunks.subList(0, chunks.size() - 1);
    String text = withChoices.stream()
        .map(c -> c.choices().get(0).delta().content().orElse(""))
        .collect(Collectors.joining());
    assertThat(text).isEqualTo(expected.text());
    for (ChatCompletionChunk c : withChoices.subList(0, withChoices.size() - 1)) {
      assertThat(c.choices().get(0).finishReason()).isEmpty();
      assertThat(c.usage()).isEmpty();
    }
    ChatCompletionChunk finish = withChoices.get(withChoices.size() - 1);
    assertThat(finish.choices().get(0).delta().content()).isEmpty();
    assertThat(finish.choices().get(0).finishReason()).hasValueSatisfying(
        r -> assertThat(r.asString()).isEqualTo(LlamaTestBackend.finishReason(expected)));

    ChatCompletionChunk usage = chunks.get(chunks.size() - 1);
    assertThat(usage.choices()).isEmpty();
    assertThat(usage.usage()).hasValueSatisfying(u -> {
      assertThat(u.promptTokens()).isEqualTo(backend.tokens(new Prompt.Chat(CHAT)).size());
      assertThat(u.completionTokens()).isEqualTo(expected.tokens().size());
      assertThat(u.totalTokens()).isEqualTo(u.promptTokens() + u.completionTokens());
    });
  }

  @Test
  void streamedChatWithoutUsageEndsWithTheFinishReason() {
    List<ChatCompletionChunk> chunks;
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat(6).build())) {
      chunks = stream.stream().collect(Collectors.toList());
    }
    assertThat(chunks).allSatisfy(c -> assertThat(c.usage()).isEmpty());
    assertThat(chunks).allSatisfy(c -> assertThat(c.choices()).hasSize(1));
    assertThat(chunks.get(chunks.size() - 1).choices().get(0).finishReason()).isPresent();
  }

  @Test
  void completionIsWhatTheEngineGenerates() {
    Generation expected = engine(new Prompt.Text(PROMPT), GenerationParams.greedy(10));

    Completion c = client.completions().create(CompletionCreateParams.builder()
        .model(MODEL).prompt(PROMPT).maxTokens(10).temperature(0.0).build());

    assertThat(c.id()).startsWith("cmpl-");
    assertThat(c.model()).isEqualTo(MODEL);
    assertThat(c.choices()).singleElement().satisfies(choice -> {
      assertThat(choice.text()).isEqualTo(expected.text()).isNotEmpty();
      assertThat(choice.finishReason().asString()).isEqualTo(LlamaTestBackend.finishReason(expected));
    });
    assertThat(c.usage()).hasValueSatisfying(u -> {
      assertThat(u.promptTokens()).isEqualTo(backend.tokens(new Prompt.Text(PROMPT)).size());
      assertThat(u.completionTokens()).isEqualTo(expected.tokens().size());
    });
  }

  @Test
  void streamedCompletionConcatenatesToTheSameText() {
    Generation expected = engine(new Prompt.Text(PROMPT), GenerationParams.greedy(10));
    List<Completion> chunks;
    try (StreamResponse<Completion> stream = client.completions().createStreaming(CompletionCreateParams.builder()
        .model(MODEL).prompt(PROMPT).maxTokens(10).temperature(0.0)
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
        .build())) {
      chunks = stream.stream().collect(Collectors.toList());
    }
    assertThat(chunks.size()).isGreaterThanOrEqualTo(4);
    assertThat(chunks).extracting(Completion::id).containsOnly(chunks.get(0).id());
    List<Completion> withChoices = chunks.subList(0, chunks.size() - 1);
    assertThat(withChoices.stream().map(c -> c.choices().get(0).text()).collect(Collectors.joining()))
        .isEqualTo(expected.text());
    Completion finish = withChoices.get(withChoices.size() - 1);
    assertThat(finish.choices().get(0).finishReason().asString()).isEqualTo(LlamaTestBackend.finishReason(expected));
    Completion usage = chunks.get(chunks.size() - 1);
    assertThat(usage.choices()).isEmpty();
    assertThat(usage.usage()).hasValueSatisfying(
        u -> assertThat(u.completionTokens()).isEqualTo(expected.tokens().size()));
  }

  @Test
  void theSameSeedGivesTheSameSampledText() {
    ChatCompletionCreateParams params = chat(16).temperature(0.8).seed(42).build();
    String first = client.chat().completions().create(params).choices().get(0).message().content().orElseThrow();
    String second = client.chat().completions().create(params).choices().get(0).message().content().orElseThrow();
    assertThat(second).isEqualTo(first);
    // And it is the engine's own sampling with that seed, not greedy decoding.
    Generation expected = engine(new Prompt.Chat(CHAT), new GenerationParams(16, 0.8f, 1.0, 0, 42, List.of()));
    assertThat(first).isEqualTo(expected.text());
  }

  @Test
  void aStopSequenceCutsTheTextAndFinishesWithStop() {
    String full = engine(new Prompt.Text(PROMPT), GenerationParams.greedy(24)).text();
    String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
    Completion c = client.completions().create(CompletionCreateParams.builder()
        .model(MODEL).prompt(PROMPT).maxTokens(24).temperature(0.0).stop(stop).build());
    assertThat(c.choices().get(0).text()).isEqualTo(full.substring(0, full.indexOf(stop)));
    assertThat(c.choices().get(0).finishReason().asString()).isEqualTo("stop");
  }

  @Test
  void aPromptLongerThanTheContextIsRefusedAs400() {
    // "▁forest" is one token: one more than the context holds, with BOS.
    String longPrompt = "forest".repeat(1) + " forest".repeat(backend.model().config().contextLength());
    assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder()
        .model(MODEL).prompt(longPrompt).maxTokens(4).build()))
        .isInstanceOfSatisfying(BadRequestException.class, e -> {
          assertThat(e.statusCode()).isEqualTo(400);
          assertThat(e.param()).hasValue("prompt");
        });
  }
}
