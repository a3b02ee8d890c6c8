package io.canopy.compute.llm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** llama.cpp's 46 tokenizer test strings for the llama-2 SPM vocabulary, plus decoding. */
class SpmTokenizerTest {
  static SpmTokenizer tokenizer() {
    return LlamaCppVectorsTest.model(LlamaCppVectorsTest.F32).tokenizer();
  }

  static JsonNode vectors() throws IOException {
    try (InputStream in = SpmTokenizerTest.class.getResourceAsStream("/llm/tokenizer-llama-spm.vectors.json")) {
      return new ObjectMapper().readTree(in);
    }
  }

  static Stream<JsonNode> cases() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    vectors().get("cases").forEach(out::add);
    return out.stream();
  }

  @Test
  void thereAre46Cases() throws IOException {
    assertThat(vectors().get("cases")).hasSize(46);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void encodesLikeLlamaCpp(JsonNode c) {
    String text = c.get("text").asText();
    assertThat(tokenizer().encode(text, false)).isEqualTo(LlamaCppVectorsTest.ints(c.get("tokens")));
    assertThat(tokenizer().encode(text, true)).isEqualTo(LlamaCppVectorsTest.ints(c.get("tokens_with_bos")));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void decodesToTheTextWithTheSpacePrefix(JsonNode c) {
    String text = c.get("text").asText();
    List<Integer> tokens = LlamaCppVectorsTest.ints(c.get("tokens"));
    assertThat(tokenizer().decode(tokens)).isEqualTo(text.isEmpty() ? "" : " " + text);
    assertThat(tokenizer().decode(LlamaCppVectorsTest.ints(c.get("tokens_with_bos")))).as("BOS decodes to nothing")
        .isEqualTo(text.isEmpty() ? "" : " " + text);
  }

  @Test
  void byteFallbackTokensAssembleUtf8() {
    SpmTokenizer t = tokenizer();
    // U+1F999 (llama emoji) is not in the vocabulary: four byte tokens <0xF0><0x9F><0xA6><0x99>.
    List<Integer> ids = t.encode("🦙", false);
    assertThat(ids).hasSize(5);
    assertThat(t.text(ids.get(0))).isEqualTo("▁");
    assertThat(ids.subList(1, 5)).allSatisfy(id -> assertThat(t.type(id)).isEqualTo(SpmTokenizer.TokenType.BYTE));
    assertThat(t.text(ids.get(1))).isEqualTo("<0xF0>");
    assertThat(t.pieceBytes(ids.get(1))).containsExactly((byte) 0xF0);
    assertThat(t.decode(ids)).isEqualTo(" 🦙");
    // A lone byte token is not valid UTF-8 alone.
    assertThat(t.decode(ids.subList(0, 2))).isEqualTo(" \uFFFD");
  }

  @Test
  void vocabularyMetadata() {
    SpmTokenizer t = tokenizer();
    assertThat(t.vocabularySize()).isEqualTo(32000);
    assertThat(t.bos()).isEqualTo(1);
    assertThat(t.eos()).isEqualTo(2);
    assertThat(t.addsBos()).isTrue();
    assertThat(t.isEndOfGeneration(2)).isTrue();
    assertThat(t.isEndOfGeneration(1)).isFalse();
    assertThat(t.type(0)).isEqualTo(SpmTokenizer.TokenType.UNKNOWN);
    assertThat(t.type(1)).isEqualTo(SpmTokenizer.TokenType.CONTROL);
    assertThat(t.pieceBytes(1)).isEmpty();
    assertThat(t.pieceBytes(0)).isEmpty();
    assertThat(new String(t.pieceBytes(t.encode("Hello", false).get(0)), StandardCharsets.UTF_8)).isEqualTo(" Hello");
  }

  @Test
  void specialTokensAreParsedOnlyWhenAsked() {
    SpmTokenizer t = tokenizer();
    List<Integer> plain = t.encode("a</s>b", false, false);
    assertThat(plain).doesNotContain(2);
    assertThat(t.decode(plain)).isEqualTo(" a</s>b");
    List<Integer> parsed = t.encode("a</s>b", false, true);
    // "a", then EOS, then "b" which, following a special token, gets the space prefix again
    // (llama.cpp: is_prev_special).
    assertThat(parsed).containsSubsequence(2);
    assertThat(parsed.get(0)).isEqualTo(t.encode("a", false).get(0));
    assertThat(parsed.subList(parsed.indexOf(2) + 1, parsed.size())).isEqualTo(t.encode("b", false));
  }

  @Test
  void addSpecialFalseAddsNoBos() {
    assertThat(tokenizer().encode("", true)).containsExactly(1);
    assertThat(tokenizer().encode("", false)).isEmpty();
  }
}
