package io.canopy.validator.poa;

import static org.assertj.core.api.Assertions.assertThat;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.protocol.poa.Challenge;
import io.canopy.protocol.poa.ChallengeDerivation;
import io.canopy.protocol.poa.DeadlineRule;
import io.canopy.protocol.poa.PoaCodec;
import io.canopy.protocol.poa.PoaMessage;
import io.canopy.protocol.poa.Proof;
import io.canopy.protocol.poa.Verdict;
import io.canopy.testing.MutableClock;
import io.canopy.validator.poa.PoaFixtures.Dag;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The challenger's logic without a network: what it asks, and the verdict for each kind of answer. */
class StorageChallengerTest {
  private static final Ed25519PrivateKey VALIDATOR = Ed25519PrivateKey.fromSeed(new byte[32]);
  private static final Ed25519PrivateKey NODE = Ed25519PrivateKey.fromSeed(filled(3));
  private final MutableClock clock = new MutableClock(Instant.ofEpochMilli(1_764_000_000_000L));
  private final StorageChallenger challenger = new StorageChallenger(null, VALIDATOR, clock, StorageChallenger.Config.DEFAULT);

  private static byte[] filled(int b) {
    byte[] s = new byte[32];
    java.util.Arrays.fill(s, (byte) b);
    return s;
  }

  @Test
  void issuesTheDrawsOfTheSpecSignedWithADeadlineBoundedByTheDag() throws IOException {
    Dag dag = PoaFixtures.file(100_000, 1024, 1);
    StorageChallenger.Target target = new StorageChallenger.Target("d", dag.root(), dag.fileSize(), dag.dagSize());
    Challenge c = challenger.issue(NODE.peerId(), 9, PoaFixtures.beacon(4), target);
    assertThat(c.verify()).isTrue();
    assertThat(c.offsets()).containsExactly(ChallengeDerivation.offsets(PoaFixtures.beacon(4), "d", NODE.peerId(), dag.fileSize(), 20));
    assertThat(c.issuedMillis()).isEqualTo(clock.millis());
    // The whole DAG is ~100 KB: the validator waits T0 + (dag + 64 KiB) / B_min, not the 42 MiB limit of k = 20.
    assertThat(c.deadlineMillis() - c.issuedMillis()).isEqualTo(DeadlineRule.DEFAULT.allowanceMillis(dag.dagSize() + 64 * 1024));
    StorageChallenger.Target unknownSize = new StorageChallenger.Target("d", dag.root(), dag.fileSize(), 0);
    Challenge wide = challenger.issue(NODE.peerId(), 9, PoaFixtures.beacon(4), unknownSize);
    assertThat(wide.deadlineMillis() - wide.issuedMillis()).isEqualTo(DeadlineRule.DEFAULT.allowanceMillis(PoaCodec.maxReplySize(20)));
  }

  @Test
  void everyKindOfBadAnswerIsASignedFailOrTimeout() throws IOException {
    Dag dag = PoaFixtures.file(10_000, 1024, 2);
    Challenge c = challenger.issue(NODE.peerId(), 9, PoaFixtures.beacon(5),
        new StorageChallenger.Target("d", dag.root(), dag.fileSize(), dag.dagSize()));
    Verdict junk = challenger.judge(c, new byte[] {0x12, 0x7f, 0x01}, clock.millis());
    assertThat(junk.result()).isEqualTo(Verdict.Result.FAIL);
    assertThat(junk.reason()).startsWith("MALFORMED");
    Verdict refused = challenger.judge(c, PoaCodec.encode(new PoaMessage.Refused(PoaMessage.Code.WRONG_EPOCH, "epoch 3")), clock.millis());
    assertThat(refused.result()).isEqualTo(Verdict.Result.FAIL);
    assertThat(refused.reason()).isEqualTo("REFUSED WRONG_EPOCH: epoch 3");
    Verdict echo = challenger.judge(c, PoaCodec.encode(new PoaMessage.ChallengeRequest(c)), clock.millis());
    assertThat(echo.reason()).startsWith("MALFORMED: expected a proof");
    Verdict empty = challenger.judge(c, PoaCodec.encode(new PoaMessage.ProofReply(new Proof(List.of()))), clock.millis());
    assertThat(empty.result()).isEqualTo(Verdict.Result.FAIL);
    assertThat(empty.reason()).startsWith("MISSING_BLOCK");
    Verdict silent = challenger.noAnswer(c, new CompletionException(new TimeoutException("no reply")));
    assertThat(silent.result()).isEqualTo(Verdict.Result.TIMEOUT);
    assertThat(silent.reason()).startsWith("NO_ANSWER: no answer within");
    Verdict unreachable = challenger.noAnswer(c, new IOException("connection refused"));
    assertThat(unreachable.result()).isEqualTo(Verdict.Result.TIMEOUT);
    assertThat(unreachable.reason()).contains("connection refused");
    for (Verdict v : List.of(junk, refused, echo, empty, silent, unreachable)) {
      assertThat(v.verify()).isTrue();
      assertThat(v.epoch()).isEqualTo(9);
      assertThat(v.node()).isEqualTo(NODE.peerId());
      assertThat(v.validator()).isEqualTo(VALIDATOR.peerId());
    }
  }
}
