package io.canopy.validator.compute;

import static io.canopy.validator.compute.ComputeFixture.TINY;
import static io.canopy.validator.compute.ComputeFixture.TINY_MODEL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canopy.compute.job.LlamaRuntime;
import io.canopy.compute.llm.LlamaModel;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Params;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Task;
import io.canopy.protocol.epoch.Beacon;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Records and fraud proofs that must be refused, each with its reason (spec/compute-verification.md §6.1, §6.4). */
class BadInputTest {
  private static final long EPOCH = 3;
  private static final Ed25519PrivateKey GATEWAY = ComputeFixture.key(2);
  private static final Ed25519PrivateKey VALIDATOR = ComputeFixture.key(100);

  private static LlamaModel model;
  private static ComputeFixture.Node honest;
  private static ComputeFixture.Node cheater;
  private static ComputeVerifier verifier;

  @BeforeAll
  static void start() throws Exception {
    model = LlamaModel.load(TINY_MODEL);
    honest = new ComputeFixture.Node(ComputeFixture.key(1), GATEWAY, List.of(new LlamaRuntime(TINY, "tiny", Task.COMPLETION, model, 1)),
        EPOCH);
    cheater = new ComputeFixture.Node(ComputeFixture.key(5), GATEWAY, List.of(new ComputeFixture.AlteringRuntime(
        new LlamaRuntime(TINY, "tiny", Task.COMPLETION, model, 1), j -> true, out -> "nonsense".getBytes(StandardCharsets.UTF_8), true)),
        EPOCH);
    verifier = new ComputeVerifier(new ReExecutor(List.of(new LlamaRuntime(TINY, "tiny", Task.COMPLETION, model, 1))),
        new ReceiptSampler(ReceiptSampler.ALL), VALIDATOR);
  }

  @AfterAll
  static void stop() throws Exception {
    if (honest != null) {
      honest.close();
    }
    if (cheater != null) {
      cheater.close();
    }
    if (model != null) {
      model.close();
    }
  }

  private static JobRequest job(String id, String prompt) {
    return new JobRequest(id, TINY, Task.COMPLETION, prompt.getBytes(StandardCharsets.UTF_8), new Params(5, 0f, 1f, 0, 0, List.of()));
  }

  private static void rejected(VerificationFailure failure, ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOfSatisfying(VerificationException.class, e -> {
      assertThat(e.failure()).isEqualTo(failure);
      assertThat(e.getMessage()).isNotBlank();
    });
  }

  private static byte[] flip(byte[] bytes) {
    byte[] out = bytes.clone();
    out[0] ^= 1;
    return out;
  }

