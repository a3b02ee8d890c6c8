package io.canopy.compute.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * BERT tokenisation as a HuggingFace {@code tokenizer.json} defines it: added (special) tokens
 * matched in the raw text, then {@link BertNormalizer}, {@link BertPreTokenizer}, WordPiece
 * (greedy longest match first, {@code ##} continuations, a word longer than {@code
 * max_input_chars_per_word} code points or with an unmatched rest becomes {@code [UNK]} whole),
 * truncation, and the {@code TemplateProcessing} (or {@code BertProcessing}) post-processor that
 * adds {@code [CLS] … [SEP]}.
 *
 * <p>Only what BERT-family tokenizers use is accepted; {@link #fromJson} refuses any other
 * normalizer, pre-tokenizer, model or post-processor rather than tokenising differently from the
 * reference. Padding is the caller's (see {@link OnnxEmbedder}, which pads to the longest input of
 * a batch). Immutable and safe for concurrent use.
 */
public final class WordPieceTokenizer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, Integer> vocab;
  private final String[] idToToken;
  private final int unkId;
  private final String continuingPrefix;
  private final int maxInputCharsPerWord;
  /** The longest vocabulary entry in code points, without the continuation prefix. */
  private final int longestPiece;
  private final BertNormalizer normalizer;
  /** Added tokens matched verbatim in the input before normalisation, longest first. */
  private final List<AddedToken> addedTokens;
  private final int[] prefixIds;
  private final int[] suffixIds;
  private final int maxLength;

  private record AddedToken(String content, int id) {}

  /**
   * The result of {@link #encode}: the ids to feed the model, special tokens included.
   *
   * @param truncated whether tokens were dropped to fit {@link #maxLength()}
   */
  public record Encoding(int[] ids, boolean truncated) {
    public int length() {
      return ids.length;
    }
  }

  private WordPieceTokenizer(WordPieceTokenizer base, int maxLength) {
    this.vocab = base.vocab;
    this.idToToken = base.idToToken;
    this.unkId = base.unkId;
    this.continuingPrefix = base.continuingPrefix;
    this.maxInputCharsPerWord = base.maxInputCharsPerWord;
    this.longestPiece = base.longestPiece;
    this.normalizer = base.normalizer;
    this.addedTokens = base.addedTokens;
    this.prefixIds = base.prefixIds;
    this.suffixIds = base.suffixIds;
    if (maxLength <= prefixIds.length + suffixIds.length) {
      throw new IllegalArgumentException("max length " + maxLength + " leaves no room for text");
    }
    this.maxLength = maxLength;
  }

  private WordPieceTokenizer(JsonNode root) {
    JsonNode model = root.path("model");
    require("WordPiece".equals(model.path("type").asText()), "model type " + model.path("type"));
    Map<String, Integer> v = new HashMap<>();
    int maxId = -1;
    int longest = 0;
    String prefix = model.path("continuing_subword_prefix").asText("##");
    for (Map.Entry<String, JsonNode> e : model.path("vocab").properties()) {
      int id = e.getValue().asInt();
      v.put(e.getKey(), id);
      maxId = Math.max(maxId, id);
      String piece = e.getKey().startsWith(prefix) ? e.getKey().substring(prefix.length()) : e.getKey();
      longest = Math.max(longest, piece.codePointCount(0, piece.length()));
    }
    require(!v.isEmpty(), "empty vocab");
    this.continuingPrefix = prefix;
    this.maxInputCharsPerWord = model.path("max_input_chars_per_word").asInt(100);
    this.longestPiece = longest;

    List<AddedToken> added = new ArrayList<>();
    for (JsonNode t : root.path("added_tokens")) {
      require(
          !t.path("normalized").asBoolean() && !t.path("single_word").asBoolean()
              && !t.path("lstrip").asBoolean() && !t.path("rstrip").asBoolean(),
          "added token options of " + t.path("content"));
      int id = t.path("id").asInt();
      added.add(new AddedToken(t.path("content").asText(), id));
      maxId = Math.max(maxId, id);
    }
    added.sort((a, b) -> Integer.compare(b.content.length(), a.content.length()));
    this.addedTokens = List.copyOf(added);

    String[] names = new String[maxId + 1];
    v.forEach((token, id) -> names[id] = token);
    added.forEach(t -> names[t.id] = t.content);
    for (AddedToken t : added) {
      v.putIfAbsent(t.content, t.id);
    }
    this.vocab = Map.copyOf(v);
    this.idToToken = names;
    String unk = model.path("unk_token").asText("[UNK]");
    require(vocab.containsKey(unk), "unk token " + unk + " not in vocab");
    this.unkId = vocab.get(unk);

    this.normalizer = parseNormalizer(root.path("normalizer"));
    JsonNode pre = root.path("pre_tokenizer");
    require("BertPreTokenizer".equals(pre.path("type").asText()), "pre_tokenizer " + pre.path("type"));

    List<Integer> before = new ArrayList<>();
    List<Integer> after = new ArrayList<>();
    parsePostProcessor(root.path("post_processor"), before, after);
    this.prefixIds = before.stream().mapToInt(Integer::intValue).toArray();
    this.suffixIds = after.stream().mapToInt(Integer::intValue).toArray();

    JsonNode truncation = root.path("truncation");
    if (truncation.isObject()) {
      require("Right".equals(truncation.path("direction").asText("Right")), "truncation direction");
      this.maxLength = truncation.path("max_length").asInt();
    } else {
      this.maxLength = Integer.MAX_VALUE;
    }
  }

  /** Reads a {@code tokenizer.json}; the stream is not closed. */
  public static WordPieceTokenizer fromJson(InputStream tokenizerJson) throws IOException {
    return new WordPieceTokenizer(JSON.readTree(tokenizerJson));
  }

  public static WordPieceTokenizer fromJson(byte[] tokenizerJson) throws IOException {
    return new WordPieceTokenizer(JSON.readTree(tokenizerJson));
  }

  /**
   * This tokenizer truncating to {@code maxLength} ids, special tokens included, instead of the
   * {@code truncation.max_length} of its {@code tokenizer.json} (no limit if it has none).
   */
  public WordPieceTokenizer withMaxLength(int maxLength) {
    return new WordPieceTokenizer(this, maxLength);
  }

  public int maxLength() {
    return maxLength;
  }

  public int vocabSize() {
    return idToToken.length;
  }

  /** The vocabulary entry for {@code id}, e.g. {@code "##ing"} or {@code "[CLS]"}. */
  public String token(int id) {
    return idToToken[id];
  }

  /** Tokenises one sequence: {@code [CLS]} text pieces (truncated from the right) {@code [SEP]}. */
  public Encoding encode(String text) {
    Objects.requireNonNull(text, "text");
    int room = maxLength == Integer.MAX_VALUE ? Integer.MAX_VALUE - 1 : maxLength - prefixIds.length - suffixIds.length;
    IdBuffer pieces = new IdBuffer();
    tokenizeInto(text, pieces, room);
    boolean truncated = pieces.size > room;
    int n = Math.min(pieces.size, room);
    int[] ids = new int[prefixIds.length + n + suffixIds.length];
    System.arraycopy(prefixIds, 0, ids, 0, prefixIds.length);
    System.arraycopy(pieces.ids, 0, ids, prefixIds.length, n);
    System.arraycopy(suffixIds, 0, ids, prefixIds.length + n, suffixIds.length);
    return new Encoding(ids, truncated);
  }

  /** The WordPiece tokens of {@code text}, without special tokens or truncation. */
  public List<String> tokenize(String text) {
    IdBuffer pieces = new IdBuffer();
    tokenizeInto(text, pieces, Integer.MAX_VALUE - 1);
    List<String> tokens = new ArrayList<>(pieces.size);
    for (int i = 0; i < pieces.size; i++) {
      tokens.add(idToToken[pieces.ids[i]]);
    }
    return tokens;
  }

  /**
   * Appends the ids of {@code text}, stopping at the first word that takes them past {@code
   * limit}: the caller only needs to know that more would follow.
   */
  private void tokenizeInto(String text, IdBuffer out, int limit) {
    int segmentStart = 0;
    int i = 0;
    while (i < text.length() && out.size <= limit) {
      AddedToken match = addedTokenAt(text, i);
      if (match == null) {
        i++;
        continue;
      }
      tokenizeSegment(text.substring(segmentStart, i), out, limit);
      out.add(match.id);
      i += match.content.length();
      segmentStart = i;
    }
    if (out.size <= limit) {
      tokenizeSegment(text.substring(segmentStart), out, limit);
    }
  }

  private AddedToken addedTokenAt(String text, int at) {
    for (AddedToken t : addedTokens) {
      if (text.startsWith(t.content, at)) {
        return t; // longest first, so this is the leftmost-longest match
      }
    }
    return null;
  }

  private void tokenizeSegment(String segment, IdBuffer out, int limit) {
    if (segment.isEmpty()) {
      return;
    }
    for (String word : BertPreTokenizer.split(normalizer.normalize(segment))) {
      if (out.size > limit) {
        return;
      }
      wordPiece(word, out);
    }
  }

  private void wordPiece(String word, IdBuffer out) {
    int[] cps = word.codePoints().toArray();
    if (cps.length > maxInputCharsPerWord) {
      out.add(unkId);
      return;
    }
    int mark = out.size;
    int start = 0;
    while (start < cps.length) {
      int end = Math.min(cps.length, start + longestPiece);
      Integer id = null;
      while (end > start) {
        String piece = new String(cps, start, end - start);
        id = vocab.get(start > 0 ? continuingPrefix + piece : piece);
        if (id != null) {
          break;
        }
        end--;
      }
      if (id == null) {
        out.size = mark;
        out.add(unkId);
        return;
      }
      out.add(id);
      start = end;
    }
  }

  private static BertNormalizer parseNormalizer(JsonNode n) {
    require("BertNormalizer".equals(n.path("type").asText()), "normalizer " + n.path("type"));
    boolean lowercase = n.path("lowercase").asBoolean(true);
    JsonNode strip = n.path("strip_accents");
    return new BertNormalizer(
        n.path("clean_text").asBoolean(true),
        n.path("handle_chinese_chars").asBoolean(true),
        strip.isBoolean() ? strip.asBoolean() : lowercase,
        lowercase);
  }

  /** Collects the special-token ids placed before and after sequence A of a single input. */
  private void parsePostProcessor(JsonNode p, List<Integer> before, List<Integer> after) {
    String type = p.path("type").asText();
    if ("BertProcessing".equals(type)) {
      before.add(p.path("cls").get(1).asInt());
      after.add(p.path("sep").get(1).asInt());
      return;
    }
    require("TemplateProcessing".equals(type), "post_processor " + type);
    boolean seenA = false;
    for (JsonNode piece : p.path("single")) {
      if (piece.has("Sequence")) {
        require("A".equals(piece.path("Sequence").path("id").asText()) && !seenA, "single template");
        seenA = true;
      } else {
        String name = piece.path("SpecialToken").path("id").asText();
        JsonNode special = p.path("special_tokens").path(name);
        require(special.path("ids").isArray(), "special token " + name);
        for (JsonNode id : special.path("ids")) {
          (seenA ? after : before).add(id.asInt());
        }
      }
    }
    require(seenA, "single template without sequence A");
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalArgumentException("unsupported tokenizer.json: " + what);
    }
  }

  private static final class IdBuffer {
    int[] ids = new int[64];
    int size;

    void add(int id) {
      if (size == ids.length) {
        ids = Arrays.copyOf(ids, size * 2);
      }
      ids[size++] = id;
    }
  }
}
