package io.canopy.compute.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bundled all-MiniLM-L6-v2 tokenizer against ids from the reference implementation (see
 * {@code wordpiece-golden.json} and the README beside it), and the pipeline's rules on a small
 * hand-made vocabulary.
 */
class WordPieceTokenizerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static WordPieceTokenizer miniLm;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = WordPieceTokenizerTest.class.getResourceAsStream(OnnxEmbedder.MINILM_TOKENIZER_RESOURCE)) {
      miniLm = WordPieceTokenizer.fromJson(in).withMaxLength(OnnxEmbedder.MINILM_MAX_TOKENS);
    }
  }

  static Stream<Arguments> goldenCases() throws IOException {
    JsonNode root;
    try (InputStream in = WordPieceTokenizerTest.class.getResourceAsStream("wordpiece-golden.json")) {
      root = JSON.readTree(in);
    }
    List<Arguments> cases = new ArrayList<>();
    for (JsonNode c : root.path("cases")) {
      int[] ids = new int[c.path("ids").size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = c.path("ids").get(i).asInt();
      }
      cases.add(Arguments.of(c.path("name").asText(), c.path("text").asText(), ids));
    }
    assertThat(cases).hasSizeGreaterThan(30);
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenCases")
  void matchesTheReferenceTokenizer(String name, String text, int[] expectedIds) {
    WordPieceTokenizer.Encoding encoding = miniLm.encode(text);

    assertThat(encoding.ids())
        .as("%s: got %s", name, tokens(encoding.ids()))
        .containsExactly(expectedIds);
  }

  @Test
  void readsTheLimitOfTokenizerJsonAndMarksTruncation() throws IOException {
    try (InputStream in = getClass().getResourceAsStream(OnnxEmbedder.MINILM_TOKENIZER_RESOURCE)) {
      assertThat(WordPieceTokenizer.fromJson(in).maxLength()).isEqualTo(128);
    }
    String words254 = "word ".repeat(254);
    assertThat(miniLm.encode(words254).length()).isEqualTo(256);
    assertThat(miniLm.encode(words254).truncated()).isFalse();
    WordPieceTokenizer.Encoding cut = miniLm.encode(words254 + "more");
    assertThat(cut.length()).isEqualTo(256);
    assertThat(cut.truncated()).isTrue();
    assertThat(cut.ids()[255]).isEqualTo(102);
    assertThat(miniLm.encode("").ids()).containsExactly(101, 102);
    assertThat(miniLm.withMaxLength(3).encode("hello world").ids()).containsExactly(101, 7592, 102);
    assertThatThrownBy(() -> miniLm.withMaxLength(2)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void tokenizeGivesPiecesWithoutSpecialTokens() {
    assertThat(miniLm.tokenize("Unaffable tokenisation!"))
        .containsExactly("una", "##ffa", "##ble", "token", "##isation", "!");
    assertThat(miniLm.token(101)).isEqualTo("[CLS]");
    assertThat(miniLm.vocabSize()).isEqualTo(30522);
  }

  // A small vocabulary makes each rule visible on its own.
  private static final String SMALL_VOCAB =
      """
      {"[PAD]":0,"[UNK]":1,"[CLS]":2,"[SEP]":3,"un":4,"##aff":5,"##able":6,"##a":7,"aff":8,
       "café":9,"cafe":10,"!":11,"a":12,"##ff":13,"b":14,"中":15,"$":16,"x":17,"##b":18,
       "\uD835\uDD1E":19,"##\uD835\uDD1E":20}""";

  private static WordPieceTokenizer small(String normalizer, int maxChars) throws IOException {
    String json =
        """
        {"version":"1.0","truncation":null,"padding":null,
         "added_tokens":[{"id":2,"content":"[CLS]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
                         {"id":3,"content":"[SEP]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
         "normalizer":%s,
         "pre_tokenizer":{"type":"BertPreTokenizer"},
         "post_processor":{"type":"BertProcessing","sep":["[SEP]",3],"cls":["[CLS]",2]},
         "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":%d,"vocab":%s}}"""
            .formatted(normalizer, maxChars, SMALL_VOCAB);
    return WordPieceTokenizer.fromJson(json.getBytes(StandardCharsets.UTF_8));
  }

  private static final String BERT_UNCASED =
      "{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":true,\"strip_accents\":null,\"lowercase\":true}";

  @Test
  void wordPieceIsGreedyLongestMatchFirstAndAllOrNothing() throws IOException {
    WordPieceTokenizer t = small(BERT_UNCASED, 100);
    assertThat(t.encode("unaffable").ids()).containsExactly(2, 4, 5, 6, 3);
    // "aff", then "##a", then no "##x": the whole word is [UNK], not the pieces found so far.
    assertThat(t.encode("affax").ids()).containsExactly(2, 1, 3);
    assertThat(t.encode("ab ab!").ids()).containsExactly(2, 12, 18, 12, 18, 11, 3);
    assertThat(t.maxLength()).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void wordsLongerThanTheLimitInCodePointsAreUnknown() throws IOException {
    WordPieceTokenizer t = small(BERT_UNCASED, 3);
    assertThat(t.encode("aaa").ids()).containsExactly(2, 12, 7, 7, 3);
    assertThat(t.encode("aaaa").ids()).containsExactly(2, 1, 3);
    assertThat(t.encode("aff").ids()).containsExactly(2, 8, 3);
    assertThat(t.encode("affb").ids()).containsExactly(2, 1, 3);
    // Code points, not UTF-16 units: three mathematical fraktur a's are three characters, not six.
    String fraktur3 = "\uD835\uDD1E".repeat(3);
    assertThat(t.encode(fraktur3).ids()).containsExactly(2, 19, 20, 20, 3);
    assertThat(t.encode(fraktur3 + "\uD835\uDD1E").ids()).containsExactly(2, 1, 3);
  }

  @Test
  void normalizerOptionsAreHonoured() throws IOException {
    String keepAccents =
        "{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":true,\"strip_accents\":false,\"lowercase\":true}";
    assertThat(small(keepAccents, 100).encode("CAFÉ").ids()).containsExactly(2, 9, 3);
    assertThat(small(BERT_UNCASED, 100).encode("CAFÉ").ids()).containsExactly(2, 10, 3);
    String cased =
        "{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":false,\"strip_accents\":null,\"lowercase\":false}";
    assertThat(small(cased, 100).encode("CAFE").ids()).containsExactly(2, 1, 3);
    // Without handle_chinese_chars an ideograph stays glued to its neighbours.
    assertThat(small(cased, 100).encode("a中b").ids()).containsExactly(2, 1, 3);
    assertThat(small(BERT_UNCASED, 100).encode("a中b").ids()).containsExactly(2, 12, 15, 14, 3);
    // ASCII symbols that Unicode does not call punctuation still split.
    assertThat(small(BERT_UNCASED, 100).encode("x$x").ids()).containsExactly(2, 17, 16, 17, 3);
  }

  @Test
  void specialTokensInTheTextAreMatchedBeforeNormalisation() throws IOException {
    WordPieceTokenizer t = small(BERT_UNCASED, 100);
    assertThat(t.encode("a[SEP]b").ids()).containsExactly(2, 12, 3, 14, 3);
    // Lowercase is not the token: it is normalised and split like any text.
    assertThat(t.encode("a[sep]b").ids()).containsExactly(2, 12, 1, 1, 1, 14, 3);
  }

  @Test
  void refusesTokenizersItWouldNotReproduce() {
    assertThatThrownBy(() -> small("{\"type\":\"NFKC\"}", 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("normalizer");
    String bpe = "{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]}}";
    assertThatThrownBy(() -> WordPieceTokenizer.fromJson(bpe.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("model type");
  }

  private static List<String> tokens(int[] ids) {
    List<String> out = new ArrayList<>();
    for (int id : ids) {
      out.add(miniLm.token(id));
    }
    return out;
  }
}
