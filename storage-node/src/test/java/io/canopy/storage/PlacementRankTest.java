package io.canopy.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.storage.DealManager.Candidate;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlacementRankTest {
  private static PeerId peer() {
    return Ed25519PrivateKey.generate(new SecureRandom()).peerId();
  }

  @Test
  void distinctAddressesBeforeMoreRoom() {
    Candidate bigA = new Candidate(peer(), 900, "/ip4/10.0.0.1");
    Candidate bigA2 = new Candidate(peer(), 800, "/ip4/10.0.0.1");
    Candidate smallB = new Candidate(peer(), 100, "/ip4/10.0.0.2");
    Candidate midC = new Candidate(peer(), 500, "/ip4/10.0.0.3");

    List<Candidate> ranked = DealManager.rank(List.of(smallB, bigA2, midC, bigA));

    // Three replicas go to three different machines, even though 10.0.0.1 has the most room twice over.
    assertThat(ranked.subList(0, 3)).extracting(Candidate::ip).doesNotHaveDuplicates();
    assertThat(ranked).containsExactly(bigA, midC, smallB, bigA2);
  }

  @Test
  void sameAddressFillsInWhenThereAreNotEnoughMachines() {
    Candidate a = new Candidate(peer(), 300, "/ip4/127.0.0.1");
    Candidate b = new Candidate(peer(), 200, "/ip4/127.0.0.1");
    Candidate c = new Candidate(peer(), 100, "/ip4/127.0.0.1");
    assertThat(DealManager.rank(List.of(c, a, b))).containsExactly(a, b, c);
  }
}
