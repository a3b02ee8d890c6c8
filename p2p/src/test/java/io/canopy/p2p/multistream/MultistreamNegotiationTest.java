package io.canopy.p2p.multistream;

import static io.canopy.p2p.multistream.MultistreamMessage.LS;
import static io.canopy.p2p.multistream.MultistreamMessage.NA;
import static io.canopy.p2p.multistream.MultistreamMessage.PROTOCOL_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.testing.RandomInputs;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MultistreamNegotiationTest {
  @Test
  void initiatorPipelinesHeaderAndFirstProposal() throws Exception {
    MultistreamNegotiation n = MultistreamNegotiation.initiator(List.of("/noise", "/tls/1.0.0"));
    assertThat(n.start()).containsExactly(PROTOCOL_ID, "/noise");
    assertThat(n.receive(PROTOCOL_ID)).isEmpty();
    assertThat(n.isDone()).isFalse();
    assertThat(n.receive("/noise")).isEmpty();
    assertThat(n.isDone()).isTrue();
    assertThat(n.selected()).contains("/noise");
  }

  @Test
  void initiatorFallsBackOnNa() throws Exception {
    MultistreamNegotiation n = MultistreamNegotiation.initiator(List.of("/a", "/b", "/c"));
    n.start();
    n.receive(PROTOCOL_ID);
    assertThat(n.receive(NA)).containsExactly("/b");
    assertThat(n.receive(NA)).containsExactly("/c");
    assertThat(n.receive("/c")).isEmpty();
    assertThat(n.selected()).contains("/c");
  }

  @Test
  void initiatorFailsWhenEverythingIsRefused() throws Exception {
    MultistreamNegotiation n = MultistreamNegotiation.initiator(List.of("/a", "/b"));
    n.start();
    n.receive(PROTOCOL_ID);
    n.receive(NA);
    assertThatThrownBy(() -> n.receive(NA))
        .isInstanceOf(MultistreamException.class)
        .hasMessageContaining("none of the proposed protocols [/a, /b]");
    assertThat(n.isFailed()).isTrue();
    assertThatThrownBy(() -> n.receive(NA)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void initiatorRejectsWrongHeaderAndWrongAnswer() throws Exception {
    MultistreamNegotiation a = MultistreamNegotiation.initiator(List.of("/a"));
    a.start();
    assertThatThrownBy(() -> a.receive("/multistream/2.0.0")).hasMessageContaining("does not speak");

    MultistreamNegotiation b = MultistreamNegotiation.initiator(List.of("/a"));
    b.start();
    b.receive(PROTOCOL_ID);
    assertThatThrownBy(() -> b.receive("/b")).hasMessageContaining("answered '/b' to the proposal '/a'");
  }

  @Test
  void responderAnswersProposalsAndLs() throws Exception {
    MultistreamNegotiation n = MultistreamNegotiation.responder(Set.of("/noise", "/yamux/1.0.0"));
    assertThat(n.start()).containsExactly(PROTOCOL_ID);
    assertThat(n.receive(PROTOCOL_ID)).isEmpty();
    assertThat(n.receive("/tls/1.0.0")).containsExactly(NA);
    assertThat(n.receive(LS)).containsExactly(NA);
    assertThat(n.receive("/noise")).containsExactly("/noise");
    assertThat(n.selected()).contains("/noise");
  }

  @Test
  void responderRejectsWrongHeader() {
    MultistreamNegotiation n = MultistreamNegotiation.responder(Set.of("/noise"));
    n.start();
    assertThatThrownBy(() -> n.receive("/noise")).hasMessageContaining("does not speak /multistream/1.0.0");
  }

  @Test
  void responderGivesUpAfterSixteenRefusals() throws Exception {
    MultistreamNegotiation n = MultistreamNegotiation.responder(Set.of("/ok"));
    n.start();
    n.receive(PROTOCOL_ID);
    for (int i = 0; i < MultistreamNegotiation.DEFAULT_MAX_PROPOSALS; i++) {
      assertThat(n.receive("/no/" + i)).containsExactly(NA);
    }
    assertThatThrownBy(() -> n.receive("/no/16"))
        .isInstanceOf(MultistreamException.class)
        .hasMessageContaining("more than 16 protocols");
  }

  @Test
  void responderStillAcceptsASupportedProtocolAfterSixteenRefusals() throws Exception {
    MultistreamNegotiation n = MultistreamNegotiation.responder(Set.of("/ok"));
    n.start();
    n.receive(PROTOCOL_ID);
    for (int i = 0; i < 16; i++) {
      n.receive("/no/" + i);
    }
    assertThat(n.receive("/ok")).containsExactly("/ok");
  }

  @Test
  void protocolIdsAreChecked() {
    assertThatThrownBy(() -> MultistreamNegotiation.initiator(List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MultistreamNegotiation.initiator(List.of("a\nb"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MultistreamNegotiation.responder(Set.of(NA))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MultistreamNegotiation.responder(Set.of(PROTOCOL_ID))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void callsOutOfOrderAreRefused() throws Exception {
    MultistreamNegotiation n = MultistreamNegotiation.initiator(List.of("/a"));
    assertThatThrownBy(() -> n.receive(PROTOCOL_ID)).isInstanceOf(IllegalStateException.class);
    n.start();
    assertThatThrownBy(n::start).isInstanceOf(IllegalStateException.class);
  }

  /** Both sides run against each other: the first proposal the responder supports wins. */
  @Test
  void initiatorAndResponderAgreeOnTheFirstCommonProtocol() {
    List<String> universe = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      universe.add("/p/" + i);
    }
    RandomInputs.forAll(
        0x5eed_0002L,
        300,
        List.of(),
        r -> new Case(pick(r, universe, 1, 20), new LinkedHashSet<>(pick(r, universe, 0, 10))),
        Case::toString,
        c -> {
          Optional<String> expected = c.proposals.stream().filter(c.supported::contains).findFirst();
          int refusalsNeeded = expected.map(c.proposals::indexOf).orElse(c.proposals.size());
          Optional<String> result = run(c);
          if (expected.isPresent() && refusalsNeeded <= MultistreamNegotiation.DEFAULT_MAX_PROPOSALS) {
            assertThat(result).isEqualTo(expected);
          } else {
            assertThat(result).isEmpty();
          }
        });
  }

  private record Case(List<String> proposals, Set<String> supported) {}

  private static List<String> pick(SplittableRandom r, List<String> universe, int min, int max) {
    List<String> shuffled = new ArrayList<>(universe);
    for (int i = shuffled.size() - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      String t = shuffled.get(i);
      shuffled.set(i, shuffled.get(j));
      shuffled.set(j, t);
    }
    return shuffled.subList(0, RandomInputs.intBetween(r, min, max));
  }

  /** Exchanges messages until one side finishes or fails; the agreed protocol, if any. */
  private static Optional<String> run(Case c) {
    MultistreamNegotiation i = MultistreamNegotiation.initiator(c.proposals);
    MultistreamNegotiation r = MultistreamNegotiation.responder(c.supported);
    Deque<String> toResponder = new ArrayDeque<>(i.start());
    Deque<String> toInitiator = new ArrayDeque<>(r.start());
    try {
      while (!toResponder.isEmpty() || !toInitiator.isEmpty()) {
        if (!toResponder.isEmpty() && !r.isDone()) {
          toInitiator.addAll(r.receive(toResponder.poll()));
        } else if (!toInitiator.isEmpty()) {
          toResponder.addAll(i.receive(toInitiator.poll()));
        } else {
          break;
        }
      }
    } catch (MultistreamException e) {
      return Optional.empty();
    }
    assertThat(i.isDone()).isEqualTo(r.isDone());
    if (i.isDone()) {
      assertThat(i.selected()).isEqualTo(r.selected());
    }
    return i.selected();
  }
}
