package io.canopy.compute.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The seeded generator, the sampler, and end-to-end determinism. */
class LlamaSamplingTest {
  static final GenerationParams SAMPLED = new GenerationParams(48, 0.8, 0.9, 0, 1234, List.of());

  @Test
  void splitMix64MatchesTheReferenceSequence() {
    // Reference outputs of Vigna's splitmix64.c for seed 1234567.
    SplitMix64 s = new SplitMix64(1234567);
    assertThat(new long[] {s.next(), s.next(), s.next(), s.next(), s.next()}).containsExactly(
        6457827717110365317L, 3203168211198807973L, Long.parseUnsignedLong("9817491932198370423"),
        4593380528125082431L, Long.parseUnsignedLong("16408922859458223821"));
    // java.util.SplittableRandom uses the same golden gamma and mix function.
    SplittableRandom jdk = new SplittableRandom(99);
    SplitMix64 ours = new SplitMix64(99);
    for (int i = 0; i < 100; i++) {
      assertThat(ours.next()).isEqualTo(jdk.nextLong());
    }
  }

  @Test
  void xoshiro256StarStarIsPinned() {
    // Computed with an independent implementation of xoshiro256** seeded by splitmix64(42).
    Xoshiro256StarStar x = new Xoshiro256StarStar(42);
    assertThat(new long[] {x.nextLong(), x.nextLong(), x.nextLong(), x.nextLong(), x.nextLong()}).containsExactly(
        1546998764402558742L, 6990951692964543102L, -5902157311460992607L, -1389169964527427423L,
        -151191095644234140L);
    Xoshiro256StarStar y = new Xoshiro256StarStar(42);
    assertThat(y.nextDouble()).isEqualTo(0.08386297105988216);
    assertThat(y.nextDouble()).isEqualTo(0.3789802506626686);
  }

  @Test
  void greedyTakesTheLowestIdOnTies() {
    assertThat(new Sampler(GenerationParams.greedy(1)).sample(new float[] {1, 3, 3, 2})).isEqualTo(1);
  }

  @Test
  void topKOneIsGreedyWhateverTheSeed() {
    float[] logits = {0.5f, 2f, 1.9f, -1f};
    for (long seed = 0; seed < 50; seed++) {
      assertThat(new Sampler(new GenerationParams(1, 1.0, 1.0, 1, seed, List.of())).sample(logits)).isEqualTo(1);
    }
  }

  @Test
  void topPKeepsTheSmallestNucleus() {
    // probabilities ~ 0.665, 0.245, 0.09: top-p 0.8 keeps the first two only
    float[] logits = {2f, 1f, 0f};
    Set<Integer> seen = new HashSet<>();
    Sampler s = new Sampler(new GenerationParams(1, 1.0, 0.8, 0, 5, List.of()));
    for (int i = 0; i < 500; i++) {
      seen.add(s.sample(logits));
    }
    assertThat(seen).containsExactlyInAnyOrder(0, 1);
  }

  @Test
  void flatDistributionFollowsTheSeed() {
    float[] logits = new float[100];
    List<Integer> a = draw(new Sampler(new GenerationParams(1, 1.0, 1.0, 0, 77, List.of())), logits);
    List<Integer> b = draw(new Sampler(new GenerationParams(1, 1.0, 1.0, 0, 77, List.of())), logits);
    List<Integer> c = draw(new Sampler(new GenerationParams(1, 1.0, 1.0, 0, 78, List.of())), logits);
    assertThat(a).isEqualTo(b).isNotEqualTo(c);
    assertThat(new HashSet<>(a)).hasSizeGreaterThan(10);
  }

  @Test
  void topKSelectionFindsWhatAFullSortFinds() {
    SplittableRandom r = new SplittableRandom(3);
    for (int round = 0; round < 200; round++) {
      int n = 1 + r.nextInt(3000);
      long[] a = r.longs(n).distinct().toArray();
      n = a.length;
      long[] sorted = a.clone();
      Arrays.sort(sorted);
      int k = 1 + r.nextInt(n);
      Sampler.selectSmallest(a, n, k);
      Arrays.sort(a, 0, k);
      assertThat(Arrays.copyOf(a, k)).containsExactly(Arrays.copyOf(sorted, k));
    }
  }

  private static List<Integer> draw(Sampler s, float[] logits) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      out.add(s.sample(logits));
    }
    return out;
  }

  @Test
  void sameSeedSameTokensDifferentSeedDifferentTokens() {
    LlamaModel m = LlamaCppVectorsTest.model(LlamaCppVectorsTest.F32);
    List<Integer> prompt = List.of(1); // BOS alone: the least peaked distributions
    Generation a = m.newSession().generate(prompt, SAMPLED, TokenListener.NONE);
    Generation b = m.newSession().generate(prompt, SAMPLED, TokenListener.NONE);
    assertThat(a.tokens()).hasSize(48).isEqualTo(b.tokens());
    assertThat(a.text()).isEqualTo(b.text());
    Generation c = m.newSession().generate(prompt, new GenerationParams(48, 0.8, 0.9, 0, 4321, List.of()), TokenListener.NONE);
    assertThat(c.tokens()).isNotEqualTo(a.tokens());
    Generation greedy = m.newSession().generate(prompt, GenerationParams.greedy(48), TokenListener.NONE);
    assertThat(a.tokens()).isNotEqualTo(greedy.tokens());
  }

  /** Work is split over threads by output rows only, so the thread count cannot change a single bit. */
  @Test
  void threadCountDoesNotChangeLogits() throws IOException {
    for (String name : List.of(LlamaCppVectorsTest.F32, LlamaCppVectorsTest.Q8_0)) {
      try (LlamaModel one = LlamaModel.load(LlamaCppVectorsTest.resource(name + ".gguf"), 1);
        LlamaModel four = LlamaModel.load(LlamaCppVectorsTest.resource(name + ".gguf"), 4)) {
        Session s1 = one.newSession();
        Session s4 = four.newSession();
        for (int t : one.tokenizer().encode("Determinism is a feature.", true)) {
          float[] l1 = s1.forward(t).clone();
          float[] l4 = s4.forward(t);
          for (int i = 0; i < l1.length; i++) {
            assertThat(Float.floatToRawIntBits(l4[i])).as("logit %d", i).isEqualTo(Float.floatToRawIntBits(l1[i]));
          }
        }
        Generation g1 = one.newSession().generate(List.of(1, 450), SAMPLED, TokenListener.NONE);
        Generation g4 = four.newSession().generate(List.of(1, 450), SAMPLED, TokenListener.NONE);
        assertThat(g4.tokens()).isEqualTo(g1.tokens());
      }
    }
  }
}
