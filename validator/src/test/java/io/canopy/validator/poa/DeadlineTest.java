package io.canopy.validator.poa;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.content.block.Block;
import io.canopy.content.block.Blockstore;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multihash;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.protocol.poa.Challenge;
import io.canopy.protocol.poa.DeadlineRule;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.Verdict;
import io.canopy.storage.poa.PoaProver;
import io.canopy.testing.MutableClock;
import io.canopy.validator.poa.PoaFixtures.Dag;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * spec/proofs.md §5.5 on a simulated clock: an honest node reading its own disk meets
 * {@code T0 + P/B_min}; a node that holds nothing and fetches each drawn path from another replica
 * at the network the spec assumes (RTT_r = 100 ms per DAG level, B_r = 1 MiB/s, levels fetched
 * with perfect pipelining — the cheater's best case) misses it.
 */
class DeadlineTest {
  /** The spec's assumptions about the path to another replica, and to the validator. */
  private static final Duration RTT_REPLICA = Duration.ofMillis(100);
  private static final long B_REPLICA = 1024 * 1024;
  private static final Duration RTT_VALIDATOR = Duration.ofMillis(200);
  private static final long B_VALIDATOR = DeadlineRule.DEFAULT_MIN_BYTES_PER_SECOND; // the honest node's worst allowed uplink

  private static final Ed25519PrivateKey VALIDATOR = Ed25519PrivateKey.generate(new SecureRandom());
  private static final Ed25519PrivateKey NODE = Ed25519PrivateKey.generate(new SecureRandom());
  private static final EpochClock EPOCHS = new EpochClock(0, 3_600_000);

  private final MutableClock clock = new MutableClock(Instant.ofEpochMilli(5 * 3_600_000L + 1_000));
  private final StorageChallenger challenger = new StorageChallenger(null, VALIDATOR, clock, StorageChallenger.Config.DEFAULT);

  @Test
  void honestLocalProverMeetsTheDeadlineAndARemoteFetcherMissesIt() throws Exception {
    Dag dag = PoaFixtures.file(200L * 262_144 + 1000, 262_144, 31); // 201 leaves of 256 KiB: three levels
    Map<Multihash, Integer> depths = PoaFixtures.depths(dag.store(), dag.root());
    assertThat(depths.values().stream().mapToInt(Integer::intValue).max().orElseThrow()).isEqualTo(2);
    StorageChallenger.Target target = new StorageChallenger.Target("deal", dag.root(), dag.fileSize(), dag.dagSize());
    for (long seed = 0; seed < 5; seed++) {
      Challenge challenge = challenger.issue(NODE.peerId(), 5, PoaFixtures.beacon(seed), target);
      long issued = clock.millis();
      byte[] reply = prover(dag.store(), dag.root()).answer(VALIDATOR.peerId(), request(challenge));
      clock.advance(RTT_VALIDATOR.plus(transfer(reply.length, B_VALIDATOR)));
      Verdict ok = challenger.judge(challenge, reply, clock.millis());
      assertThat(ok.result()).as(ok.reason()).isEqualTo(Verdict.Result.PASS);
      assertThat(clock.millis() - issued).isLessThanOrEqualTo(DeadlineRule.DEFAULT.allowanceMillis(reply.length));

      Challenge again = challenger.issue(NODE.peerId(), 5, PoaFixtures.beacon(seed), target);
      long start = clock.millis();
      RemoteReplica remote = new RemoteReplica(dag.store(), depths, clock);
      byte[] late = prover(remote, dag.root()).answer(VALIDATOR.peerId(), request(again));
      assertThat(late).isEqualTo(reply); // the same proof: only the time differs
      // The spec's lower bound on fetching the paths: levels · RTT_r + bytes / B_r.
      assertThat(clock.millis() - start).isGreaterThanOrEqualTo(3 * RTT_REPLICA.toMillis() + transfer(remote.bytes, B_REPLICA).toMillis());
      clock.advance(RTT_VALIDATOR.plus(transfer(late.length, B_VALIDATOR)));
      Verdict v = challenger.judge(again, late, clock.millis());
      assertThat(v.result()).as(v.reason()).isEqualTo(Verdict.Result.TIMEOUT);
      assertThat(v.reason()).startsWith("LATE");
      assertThat(v.verify()).isTrue();
    }
  }

  /** The spec says so (§5.5): a proof smaller than about (T0 − levels·RTT_r)·B_r can be fetched on demand in time. */
  @Test
  void smallFilesAreNotProtectedByTheDeadline_asTheSpecStates() throws Exception {
    Dag dag = PoaFixtures.file(64 * 1024, 262_144, 32);
    StorageChallenger.Target target = new StorageChallenger.Target("deal", dag.root(), dag.fileSize(), dag.dagSize());
    Challenge challenge = challenger.issue(NODE.peerId(), 5, PoaFixtures.beacon(1), target);
    RemoteReplica remote = new RemoteReplica(dag.store(), PoaFixtures.depths(dag.store(), dag.root()), clock);
    byte[] reply = prover(remote, dag.root()).answer(VALIDATOR.peerId(), request(challenge));
    clock.advance(RTT_VALIDATOR.plus(transfer(reply.length, B_VALIDATOR)));
    assertThat(challenger.judge(challenge, reply, clock.millis()).result()).isEqualTo(Verdict.Result.PASS);
  }

  private static byte[] request(Challenge c) {
    return PoaCodec.encode(new PoaMessage.ChallengeRequest(c));
  }

  private PoaProver prover(Blockstore store, Cid root) {
    return new PoaProver(NODE.peerId(), store, id -> Optional.of(root), EPOCHS, clock, p -> true);
  }

  private static Duration transfer(long bytes, long bytesPerSecond) {
    return Duration.ofMillis((bytes * 1000 + bytesPerSecond - 1) / bytesPerSecond);
  }

  /**
   * A node's "blockstore" that holds nothing and gets every block from another replica: one
   * round trip per DAG level (all blocks of a level fetched at once — the cheater's best case)
   * plus the transfer at B_r, on the simulated clock.
   */
  static final class RemoteReplica implements Blockstore {
    private final Blockstore replica;
    private final Map<Multihash, Integer> depths;
    private final MutableClock clock;
    private final Set<Integer> levelsPaid = new HashSet<>();
    long bytes;

    RemoteReplica(Blockstore replica, Map<Multihash, Integer> depths, MutableClock clock) {
      this.replica = replica;
      this.depths = depths;
      this.clock = clock;
    }

    @Override
    public byte[] get(Cid cid) throws IOException {
      byte[] data = replica.get(cid);
      if (levelsPaid.add(depths.get(cid.multihash()))) {
        clock.advance(RTT_REPLICA);
      }
      bytes += data.length;
      clock.advance(transfer(data.length, B_REPLICA));
      return data;
    }

    @Override
    public boolean has(Cid cid) {
      return false;
    }

    @Override
    public void put(Block block) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void delete(Cid cid) {}

    @Override
    public long size(Cid cid) throws IOException {
      return replica.size(cid);
    }

    @Override
    public Stream<Cid> keys() {
      return Stream.empty();
    }
  }
}
