package io.canopy.compute.llm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The SentencePiece (BPE-by-score) tokenizer of llama-family GGUF vocabularies
 * ({@code tokenizer.ggml.model = "llama"}), behaving as llama.cpp's {@code llm_tokenizer_spm}:
 *
 * <ol>
 *   <li>a space is put before the text ({@code add_space_prefix}, default true) and every space
 *       becomes {@code ▁} (U+2581);</li>
 *   <li>the text is split into UTF-8 characters; repeatedly the adjacent pair whose concatenation
 *       is a vocabulary token with the highest score is merged (ties: leftmost first);</li>
 *   <li>a final piece not in the vocabulary is emitted as byte-fallback tokens {@code <0xNN>}.</li>
 * </ol>
 *
 * Control and unknown tokens (like {@code <s>}) are recognised in the text only when
 * {@code parseSpecial} is set; user-defined tokens always are. Token texts are handled as raw UTF-8 bytes throughout.
 */
public final class SpmTokenizer {
  /** GGUF {@code tokenizer.ggml.token_type} values. */
  public enum TokenType {
    UNDEFINED, NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    static TokenType of(long v) {
      return v >= 0 && v < values().length ? values()[(int) v] : UNDEFINED;
    }
  }

  private static final byte[] SPACE_MARK = "\u2581".getBytes(StandardCharsets.UTF_8);

  private final String[] texts; // token texts as "byte strings" (ISO-8859-1 view of the UTF-8 bytes)
  private final byte[][] pieces; // decoded bytes of each token (control/unknown/unused: empty)
  private final float[] scores;
  private final TokenType[] types;
  private final Map<String, Integer> byText;
  private final int[] byteTokens = new int[256];
  private final int bos;
  private final int eos;
  private final int unk;
  private final boolean addBos;
  private final boolean addEos;
  private final boolean addSpacePrefix;
  private final Set<Integer> endOfGeneration;
  private final List<Integer> specials; // control + user-defined tokens, longest text first

