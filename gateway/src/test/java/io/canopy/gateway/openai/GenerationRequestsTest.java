package io.canopy.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.compute.llm.ChatMessage;
import io.canopy.protocol.compute.Params;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** {@link ChatCompletionRequest} and {@link CompletionRequest} by plain calls: what a body becomes. */
class GenerationRequestsTest {

  private static ChatCompletionRequest chat(String json) {
    return ChatCompletionRequest.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  private static CompletionRequest completion(String json) {
    return CompletionRequest.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void defaultsAreOpenAis() {
    ChatCompletionRequest r = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(r.model()).isEqualTo("m");
    assertThat(r.messages()).containsExactly(ChatMessage.user("hi"));
    assertThat(r.options()).isEqualTo(new GenerationOptions(0, 1f, 1f, 0, OptionalLong.empty(), List.of(), false, false));
    // No seed: the random one is used; a chosen seed wins over it.
    assertThat(r.options().params(99)).isEqualTo(new Params(0, 1f, 1f, 0, 99, List.of()));
  }

  @Test
  void everySupportedFieldReachesTheParams() {
    ChatCompletionRequest r = chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
        + "\"max_tokens\":5,\"max_completion_tokens\":7,\"temperature\":0.5,\"top_p\":0.25,\"top_k\":40,\"seed\":-3,"
        + "\"stop\":\"END\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
    assertThat(r.options().params(99)).isEqualTo(new Params(7, 0.5f, 0.25f, 40, -3, List.of("END")));
    assertThat(r.options().stream()).isTrue();
    assertThat(r.options().includeUsage()).isTrue();
  }

  @Test
  void rolesAndContentPartsBecomeTextMessages() {
    ChatCompletionRequest r = chat("{\"model\":\"m\",\"messages\":["
        + "{\"role\":\"developer\",\"content\":\"be brief\"},"
        + "{\"role\":\"user\",\"name\":\"ann\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]},"
        + "{\"role\":\"assistant\",\"content\":\"ab\"}]}");
    assertThat(r.messages()).containsExactly(ChatMessage.system("be brief"), ChatMessage.user("ab"),
        ChatMessage.assistant("ab"));
  }

  @Test
  void aPromptIsAStringOrOneStringInAnArray() {
    assertThat(completion("{\"model\":\"m\",\"prompt\":\"once\"}").prompt()).isEqualTo("once");
    assertThat(completion("{\"model\":\"m\",\"prompt\":[\"once\"],\"stop\":[\"a\",\"b\"]}").options().stop())
        .containsExactly("a", "b");
    assertThat(completion("{\"model\":\"m\",\"prompt\":\"\"}").prompt()).isEmpty();
  }

  @Test
  void refusalsNameTheirParameter() {
    assertThatThrownBy(() -> chat("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}"))
        .isInstanceOfSatisfying(OpenAiException.class, e -> {
          assertThat(e.error()).isEqualTo(OpenAiError.INVALID_REQUEST);
          assertThat(e.param()).isEqualTo("messages[0].content[0].type");
          assertThat(e.getMessage()).contains("input_audio");
        });
    assertThatThrownBy(() -> completion("{\"model\":\"m\",\"prompt\":[[1,2]]}"))
        .isInstanceOfSatisfying(OpenAiException.class, e -> assertThat(e.getMessage()).contains("not supported"));
  }
}
