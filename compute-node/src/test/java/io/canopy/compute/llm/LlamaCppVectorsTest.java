package io.canopy.compute.llm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine against llama.cpp's own output (src/test/resources/llm/README.md): tokenisation,
 * free-running greedy decoding and teacher-forced top-5 probabilities, for the F32 and the Q8_0
 * model and every recorded prompt.
 */
class LlamaCppVectorsTest {
  static final String F32 = "tiny-f32";
  static final String Q8_0 = "tiny-q8_0";

  private static final Map<String, LlamaModel> MODELS = new ConcurrentHashMap<>();
  private static final Map<String, JsonNode> VECTORS = new ConcurrentHashMap<>();

  static Path resource(String name) {
    try {
      return Path.of(LlamaCppVectorsTest.class.getResource("/llm/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static synchronized LlamaModel model(String name) {
    return MODELS.computeIfAbsent(name, n -> {
      try {
        return LlamaModel.load(resource(n + ".gguf"), 2);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  static JsonNode vectors(String name) {
    return VECTORS.computeIfAbsent(name, n -> {
      try (InputStream in = LlamaCppVectorsTest.class.getResourceAsStream("/llm/" + n + ".vectors.json")) {
        return new ObjectMapper().readTree(in);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @AfterAll
  static void closeModels() throws IOException {
    for (LlamaModel m : MODELS.values()) {
      m.close();
    }
    MODELS.clear();
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String model : List.of(F32, Q8_0)) {
      for (JsonNode c : vectors(model).get("cases")) {
        out.add(Arguments.of(model, c.get("name").asText()));
      }
    }
    return out.stream();
  }

  static JsonNode caseOf(String model, String name) {
    for (JsonNode c : vectors(model).get("cases")) {
      if (c.get("name").asText().equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException(name);
  }

  static List<Integer> ints(JsonNode array) {
    List<Integer> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asInt()));
    return out;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void promptTokenisationMatches(String model, String name) {
    JsonNode c = caseOf(model, name);
    SpmTokenizer tok = model(model).tokenizer();
    String prompt = c.get("prompt").asText();
    assertThat(tok.encode(prompt, true)).isEqualTo(ints(c.get("prompt_tokens")));
    assertThat(tok.encode(prompt, false)).isEqualTo(ints(c.get("prompt_tokens_no_bos")));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void greedyGenerationMatches(String model, String name) {
    JsonNode c = caseOf(model, name);
    LlamaModel m = model(model);
    List<Integer> expected = ints(c.get("completion_tokens"));
    Generation g = m.newSession().generate(ints(c.get("prompt_tokens")), GenerationParams.greedy(32), TokenListener.NONE);
    int agree = 0;
    while (agree < Math.min(expected.size(), g.tokens().size()) && expected.get(agree).equals(g.tokens().get(agree))) {
      agree++;
    }
    System.out.printf("greedy %s %-15s agrees for %2d/%d tokens (first fragile step %s)%n", model, name, agree,
        expected.size(), c.get("first_fragile_step"));
    if (model.equals(F32)) {
      // F32 end to end: every step's top-1/top-2 gap is >= 0.029 nats, 100x the float noise.
      assertThat(g.tokens()).isEqualTo(expected);
      assertThat(g.text()).isEqualTo(c.get("completion_text").asText());
      for (int i = 0; i < expected.size(); i++) {
        byte[] want = new byte[c.get("completion_piece_bytes").get(i).size()];
        for (int b = 0; b < want.length; b++) {
          want[b] = (byte) c.get("completion_piece_bytes").get(i).get(b).asInt();
        }
        assertThat(m.tokenizer().pieceBytes(expected.get(i))).as("piece of %d", expected.get(i)).isEqualTo(want);
      }
    } else {
      // Q8_0: must agree up to the first step whose llama.cpp gap is below 0.5 nats, where one
      // activation-rounding flip may decide; there our token must be llama.cpp's top-1 or top-2.
      int upTo = c.get("first_fragile_step").isNull() ? expected.size() : c.get("first_fragile_step").asInt();
      assertThat(g.tokens().subList(0, upTo)).isEqualTo(expected.subList(0, upTo));
      if (upTo < expected.size()) {
        JsonNode top = c.get("top5_per_step").get(upTo);
        assertThat(g.tokens().get(upTo)).isIn(top.get(0).get("id").asInt(), top.get(1).get("id").asInt());
      }
    }
    assertThat(g.finishReason()).isEqualTo(Generation.FinishReason.MAX_TOKENS);
    assertThat(g.usage()).isEqualTo(new Generation.Usage(c.get("prompt_tokens").size(), 32));
  }

  /**
   * F32, teacher-forced on llama.cpp's tokens. Tolerances: the contract's 1e-3 on each top-5
   * log-probability (observed here: at most 1.2e-4, the size of float32 summation-order noise;
   * the README's float32 numpy pass is within 1.7e-4). On probabilities, 1e-4 absolute: since
   * |Δp| ≈ p·|Δ log p| ≤ 1.7e-4·p, and observed at most 2.1e-5, that leaves a 5x margin. The
   * top-5 set must be the same and in order wherever llama.cpp's neighbours differ by > 2e-3.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("f32Cases")
  void f32TeacherForcedProbabilitiesMatch(String name) {
    JsonNode c = caseOf(F32, name);
    Forced f = teacherForce(model(F32), c);
    List<Integer> completion = ints(c.get("completion_tokens"));
    for (int step = 0; step < completion.size(); step++) {
      double[] lp = f.logprobs.get(step);
      JsonNode top = c.get("top5_per_step").get(step);
      for (int r = 0; r < top.size(); r++) {
        int id = top.get(r).get("id").asInt();
        double dLp = Math.abs(lp[id] - top.get(r).get("logprob").asDouble());
        double dP = Math.abs(Math.exp(lp[id]) - top.get(r).get("prob").asDouble());
        assertThat(dLp).as("step %d rank %d |Δ logprob|", step, r).isLessThanOrEqualTo(F32_LOGPROB_TOLERANCE);
        assertThat(dP).as("step %d rank %d |Δ prob|", step, r).isLessThanOrEqualTo(F32_PROB_TOLERANCE);
        if (r > 0) {
          double refGap = top.get(r - 1).get("logprob").asDouble() - top.get(r).get("logprob").asDouble();
          if (refGap > 2e-3) {
            int prev = top.get(r - 1).get("id").asInt();
            assertThat(lp[prev]).as("step %d: rank %d above rank %d", step, r - 1, r).isGreaterThan(lp[id]);
          }
        }
      }
      assertThat(f.argmax.get(step)).as("arg-max at step %d", step).isEqualTo(completion.get(step));
      assertThat(top5(lp)).as("top-5 at step %d", step).containsExactlyInAnyOrderElementsOf(ids(top));
    }
  }

  /**
   * Q8_0, teacher-forced. The engine quantises activations to Q8_0 before Q8_0 mat-muls and
   * rounds them to F16 before the F16 {@code ffn_down}, as ggml's CPU backend does, so most
   * steps agree to float32 noise (observed |Δ log p| ~ 3e-5). But a value that lands on a
   * rounding boundary in float32 may round the other way here than in llama.cpp (different
   * summation order upstream); that moves later log-probabilities by up to ~0.7 nats, and the
   * change persists through the KV cache. So: the arg-max must match at every step that is not
   * in {@code fragile_steps} (gap < 0.5 nats); at least 224 of the 256 steps must have all five
   * log-probabilities within 1e-3 (observed 231; the README's float64 rounding reference: 241),
   * and at those steps the top-5 set must match and each probability be within 1e-4.
   */
  @Test
  void q8TeacherForcedProbabilitiesMatchAtMostSteps() {
    int within = 0;
    int steps = 0;
    for (JsonNode c : vectors(Q8_0).get("cases")) {
      Forced f = teacherForce(model(Q8_0), c);
      List<Integer> completion = ints(c.get("completion_tokens"));
      List<Integer> fragile = ints(c.get("fragile_steps"));
      int caseWithin = 0;
      for (int step = 0; step < completion.size(); step++) {
        steps++;
        double[] lp = f.logprobs.get(step);
        JsonNode top = c.get("top5_per_step").get(step);
        double maxLp = 0;
        double maxP = 0;
        for (int r = 0; r < top.size(); r++) {
          int id = top.get(r).get("id").asInt();
          maxLp = Math.max(maxLp, Math.abs(lp[id] - top.get(r).get("logprob").asDouble()));
          maxP = Math.max(maxP, Math.abs(Math.exp(lp[id]) - top.get(r).get("prob").asDouble()));
        }
        if (maxLp <= 1e-3) {
          within++;
          caseWithin++;
          assertThat(maxP).as("%s step %d |Δ prob|", c.get("name"), step).isLessThanOrEqualTo(1e-4);
          assertThat(top5(lp)).as("%s top-5 at step %d", c.get("name"), step)
              .containsExactlyInAnyOrderElementsOf(ids(top));
        }
        if (!fragile.contains(step)) {
          assertThat(f.argmax.get(step)).as("%s arg-max at step %d", c.get("name"), step)
              .isEqualTo(completion.get(step));
        }
      }
      System.out.printf("forced %s %-15s steps with top-5 logprobs within 1e-3: %d/%d%n", Q8_0, c.get("name").asText(),
          caseWithin, completion.size());
    }
    assertThat(steps).isEqualTo(256);
    assertThat(within).as("steps whose top-5 log-probabilities are all within 1e-3").isGreaterThanOrEqualTo(224);
  }

  static final double F32_LOGPROB_TOLERANCE = 1e-3;
  static final double F32_PROB_TOLERANCE = 1e-4;

  static Stream<String> f32Cases() {
    List<String> names = new ArrayList<>();
    vectors(F32).get("cases").forEach(c -> names.add(c.get("name").asText()));
    return names.stream();
  }

  record Forced(List<double[]> logprobs, List<Integer> argmax) {}

  /** Evaluates prompt + llama.cpp's completion, recording the distribution before each completion token. */
  static Forced teacherForce(LlamaModel m, JsonNode c) {
    Session s = m.newSession();
    float[] logits = null;
    for (int t : ints(c.get("prompt_tokens"))) {
      logits = s.forward(t);
    }
    List<double[]> lps = new ArrayList<>();
    List<Integer> argmax = new ArrayList<>();
    for (int t : ints(c.get("completion_tokens"))) {
      lps.add(logSoftmax(logits));
      argmax.add(Sampler.argmax(logits, logits.length));
      logits = s.forward(t);
    }
    return new Forced(lps, argmax);
  }

  static List<Integer> ids(JsonNode top) {
    List<Integer> out = new ArrayList<>();
    top.forEach(n -> out.add(n.get("id").asInt()));
    return out;
  }

  static List<Integer> top5(double[] lp) {
    List<Integer> ids = new ArrayList<>();
    for (int r = 0; r < 5; r++) {
      int best = -1;
      for (int i = 0; i < lp.length; i++) {
        if (!ids.contains(i) && (best < 0 || lp[i] > lp[best])) {
          best = i;
        }
      }
      ids.add(best);
    }
    return ids;
  }

  static double[] logSoftmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l - max);
    }
    double lse = max + Math.log(sum);
    double[] out = new double[logits.length];
    for (int i = 0; i < logits.length; i++) {
      out[i] = logits[i] - lse;
    }
    return out;
  }
}
