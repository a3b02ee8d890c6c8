package io.canopy.compute.llm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence being evaluated: the KV cache and scratch buffers of a llama forward pass. Not
 * thread-safe; the model's worker threads are used inside each matrix product.
 *
 * <p>Per token (llama.cpp {@code llm_build_llama}): embedding row; per layer
 * {@code x += Wo·attn(rope(Wq·n), rope(Wk·n), Wv·n)} with {@code n = rmsnorm(x)·attn_norm}, then
 * {@code x += Wdown·(silu(Wgate·n) ⊙ Wup·n)} with {@code n = rmsnorm(x)·ffn_norm}; finally
 * {@code logits = Woutput·(rmsnorm(x)·output_norm)}. The float operations follow ggml's CPU kernels
 * (RMS sum in double, softmax sum in double, {@code x / (1 + exp(-x))} for SiLU) with
 * {@link StrictMath} for every transcendental function, so results are the same on every JVM.
 */
public final class Session {
  private final LlamaModel model;
  private final LlamaConfig c;
  private final int contextLength;
  private final RowParallel compute;

  private final float[][] keyCache;
  private final float[][] valueCache;
  private int cacheCapacity; // positions allocated in the caches
  private int position;

  private final float[] x;
  private final Activation norm;
  private final Activation attention;
  private final Activation hidden;
  private final float[] q;
  private final float[] k;
  private final float[] v;
  private final float[] proj;
  private final float[] gate;
  private final float[] up;
  /**
   * Per head, so heads can run on different threads; grown with the key/value cache, not sized to
   * the context length, which a model file declares (a hostile one says 2^31 - 1).
   */
  private final float[][] scores;
  private final float[] logits;
  private final float[] ropeCos;
  private final float[] ropeSin;

  Session(LlamaModel model, int contextLength) {
    this.model = model;
    this.c = model.config;
    this.contextLength = contextLength;
    this.compute = model.compute;
    this.keyCache = new float[c.blockCount()][];
    this.valueCache = new float[c.blockCount()][];
    this.x = new float[c.embeddingLength()];
    this.norm = new Activation(c.embeddingLength());
    this.attention = new Activation(c.qDim());
    this.hidden = new Activation(c.feedForwardLength());
    this.q = new float[c.qDim()];
    this.k = new float[c.kvDim()];
    this.v = new float[c.kvDim()];
    this.proj = new float[c.embeddingLength()];
    this.gate = new float[c.feedForwardLength()];
    this.up = new float[c.feedForwardLength()];
    this.scores = new float[c.headCount()][];
    this.logits = new float[c.vocabularySize()];
    this.ropeCos = new float[c.ropeDimensions() / 2];
    this.ropeSin = new float[c.ropeDimensions() / 2];
  }

  public LlamaModel model() {
    return model;
  }

  public int contextLength() {
    return contextLength;
  }

  /** Tokens evaluated so far (the position of the next token). */
  public int position() {
    return position;
  }

  /** Forgets every evaluated token. */
  public void reset() {
    position = 0;
  }

