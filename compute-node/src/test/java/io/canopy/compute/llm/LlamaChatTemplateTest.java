package io.canopy.compute.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LlamaChatTemplateTest {
  static final List<ChatMessage> CHAT = List.of(
      ChatMessage.system("Be brief."),
      ChatMessage.user("Hi"),
      ChatMessage.assistant("Hello."),
      ChatMessage.user("Bye"));

  // Fragments of the Jinja templates shipped in well-known GGUFs.
  static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + "
      + "messages[0]['content'].strip() + '\\n<</SYS>>\\n\\n' %}{% endif %}{% for message in loop_messages %}"
      + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
      + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
  static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
      + "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
  static final String LLAMA3 = "{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
      + "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}";
  static final String ZEPHYR = "{% for message in messages %}{% if message['role'] == 'user' %}{{ '<|user|>\\n' + "
      + "message['content'] + eos_token }}{% elif message['role'] == 'assistant' %}{{ '<|assistant|>\\n' + "
      + "message['content'] + eos_token }}{% endif %}{% endfor %}";

  @Test
  void recognisesTheCommonFormats() {
    assertThat(ChatTemplate.detect(LLAMA2).format()).isEqualTo(ChatTemplate.Format.LLAMA2);
    assertThat(ChatTemplate.detect(CHATML).format()).isEqualTo(ChatTemplate.Format.CHATML);
    assertThat(ChatTemplate.detect(LLAMA3).format()).isEqualTo(ChatTemplate.Format.LLAMA3);
    assertThat(ChatTemplate.detect(ZEPHYR).format()).isEqualTo(ChatTemplate.Format.ZEPHYR);
    assertThat(ChatTemplate.detect(null).format()).isEqualTo(ChatTemplate.Format.CHATML);
    assertThat(ChatTemplate.detect("{{ something else }}").format()).isEqualTo(ChatTemplate.Format.CHATML);
    // the test model has no template
    assertThat(LlamaCppVectorsTest.model(LlamaCppVectorsTest.F32).chatTemplate().format()).isEqualTo(ChatTemplate.Format.CHATML);
  }

  @Test
  void rendersChatMl() {
    assertThat(ChatTemplate.of(ChatTemplate.Format.CHATML).render(CHAT, true)).isEqualTo(
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            + "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
  }

  @Test
  void rendersLlama2WithSystemBlockAndBosBetweenTurns() {
    assertThat(ChatTemplate.detect(LLAMA2).render(CHAT, true)).isEqualTo(
        "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]Hello.</s><s>[INST] Bye [/INST]");
  }

  @Test
  void rendersLlama3() {
    assertThat(ChatTemplate.of(ChatTemplate.Format.LLAMA3).render(List.of(ChatMessage.user(" Hi ")), true)).isEqualTo(
        "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  }

  @Test
  void rendersZephyr() {
    assertThat(ChatTemplate.of(ChatTemplate.Format.ZEPHYR).render(List.of(ChatMessage.user("Hi")), true))
        .isEqualTo("<|user|>\nHi</s>\n<|assistant|>\n");
  }

  @Test
  void llama2PromptTokenisesWithSpecialTokens() {
    SpmTokenizer t = LlamaCppVectorsTest.model(LlamaCppVectorsTest.F32).tokenizer();
    String prompt = ChatTemplate.detect(LLAMA2).render(CHAT, true);
    List<Integer> ids = t.encode(prompt, true, true);
    assertThat(ids.get(0)).isEqualTo(1);
    assertThat(ids).contains(2); // "</s>" parsed as EOS
    assertThat(ids.subList(1, ids.size())).contains(1); // "<s>" inside the history
  }
}
