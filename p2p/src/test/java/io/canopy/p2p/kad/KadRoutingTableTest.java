package io.canopy.p2p.kad;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.testing.RandomInputs;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KadRoutingTableTest {
  private static PeerId peer(SplittableRandom random) {
    byte[] seed = new byte[32];
    random.nextBytes(seed);
    return Ed25519PrivateKey.fromSeed(seed).peerId();
  }

  @Test
  void commonPrefixLengthAndDistanceAgreeWithBigIntegerXor() {
    RandomInputs.forAll(1L, 300, List.of(), r -> List.of(RandomInputs.bytes(r, 40), RandomInputs.bytes(r, 40), RandomInputs.bytes(r, 40)),
        l -> l.stream().map(RandomInputs::hex).toList().toString(), keys -> {
          KadKey t = KadKey.of(keys.get(0));
          KadKey a = KadKey.of(keys.get(1));
          KadKey b = KadKey.of(keys.get(2));
          var ti = new java.math.BigInteger(1, t.hash());
          var da = ti.xor(new java.math.BigInteger(1, a.hash()));
          var db = ti.xor(new java.math.BigInteger(1, b.hash()));
          assertThat(Integer.signum(t.compareDistance(a, b))).isEqualTo(da.compareTo(db));
          assertThat(t.commonPrefixLength(a)).isEqualTo(da.signum() == 0 ? 256 : 256 - da.bitLength());
          assertThat(t.commonPrefixLength(t)).isEqualTo(256);
        });
  }

  @Test
  void closestIsTheBruteForceOrderAndBucketsNeverExceedK() {
    RandomInputs.forAll(2L, 20, List.of(), r -> r.nextLong(), Object::toString, seed -> {
      SplittableRandom r = new SplittableRandom(seed);
      PeerId self = peer(r);
      RoutingTable table = new RoutingTable(self, 3);
      List<PeerId> accepted = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        PeerId p = peer(r);
        if (table.offer(p).outcome() == RoutingTable.Outcome.ADDED) {
          accepted.add(p);
        }
      }
      for (int b = 0; b < KadKey.BITS; b++) {
        assertThat(table.bucket(b)).hasSizeLessThanOrEqualTo(3);
      }
      assertThat(table.size()).isEqualTo(accepted.size());
      KadKey target = KadKey.of(RandomInputs.bytes(r, 1, 40));
      List<PeerId> expected = new ArrayList<>(accepted);
      expected.sort(Comparator.comparing(KadKey::of, target::compareDistance));
      assertThat(table.closest(target, 5)).containsExactlyElementsOf(expected.subList(0, Math.min(5, expected.size())));
    });
  }

  @Test
  void fullBucketNamesItsLeastRecentlySeenPeerAndReplaceSwapsIt() {
    SplittableRandom r = new SplittableRandom(3);
    PeerId self = peer(r);
    RoutingTable table = new RoutingTable(self, 2);
    // bucket 0 takes the half of the keyspace opposite ours: about every other random peer
    List<PeerId> bucket0 = new ArrayList<>();
    while (bucket0.size() < 3) {
      PeerId p = peer(r);
      if (KadKey.of(self).commonPrefixLength(KadKey.of(p)) == 0) {
        bucket0.add(p);
      }
    }
    assertThat(table.offer(self).outcome()).isEqualTo(RoutingTable.Outcome.SELF);
    assertThat(table.offer(bucket0.get(0)).outcome()).isEqualTo(RoutingTable.Outcome.ADDED);
    assertThat(table.offer(bucket0.get(1)).outcome()).isEqualTo(RoutingTable.Outcome.ADDED);
    assertThat(table.offer(bucket0.get(0)).outcome()).isEqualTo(RoutingTable.Outcome.REFRESHED); // now 1 is the oldest
    RoutingTable.Admission full = table.offer(bucket0.get(2));
    assertThat(full.outcome()).isEqualTo(RoutingTable.Outcome.BUCKET_FULL);
    assertThat(full.oldest()).isEqualTo(bucket0.get(1));
    assertThat(table.replace(full.oldest(), bucket0.get(2))).isTrue();
    assertThat(table.bucket(0)).containsExactly(bucket0.get(0), bucket0.get(2));
  }

  @Test
  void randomPeerInBucketLandsInThatBucket() {
    SplittableRandom r = new SplittableRandom(4);
    PeerId self = peer(r);
    RoutingTable table = new RoutingTable(self, 20);
    Random random = new Random(5);
    for (int b = 0; b <= 12; b++) {
      PeerId p = table.randomPeerInBucket(b, random);
      assertThat(KadKey.of(self).commonPrefixLength(KadKey.of(p))).isEqualTo(b);
    }
  }
}