  /**
   * Evaluates {@code token} at the next position and returns the logits for the token after it.
   * The returned array is this session's buffer, overwritten by the next call.
   *
   * @throws ContextLengthExceededException if the context is full
   */
  public float[] forward(int token) {
    if (position >= contextLength) {
      throw new ContextLengthExceededException("context length " + contextLength + " exceeded: cannot evaluate token "
          + (position + 1));
    }
    if (token < 0 || token >= c.vocabularySize()) {
      throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + c.vocabularySize());
    }
    ensureCache(position + 1);
    model.tokenEmbedding.dequantizeRow(token, x);
    ropeAngles(position);
    int kvDim = c.kvDim();
    for (int l = 0; l < model.layers.length; l++) {
      LlamaModel.Layer layer = model.layers[l];
      rmsNorm(x, layer.attnNorm(), norm);
      compute.matVec(layer.wq(), norm, q);
      compute.matVec(layer.wk(), norm, k);
      compute.matVec(layer.wv(), norm, v);
      rope(q, c.headCount());
      rope(k, c.headCountKv());
      System.arraycopy(k, 0, keyCache[l], position * kvDim, kvDim);
      System.arraycopy(v, 0, valueCache[l], position * kvDim, kvDim);
      attend(l);
      compute.matVec(layer.wo(), attention, proj);
      for (int i = 0; i < x.length; i++) {
        x[i] += proj[i];
      }
      rmsNorm(x, layer.ffnNorm(), norm);
      compute.matVec(layer.gate(), norm, gate);
      compute.matVec(layer.up(), norm, up);
      float[] h = hidden.values;
      for (int i = 0; i < h.length; i++) {
        float g = gate[i];
        h[i] = g / (1f + (float) StrictMath.exp(-g)) * up[i];
      }
      hidden.changed();
      compute.matVec(layer.down(), hidden, proj);
      for (int i = 0; i < x.length; i++) {
        x[i] += proj[i];
      }
    }
    rmsNorm(x, model.outputNorm, norm);
    compute.matVec(model.output, norm, logits);
    position++;
    return logits;
  }

  private void ensureCache(int positions) {
    if (positions <= cacheCapacity) {
      return;
    }
    int cap = Math.min(contextLength, Math.max(positions, Math.max(16, cacheCapacity * 2)));
    int kvDim = c.kvDim();
    for (int l = 0; l < keyCache.length; l++) {
      keyCache[l] = keyCache[l] == null ? new float[cap * kvDim] : Arrays.copyOf(keyCache[l], cap * kvDim);
      valueCache[l] = valueCache[l] == null ? new float[cap * kvDim] : Arrays.copyOf(valueCache[l], cap * kvDim);
    }
    for (int h = 0; h < scores.length; h++) {
      scores[h] = new float[cap]; // scratch: rewritten for every token
    }
    cacheCapacity = cap;
  }

  /** ggml {@code rms_norm} then multiplication by the weight: sum of squares in double. */
  private void rmsNorm(float[] in, float[] weight, Activation out) {
    double sum = 0;
    for (float f : in) {
      sum += f * f;
    }
    float mean = (float) (sum / in.length);
    float scale = 1f / (float) Math.sqrt(mean + c.rmsNormEps());
    float[] o = out.values;
    for (int i = 0; i < in.length; i++) {
      o[i] = (in[i] * scale) * weight[i];
    }
    out.changed();
  }

  /**
   * RoPE angles of the "NORM" type: pair {@code i} turns by {@code pos * base^(-2i/n_rot)}; the
   * per-pair factor is built by repeated multiplication in float, as ggml's rope cache does.
   */
  private void ropeAngles(int pos) {
    float thetaScale = (float) StrictMath.pow(c.ropeFreqBase(), -2.0f / c.ropeDimensions());
    float theta = pos;
    float[] ff = model.ropeFreqFactors;
    for (int i = 0; i < ropeCos.length; i++) {
      float t = ff == null ? theta : theta / ff[i];
      ropeCos[i] = (float) StrictMath.cos(t);
      ropeSin[i] = (float) StrictMath.sin(t);
      theta *= thetaScale;
    }
  }

  /** Rotates adjacent pairs {@code (x[2i], x[2i+1])} of the first {@code n_rot} elements of each head. */
  private void rope(float[] vec, int heads) {
    int hs = c.headSize();
    for (int h = 0; h < heads; h++) {
      int base = h * hs;
      for (int i = 0; i < ropeCos.length; i++) {
        int p = base + 2 * i;
        float x0 = vec[p];
        float x1 = vec[p + 1];
        vec[p] = x0 * ropeCos[i] - x1 * ropeSin[i];
        vec[p + 1] = x0 * ropeSin[i] + x1 * ropeCos[i];
      }
    }
  }

  /**
   * Causal grouped-query attention of the current position over the cache. Heads may run on
   * different threads; each head's sums are computed by one thread in position order.
   */
  private void attend(int layer) {
    int n = position + 1;
    compute.forEach(c.headCount(), 2L * n * c.qDim(), h -> attendHead(layer, h, n));
    attention.changed();
  }

  private void attendHead(int layer, int h, int n) {
    int hs = c.headSize();
    int kvDim = c.kvDim();
    int group = c.headCount() / c.headCountKv();
    float scale = (float) (1.0 / Math.sqrt(hs));
    float[] kc = keyCache[layer];
    float[] vc = valueCache[layer];
    float[] out = attention.values;
    float[] sc = scores[h];
    int qo = h * hs;
    int kvo = (h / group) * hs;
    float max = Float.NEGATIVE_INFINITY;
    for (int t = 0; t < n; t++) {
      int ko = t * kvDim + kvo;
      float s = 0f;
      for (int i = 0; i < hs; i++) {
        s += q[qo + i] * kc[ko + i];
      }
      s *= scale;
      sc[t] = s;
      max = Math.max(max, s);
    }
    double sum = 0;
    for (int t = 0; t < n; t++) {
      float e = (float) StrictMath.exp(sc[t] - max);
      sc[t] = e;
      sum += e;
    }
    float inv = (float) (1.0 / sum);
    for (int t = 0; t < n; t++) {
      sc[t] *= inv;
    }
    // out[i] = sum over t (in position order) of p[t] * v[t][i]; t outer for cache locality
    Arrays.fill(out, qo, qo + hs, 0f);
    for (int t = 0; t < n; t++) {
      float p = sc[t];
      int vo = t * kvDim + kvo;
      for (int i = 0; i < hs; i++) {
        out[qo + i] += p * vc[vo + i];
      }
    }
  }

  /**
   * Evaluates {@code prompt} from the start of a fresh context and generates up to
   * {@code params.maxTokens()} tokens. Same model, prompt, params and seed give the same tokens
   * and text on every machine.
   *
   * @param onToken called for every generated token (see {@link TokenListener})
   * @throws ContextLengthExceededException if the prompt does not fit the context
   */
  public Generation generate(List<Integer> prompt, GenerationParams params, TokenListener onToken) {
    if (prompt.isEmpty()) {
      throw new IllegalArgumentException("the prompt must hold at least one token (BOS)");
    }
    if (prompt.size() > contextLength) {
      throw new ContextLengthExceededException("prompt of " + prompt.size() + " tokens does not fit the context length "
          + contextLength);
    }
    reset();
    float[] current = null;
    for (int t : prompt) {
      current = forward(t);
    }
    SpmTokenizer tok = model.tokenizer();
    Sampler sampler = new Sampler(params);
    StopSequences stops = new StopSequences(params.stop());
    List<Integer> out = new ArrayList<>();
    ByteArrayOutputStream textBytes = new ByteArrayOutputStream();
    int released = 0;
    int stopAt = -1;
    Generation.FinishReason reason = Generation.FinishReason.MAX_TOKENS;
    while (true) {
      int next = sampler.sample(current, c.vocabularySize());
      if (tok.isEndOfGeneration(next)) {
        reason = Generation.FinishReason.END_OF_GENERATION;
        break;
      }
      out.add(next);
      int searchFrom = textBytes.size();
      tok.appendPiece(next, textBytes);
      byte[] all = textBytes.toByteArray();
      stopAt = stops.isEmpty() ? -1 : stops.find(all, Math.min(released, searchFrom), all.length);
      int end = stopAt >= 0 ? stopAt : all.length - stops.holdBack(all, all.length);
      end = StopSequences.completeUtf8(all, released, Math.max(end, released));
      onToken.onToken(next, new String(all, released, end - released, StandardCharsets.UTF_8));
      released = end;
      if (stopAt >= 0) {
        reason = Generation.FinishReason.STOP_SEQUENCE;
        break;
      }
      if (out.size() >= params.maxTokens()) {
        break;
      }
      if (position >= contextLength) {
        reason = Generation.FinishReason.CONTEXT_FULL;
        break;
      }
      current = forward(next);
    }
    byte[] all = textBytes.toByteArray();
    int textEnd = stopAt >= 0 ? stopAt : StopSequences.completeUtf8(all, 0, all.length);
    if (textEnd > released) {
      onToken.onToken(TokenListener.END, new String(all, released, textEnd - released, StandardCharsets.UTF_8));
    }
    String text = new String(all, 0, textEnd, StandardCharsets.UTF_8);
    return new Generation(out, text, reason, new Generation.Usage(prompt.size(), out.size()));
  }
}