  SpmTokenizer(String[] tokens, float[] scores, int[] types, int bos, int eos, int unk, int eot,
        boolean addBos, boolean addEos, boolean addSpacePrefix) {
    int n = tokens.length;
    if (scores.length != n || types.length != n) {
      throw new IllegalArgumentException("vocabulary arrays differ in length: tokens " + n + ", scores "
          + scores.length + ", types " + types.length);
    }
    this.texts = new String[n];
    this.pieces = new byte[n][];
    this.scores = scores.clone();
    this.types = new TokenType[n];
    this.byText = new HashMap<>(n * 2);
    Arrays.fill(byteTokens, -1);
    List<Integer> sp = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] utf8 = tokens[i].getBytes(StandardCharsets.UTF_8);
      texts[i] = new String(utf8, StandardCharsets.ISO_8859_1);
      this.types[i] = TokenType.of(types[i]);
      byText.putIfAbsent(texts[i], i);
      pieces[i] = switch (this.types[i]) {
        case NORMAL, UNDEFINED -> replace(utf8, SPACE_MARK, (byte) ' ');
        case USER_DEFINED -> utf8;
        case BYTE -> new byte[] {(byte) parseByteToken(tokens[i])};
        default -> new byte[0];
      };
      if (this.types[i] == TokenType.BYTE) {
        byteTokens[pieces[i][0] & 0xFF] = i;
      }
      if ((this.types[i] == TokenType.CONTROL || this.types[i] == TokenType.USER_DEFINED
          || this.types[i] == TokenType.UNKNOWN) && utf8.length > 0) {
        sp.add(i);
      }
    }
    sp.sort(Comparator.<Integer>comparingInt(i -> -texts[i].length()).thenComparingInt(i -> i));
    this.specials = List.copyOf(sp);
    this.bos = bos;
    this.eos = eos;
    this.unk = unk;
    this.addBos = addBos;
    this.addEos = addEos;
    this.addSpacePrefix = addSpacePrefix;
    Set<Integer> eog = new HashSet<>();
    if (eos >= 0) {
      eog.add(eos);
    }
    if (eot >= 0) {
      eog.add(eot);
    }
    // llama.cpp also ends generation on these well-known end-of-turn control tokens.
    for (String t : List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|endoftext|>", "<end_of_turn>", "<|end_of_text|>")) {
      Integer id = byText.get(new String(t.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
      if (id != null && this.types[id] == TokenType.CONTROL) {
        eog.add(id);
      }
    }
    this.endOfGeneration = Set.copyOf(eog);
  }

  /** Reads the vocabulary from {@code tokenizer.ggml.*} metadata. */
  public static SpmTokenizer fromGguf(Gguf gguf) throws GgufFormatException {
    String model = gguf.getString("tokenizer.ggml.model").orElseThrow(
        () -> new GgufFormatException("missing tokenizer.ggml.model"));
    if (!model.equals("llama")) {
      throw new GgufFormatException("tokenizer '" + model + "' is not supported; only SentencePiece ('llama') vocabularies are");
    }
    GgufArray tokens = gguf.getArray("tokenizer.ggml.tokens").orElseThrow(
        () -> new GgufFormatException("missing tokenizer.ggml.tokens"));
    if (!(tokens.values() instanceof String[] toks)) {
      throw new GgufFormatException("tokenizer.ggml.tokens is not a string array");
    }
    int n = toks.length;
    float[] scores = new float[n];
    var sc = gguf.getArray("tokenizer.ggml.scores");
    if (sc.isPresent()) {
      if (!(sc.get().values() instanceof float[] f) || f.length != n) {
        throw new GgufFormatException("tokenizer.ggml.scores must be " + n + " float32 values");
      }
      scores = f;
    }
    int[] types = new int[n];
    Arrays.fill(types, TokenType.NORMAL.ordinal());
    var ty = gguf.getArray("tokenizer.ggml.token_type");
    if (ty.isPresent()) {
      if (!(ty.get().values() instanceof long[] l) || l.length != n) {
        throw new GgufFormatException("tokenizer.ggml.token_type must be " + n + " integers");
      }
      for (int i = 0; i < n; i++) {
        types[i] = (int) Math.max(-1, Math.min(100, l[i]));
      }
    }
    int bos = tokenId(gguf, "tokenizer.ggml.bos_token_id", 1, n);
    int eos = tokenId(gguf, "tokenizer.ggml.eos_token_id", 2, n);
    int unk = tokenId(gguf, "tokenizer.ggml.unknown_token_id", 0, n);
    int eot = tokenId(gguf, "tokenizer.ggml.eot_token_id", -1, n);
    boolean addBos = gguf.getBoolean("tokenizer.ggml.add_bos_token", true);
    boolean addEos = gguf.getBoolean("tokenizer.ggml.add_eos_token", false);
    boolean addSpacePrefix = gguf.getBoolean("tokenizer.ggml.add_space_prefix", true);
    try {
      return new SpmTokenizer(toks, scores, types, bos, eos, unk, eot, addBos, addEos, addSpacePrefix);
    } catch (IllegalArgumentException e) {
      throw new GgufFormatException("bad vocabulary: " + e.getMessage(), e);
    }
  }

  private static int tokenId(Gguf gguf, String key, int dflt, int n) throws GgufFormatException {
    long id = gguf.getLong(key, dflt);
    if (id >= n || id < -1) {
      throw new GgufFormatException(key + " = " + id + " is outside the vocabulary of " + n + " tokens");
    }
    return (int) id;
  }

  public int vocabularySize() {
    return texts.length;
  }

  public int bos() {
    return bos;
  }

  public int eos() {
    return eos;
  }

  /** Whether the model asks for BOS to be prepended ({@code tokenizer.ggml.add_bos_token}). */
  public boolean addsBos() {
    return addBos;
  }

  public boolean isEndOfGeneration(int token) {
    return endOfGeneration.contains(token);
  }

  public TokenType type(int token) {
    return types[token];
  }

  public float score(int token) {
    return scores[token];
  }

  /** The token's vocabulary text (with {@code ▁}, {@code <0xNN>} as stored). */
  public String text(int token) {
    return new String(texts[token].getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }

  /** Text to tokens without parsing special tokens in the text, as llama.cpp's {@code /tokenize}. */
  public List<Integer> encode(String text, boolean addBos) {
    return encode(text, addBos, false);
  }

  /**
   * Text to tokens. {@code addSpecial} adds BOS (if the model asks for it) and EOS (likewise);
   * {@code parseSpecial} turns control-token texts such as {@code <s>} or {@code <|im_start|>}
   * in the text into those tokens.
   */
  public List<Integer> encode(String text, boolean addSpecial, boolean parseSpecial) {
    List<Integer> out = new ArrayList<>();
    if (addSpecial && addBos && bos >= 0) {
      out.add(bos);
    }
    byte[] all = text.getBytes(StandardCharsets.UTF_8);
    boolean prevSpecial = true;
    int start = 0;
    int i = 0;
    while (i < all.length && !specials.isEmpty()) {
      int match = specialAt(all, i, parseSpecial);
      if (match < 0) {
        i++;
        continue;
      }
      if (i > start) {
        encodeFragment(all, start, i, prevSpecial, out);
      }
      out.add(match);
      prevSpecial = true;
      i += texts[match].length();
      start = i;
    }
    if (start < all.length) {
      encodeFragment(all, start, all.length, prevSpecial, out);
    }
    if (addSpecial && addEos && eos >= 0) {
      out.add(eos);
    }
    return out;
  }

  private int specialAt(byte[] all, int at, boolean parseSpecial) {
    for (int id : specials) {
      if (types[id] != TokenType.USER_DEFINED && !parseSpecial) {
        continue;
      }
      String t = texts[id];
      if (at + t.length() > all.length) {
        continue;
      }
      boolean eq = true;
      for (int k = 0; k < t.length() && eq; k++) {
        eq = (byte) t.charAt(k) == all[at + k];
      }
      if (eq) {
        return id;
      }
    }
    return -1;
  }

  private void encodeFragment(byte[] all, int from, int to, boolean prevSpecial, List<Integer> out) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(to - from + 8);
    if (addSpacePrefix && prevSpecial) {
      buf.writeBytes(SPACE_MARK);
    }
    for (int i = from; i < to; i++) {
      if (all[i] == ' ') {
        buf.writeBytes(SPACE_MARK);
      } else {
        buf.write(all[i]);
      }
    }
    new Session(buf.toByteArray()).tokenize(out);
  }

  /** The llama.cpp SPM merge loop over one fragment. */
  private final class Session {
    private final String s; // byte string
    private final int[] start;
    private final int[] len;
    private final int[] prev;
    private final int[] next;

    private record Bigram(int left, int right, float score, int size) {}

    private final PriorityQueue<Bigram> queue = new PriorityQueue<>(
        (a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));

    Session(byte[] text) {
      this.s = new String(text, StandardCharsets.ISO_8859_1);
      int n = 0;
      int[] st = new int[text.length];
      int[] ln = new int[text.length];
      for (int off = 0; off < text.length; ) {
        int l = Math.min(text.length - off, utf8Length(text[off]));
        st[n] = off;
        ln[n] = l;
        n++;
        off += l;
      }
      start = Arrays.copyOf(st, n);
      len = Arrays.copyOf(ln, n);
      prev = new int[n];
      next = new int[n];
      for (int i = 0; i < n; i++) {
        prev[i] = i - 1;
        next[i] = i + 1 < n ? i + 1 : -1;
      }
    }

    void tokenize(List<Integer> out) {
      int n = start.length;
      for (int i = 1; i < n; i++) {
        tryAdd(i - 1, i);
      }
      while (!queue.isEmpty()) {
        Bigram b = queue.poll();
        int l = b.left;
        int r = b.right;
        if (len[l] == 0 || len[r] == 0 || len[l] + len[r] != b.size) {
          continue; // outdated: one side was merged since
        }
        len[l] += len[r];
        len[r] = 0;
        next[l] = next[r];
        if (next[r] >= 0) {
          prev[next[r]] = l;
        }
        tryAdd(prev[l], l);
        tryAdd(l, next[l]);
      }
      for (int i = n == 0 ? -1 : 0; i >= 0; i = next[i]) {
        String piece = s.substring(start[i], start[i] + len[i]);
        Integer id = byText.get(piece);
        if (id != null) {
          out.add(id);
        } else {
          for (int k = 0; k < piece.length(); k++) {
            int t = byteTokens[piece.charAt(k) & 0xFF];
            out.add(t >= 0 ? t : unk);
          }
        }
      }
    }

    private void tryAdd(int left, int right) {
      if (left < 0 || right < 0) {
        return;
      }
      int size = len[left] + len[right];
      Integer id = byText.get(s.substring(start[left], start[left] + size));
      if (id == null) {
        return;
      }
      queue.add(new Bigram(left, right, scores[id], size));
    }
  }

  /** Length of a UTF-8 sequence from its lead byte; stray continuation bytes count as 1 (as llama.cpp). */
  static int utf8Length(byte lead) {
    int b = lead & 0xFF;
    if (b < 0x80) {
      return 1;
    }
    if (b < 0xC0) {
      return 1;
    }
    if (b < 0xE0) {
      return 2;
    }
    if (b < 0xF0) {
      return 3;
    }
    return 4;
  }

  /**
   * The exact bytes a token stands for in output text: normal tokens with {@code ▁} as a space,
   * byte tokens as their byte, control/unknown/unused tokens as nothing (llama.cpp
   * {@code token_to_piece} with {@code special = false}).
   */
  public byte[] pieceBytes(int token) {
    return pieces[token].clone();
  }

  int pieceLength(int token) {
    return pieces[token].length;
  }

  void appendPiece(int token, ByteArrayOutputStream out) {
    out.writeBytes(pieces[token]);
  }

  /** Tokens to text: pieces joined as bytes, then decoded as UTF-8 (malformed bytes become U+FFFD). */
  public String decode(List<Integer> tokens) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int t : tokens) {
      appendPiece(t, out);
    }
    return new String(out.toByteArray(), StandardCharsets.UTF_8);
  }

  private static int parseByteToken(String t) {
    if (t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
      try {
        return Integer.parseInt(t.substring(3, 5), 16);
      } catch (NumberFormatException ignored) {
        // fall through
      }
    }
    throw new IllegalArgumentException("byte token with text '" + t + "' is not <0xNN>");
  }

  private static byte[] replace(byte[] src, byte[] pattern, byte with) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(src.length);
    for (int i = 0; i < src.length; ) {
      if (i + pattern.length <= src.length && Arrays.equals(src, i, i + pattern.length, pattern, 0, pattern.length)) {
        out.write(with);
        i += pattern.length;
      } else {
        out.write(src[i++]);
      }
    }
    return out.toByteArray();
  }
}
