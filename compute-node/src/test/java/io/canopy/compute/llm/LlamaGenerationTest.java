package io.canopy.compute.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Stop sequences, token limits and the context limit, on the F32 test model whose greedy output
 * for the "english" prompt is known from llama.cpp:
 * {@code " ye Zwischen methodqqInentin revision Licencia ..."}.
 */
class LlamaGenerationTest {
  static final String ENGLISH = "Once upon a time, there was a little girl named Lily. She loved to play outside.";

  static LlamaModel model() {
    return LlamaCppVectorsTest.model(LlamaCppVectorsTest.F32);
  }

  static List<Integer> prompt() {
    return model().tokenizer().encode(ENGLISH, true);
  }

  static final class Recorder implements TokenListener {
    final List<Integer> ids = new ArrayList<>();
    final StringBuilder text = new StringBuilder();

    @Override
    public void onToken(int tokenId, String t) {
      ids.add(tokenId);
      text.append(t);
    }
  }

  @Test
  void maxTokensLimitsTheCompletion() {
    Recorder r = new Recorder();
    Generation g = model().newSession().generate(prompt(), GenerationParams.greedy(5), r);
    assertThat(g.tokens()).containsExactly(8007, 24527, 1158, 24349, 797);
    assertThat(g.text()).isEqualTo(" ye Zwischen methodqqIn");
    assertThat(g.finishReason()).isEqualTo(Generation.FinishReason.MAX_TOKENS);
    assertThat(g.usage()).isEqualTo(new Generation.Usage(21, 5));
    assertThat(r.ids).isEqualTo(g.tokens());
    assertThat(r.text.toString()).isEqualTo(g.text());
  }

  @Test
  void stopSequenceCutsTheTextBeforeIt() {
    Recorder r = new Recorder();
    Generation g = model().newSession().generate(prompt(), GenerationParams.greedy(32).withStop(List.of("method")), r);
    assertThat(g.text()).isEqualTo(" ye Zwischen ");
    assertThat(g.tokens()).containsExactly(8007, 24527, 1158);
    assertThat(g.finishReason()).isEqualTo(Generation.FinishReason.STOP_SEQUENCE);
    assertThat(r.text.toString()).isEqualTo(g.text());
  }

  @Test
  void stopSequenceSpanningTokensIsFoundAndPartialMatchesAreHeldBack() {
    Recorder r = new Recorder();
    // "qq" + "In" are two tokens; "q" alone must be held back after "qq" until "In" arrives.
    Generation g = model().newSession().generate(prompt(), GenerationParams.greedy(32).withStop(List.of("xyz", "qqIn")), r);
    assertThat(g.text()).isEqualTo(" ye Zwischen method");
    assertThat(g.tokens()).hasSize(5);
    assertThat(g.finishReason()).isEqualTo(Generation.FinishReason.STOP_SEQUENCE);
    assertThat(r.text.toString()).isEqualTo(g.text());
    assertThat(r.ids).containsExactly(8007, 24527, 1158, 24349, 797);
  }

  @Test
  void unmatchedPrefixIsReleasedAtTheEnd() {
    Recorder r = new Recorder();
    // The text ends in "...In" after 5 tokens; "Inx" never completes, so "In" is released last.
    Generation g = model().newSession().generate(prompt(), GenerationParams.greedy(5).withStop(List.of("Inx")), r);
    assertThat(g.text()).isEqualTo(" ye Zwischen methodqqIn");
    assertThat(g.finishReason()).isEqualTo(Generation.FinishReason.MAX_TOKENS);
    assertThat(r.ids).containsExactly(8007, 24527, 1158, 24349, 797, TokenListener.END);
    assertThat(r.text.toString()).isEqualTo(g.text());
  }

  @Test
  void contextLimitEndsGenerationAndRejectsLongPrompts() {
    Session s = model().newSession(24);
    Generation g = s.generate(prompt(), GenerationParams.greedy(32), TokenListener.NONE);
    // 21 prompt tokens fill positions 0..20; 3 more tokens are evaluated, the 4th is only sampled.
    assertThat(g.tokens()).containsExactly(8007, 24527, 1158, 24349);
    assertThat(g.finishReason()).isEqualTo(Generation.FinishReason.CONTEXT_FULL);
    assertThat(s.position()).isEqualTo(24);
    assertThatThrownBy(() -> s.forward(1)).isInstanceOf(ContextLengthExceededException.class)
        .hasMessageContaining("context length 24");
    List<Integer> tooLong = new ArrayList<>(Collections.nCopies(25, 1));
    assertThatThrownBy(() -> model().newSession(24).generate(tooLong, GenerationParams.greedy(1), TokenListener.NONE))
        .isInstanceOf(ContextLengthExceededException.class).hasMessageContaining("25 tokens");
    assertThatThrownBy(() -> model().newSession(257)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void sessionsCanBeReused() {
    Session s = model().newSession();
    Generation a = s.generate(prompt(), GenerationParams.greedy(4), TokenListener.NONE);
    Generation b = s.generate(prompt(), GenerationParams.greedy(4), TokenListener.NONE);
    assertThat(b.tokens()).isEqualTo(a.tokens());
  }

  @Test
  void rejectsBadInput() {
    assertThatThrownBy(() -> model().newSession().generate(List.of(), GenerationParams.greedy(1), TokenListener.NONE))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> model().newSession().forward(32000)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new GenerationParams(0, 0, 1, 0, 0, List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new GenerationParams(1, 0, 0, 0, 0, List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new GenerationParams(1, -1, 1, 0, 0, List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GenerationParams.greedy(1).withStop(List.of(""))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void stopSequenceMatcherUnits() {
    StopSequences s = new StopSequences(List.of("END", "é!"));
    byte[] t = "abENxEND".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(s.find(t, 0, t.length)).isEqualTo(5);
    assertThat(s.find(t, 0, 4)).isEqualTo(-1);
    assertThat(s.holdBack(t, 4)).isEqualTo(2); // "EN"
    assertThat(s.holdBack(t, 3)).isEqualTo(1); // "E"
    assertThat(s.holdBack(t, 5)).isZero();
    byte[] e = "xé".getBytes(java.nio.charset.StandardCharsets.UTF_8); // 78 C3 A9
    assertThat(s.holdBack(e, 2)).isEqualTo(1); // C3 starts "é!"
    assertThat(StopSequences.completeUtf8(e, 0, 2)).isEqualTo(1); // C3 alone is incomplete
    assertThat(StopSequences.completeUtf8(e, 0, 3)).isEqualTo(3);
    byte[] emoji = "🦙".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(StopSequences.completeUtf8(emoji, 0, 3)).isZero();
    assertThat(StopSequences.completeUtf8(emoji, 0, 4)).isEqualTo(4);
  }
}