  @Test
  void aRecordWhoseJobIsNotTheReceiptsIsRejected() throws Exception {
    JobRecord good = honest.record(job("j1", "Once upon a time"), false);
    CountersignedReceipt cs = good.countersigned();
    JobRequest j = good.job();
    rejected(VerificationFailure.INPUT_HASH_MISMATCH,
        () -> JobRecord.accept(cs, new JobRequest(j.jobId(), j.model(), j.task(), "Once upon a tim".getBytes(StandardCharsets.UTF_8), j.params())));
    rejected(VerificationFailure.PARAMS_HASH_MISMATCH,
        () -> JobRecord.accept(cs, new JobRequest(j.jobId(), j.model(), j.task(), j.input(), j.params().withSeed(1))));
    rejected(VerificationFailure.JOB_MISMATCH,
        () -> JobRecord.accept(cs, new JobRequest("j2", j.model(), j.task(), j.input(), j.params())));
    rejected(VerificationFailure.JOB_MISMATCH,
        () -> JobRecord.accept(cs, new JobRequest(j.jobId(), ComputeFixture.MINILM, j.task(), j.input(), j.params())));
    rejected(VerificationFailure.OUTPUT_HASH_MISMATCH, () -> JobRecord.accept(cs, j, "not the output".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aForgedReceiptOrCountersignatureIsRejected() throws Exception {
    JobRecord good = honest.record(job("j3", "The cat sat on"), false);
    Receipt receipt = good.receipt();
    // A receipt whose output hash was changed after the node signed it, countersigned anew by a (careless or colluding) gateway.
    Receipt forged = new Receipt(receipt.jobId(), receipt.model(), receipt.inputHash(), receipt.paramsHash(), flip(receipt.outputHash()),
        receipt.usage(), receipt.node(), receipt.epoch(), receipt.startedMillis(), receipt.finishedMillis(), receipt.signature(),
        receipt.exact());
    rejected(VerificationFailure.BAD_RECEIPT_SIGNATURE,
        () -> JobRecord.accept(CountersignedReceipt.sign(GATEWAY, forged, "acct-1", 1L), good.job()));
    rejected(VerificationFailure.BAD_RECEIPT_SIGNATURE,
        () -> JobRecord.accept(CountersignedReceipt.sign(GATEWAY, receipt.withSignature(flip(receipt.signature())), "acct-1", 1L),
            good.job()));
    // The account changed after the gateway countersigned.
    CountersignedReceipt cs = good.countersigned();
    rejected(VerificationFailure.BAD_COUNTERSIGNATURE, () -> JobRecord.accept(
        new CountersignedReceipt(cs.receipt(), cs.gateway(), "someone-else", cs.countersignedMillis(), cs.signature()), good.job()));
    rejected(VerificationFailure.BAD_COUNTERSIGNATURE, () -> JobRecord.accept(
        new CountersignedReceipt(cs.receipt(), cs.gateway(), cs.account(), cs.countersignedMillis(), flip(cs.signature())), good.job()));
  }

  @Test
  void aRecordBilledToAnAccountTheLedgerCannotNameIsRejectedNotSettled() throws Exception {
    JobRecord good = honest.record(job("j4", "The river ran"), false);
    // properly signed by a (malicious) gateway: as a payer it would fail the whole epoch's settlement
    CountersignedReceipt spaced = CountersignedReceipt.sign(GATEWAY, good.receipt(), "no spaces", 1L);
    rejected(VerificationFailure.MALFORMED, () -> JobRecord.accept(spaced, good.job()));
  }

  @Test
  void aFraudProofWithABadSignatureIsRejected() throws Exception {
    FraudProof real = verifier.verify(EPOCH, Beacon.genesis("x"), List.of(cheater.record(job("c1", "Hello"), false))).fraudProofs().get(0);
    verifier.confirm(real);
    FraudProof tampered = new FraudProof(real.record(), real.rerunOutputHash(), real.validator(), flip(real.signature()));
    rejected(VerificationFailure.BAD_FRAUD_SIGNATURE, () -> verifier.confirm(tampered));
    // Claimed to be by another validator than the one who signed.
    FraudProof misattributed = new FraudProof(real.record(), real.rerunOutputHash(), ComputeFixture.key(101).peerId(), real.signature());
    rejected(VerificationFailure.BAD_FRAUD_SIGNATURE, () -> verifier.confirm(FraudProof.decode(misattributed.encode())));
  }

  @Test
  void aFalseAccusationIsRejectedBecauseTheReRunMatches() throws Exception {
    JobRecord honestRecord = honest.record(job("h1", "In a small village"), false);
    // A validator that claims a different re-run output for an honest receipt.
    FraudProof accusation = FraudProof.sign(ComputeFixture.key(102), honestRecord, Receipt.sha256("made up".getBytes(StandardCharsets.UTF_8)));
    assertThat(accusation.verifySignature()).isTrue();
    rejected(VerificationFailure.RERUN_MATCHES, () -> verifier.confirm(FraudProof.decode(accusation.encode())));
  }

  @Test
  void aFraudProofNamingTheWrongReRunHashIsRejected() throws Exception {
    JobRecord fraud = cheater.record(job("c2", "The sun was"), false);
    FraudProof wrongHash = FraudProof.sign(VALIDATOR, fraud, Receipt.sha256("not the engine's output".getBytes(StandardCharsets.UTF_8)));
    rejected(VerificationFailure.RERUN_DISAGREES, () -> verifier.confirm(wrongHash));
  }

  @Test
  void malformedFraudProofBytesAreRejected() throws Exception {
    FraudProof real = verifier.verify(EPOCH, Beacon.genesis("y"), List.of(cheater.record(job("c3", "One day"), false))).fraudProofs().get(0);
    byte[] bytes = real.encode();
    rejected(VerificationFailure.MALFORMED, () -> FraudProof.decode(Arrays.copyOf(bytes, bytes.length - 10)));
    rejected(VerificationFailure.MALFORMED, () -> FraudProof.decode(new byte[] {0x0a, 0x7f}));
    rejected(VerificationFailure.MALFORMED, () -> FraudProof.decode(new byte[0]));
  }

  @Test
  void oneBadRecordIsReportedAndSkippedAndTheRestAreVerified() throws Exception {
    JobRecord a = honest.record(job("m1", "Once upon a time"), false);
    JobRecord b = honest.record(job("m2", "The cat sat on"), false);
    JobRecord c = cheater.record(job("m3", "Hello"), false);
    JobRecord badInput = new JobRecord(b.countersigned(), job("m2", "something else"));
    CountersignedReceipt cs = a.countersigned();
    JobRecord badCountersignature = new JobRecord(
        new CountersignedReceipt(cs.receipt(), cs.gateway(), cs.account(), cs.countersignedMillis() + 1, cs.signature()), a.job());
    List<JobRecord> records = new ArrayList<>(List.of(badInput, a, badCountersignature, b, c, a));
    ComputeFixture.Node later = new ComputeFixture.Node(ComputeFixture.key(1), GATEWAY,
        List.of(new LlamaRuntime(TINY, "tiny", Task.COMPLETION, model, 1)), EPOCH + 1);
    try (later) {
      records.add(later.record(job("m4", "Hello"), false));
    }
    // A job whose model this validator does not hold is left for another validator.
    JobRequest other = new JobRequest("m5", ComputeFixture.MINILM, Task.EMBEDDING, "{\"input\":\"x\"}".getBytes(StandardCharsets.UTF_8),
        Params.DEFAULT);
    Receipt r = Receipt.sign(ComputeFixture.key(1), other, Receipt.sha256(new byte[1]), new io.canopy.protocol.compute.Usage(1, 0),
        EPOCH, 0, 0, true);
    records.add(JobRecord.accept(CountersignedReceipt.sign(GATEWAY, r, "acct-1", 1L), other));

    ComputeVerifier.EpochResult result = verifier.verify(EPOCH, Beacon.genesis("mixed"), records);

    assertThat(result.verified()).containsExactly(a, b);
    assertThat(result.fraudProofs()).extracting(p -> p.record().job().jobId()).containsExactly("m3");
    assertThat(result.skipped()).extracting(ComputeVerifier.Skipped::failure).containsExactly(
        VerificationFailure.INPUT_HASH_MISMATCH, VerificationFailure.BAD_COUNTERSIGNATURE, VerificationFailure.DUPLICATE,
        VerificationFailure.WRONG_EPOCH, VerificationFailure.NO_RUNTIME);
    assertThat(result.skipped()).allSatisfy(s -> assertThat(s.reason()).isNotBlank());
  }
}
