package io.canopy.validator;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.canopy.protobuf.ProtoException;
import io.canopy.protocol.epoch.EpochClock;
import io.canopy.validator.compute.FraudProof;
import io.canopy.validator.compute.JobRecord;
import io.canopy.validator.compute.VerificationException;
import io.canopy.validator.cosign.EpochEvidence;
import io.canopy.validator.jobs.JobsCodec;
import io.canopy.validator.jobs.JobsMessage;
import io.canopy.validator.records.RecordsCodec;
import io.canopy.validator.records.RecordsMessage;
import io.canopy.validator.settle.SettlementRecord;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing of every decoder of bytes a validator takes from other validators,
 * gateways and any peer, or reads back from its ledger. Each branch calls the real decoder as the
 * stream handler (or the ledger) does and accepts only that decoder's documented refusal; anything
 * else escapes and is a finding. Where cheap, what decodes must re-encode to bytes that decode to
 * the same encoding (protobuf allows several encodings of a value, so the check is on the second
 * round).
 *
 * <ul>
 *   <li>{@code CosignMessage.decode} ({@code /canopy/cosign/1.0.0}): {@link IllegalArgumentException}.
 *   <li>{@link EpochEvidence#decode} (a co-signing proposal's evidence): {@link IllegalArgumentException};
 *       then {@link EpochEvidence#inputs}, which refuses evidence that does not hold up with
 *       {@link IllegalArgumentException} too.
 *   <li>{@link RecordsCodec#decode} ({@code /canopy/records/1.0.0}): {@link ProtoException}.
 *   <li>{@link JobsCodec#decode} ({@code /canopy/jobs/1.0.0}): {@link ProtoException}.
 *   <li>{@link SettlementRecord#decode} (a record from a peer or from the ledger):
 *       {@link IllegalArgumentException}; {@link SettlementRecord#signatureProblem} must answer, not throw.
 *   <li>{@link JobRecord#decode} (a record of a jobs page) and {@link JobRecord#check}:
 *       {@link VerificationException}.
 *   <li>{@link FraudProof#decode} (in evidence): {@link VerificationException}.
 * </ul>
 */
class ValidatorDecodersFuzzTest {
  /** Inputs are capped: a larger one could only hide a real bug (allocation by a declared length) behind its own size. */
  private static final int MAX_INPUT = 64 * 1024;
  private static final EpochClock CLOCK = new EpochClock(1_000_000, 10_000);

  private enum Decoder { COSIGN_MESSAGE, EPOCH_EVIDENCE, RECORDS_MESSAGE, JOBS_MESSAGE, SETTLEMENT_RECORD, JOB_RECORD, FRAUD_PROOF }

  // The co-signing messages are package-private: reached the way the protocol handler calls them.
  private static final MethodHandle COSIGN_DECODE;
  private static final MethodHandle COSIGN_ENCODE;

  static {
    try {
      Class<?> message = Class.forName("io.canopy.validator.cosign.CosignMessage");
      MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(message, MethodHandles.lookup());
      COSIGN_DECODE = lookup.findStatic(message, "decode", MethodType.methodType(message, byte[].class));
      COSIGN_ENCODE = lookup.findStatic(message, "encode", MethodType.methodType(byte[].class, message));
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @FuzzTest
  void decode(FuzzedDataProvider data) throws Throwable {
    Decoder decoder = Decoder.values()[data.consumeInt(0, Decoder.values().length - 1)];
    byte[] bytes = data.consumeBytes(MAX_INPUT);
    switch (decoder) {
      case COSIGN_MESSAGE -> cosignMessage(bytes);
      case EPOCH_EVIDENCE -> epochEvidence(bytes);
      case RECORDS_MESSAGE -> recordsMessage(bytes);
      case JOBS_MESSAGE -> jobsMessage(bytes);
      case SETTLEMENT_RECORD -> settlementRecord(bytes);
      case JOB_RECORD -> jobRecord(bytes);
      case FRAUD_PROOF -> fraudProof(bytes);
    }
  }

  private static void cosignMessage(byte[] bytes) throws Throwable {
    Object message;
    try {
      message = COSIGN_DECODE.invoke(bytes);
    } catch (IllegalArgumentException refused) {
      return;
    }
    byte[] once = (byte[]) COSIGN_ENCODE.invoke(message);
    byte[] twice = (byte[]) COSIGN_ENCODE.invoke(COSIGN_DECODE.invoke(once));
    roundTrip("cosign message", once, twice);
  }

  private static void epochEvidence(byte[] bytes) {
    EpochEvidence evidence;
    try {
      evidence = EpochEvidence.decode(bytes);
    } catch (IllegalArgumentException refused) {
      return;
    }
    byte[] once = evidence.encode();
    roundTrip("epoch evidence", once, EpochEvidence.decode(once).encode());
    try {
      evidence.inputs(CLOCK);
    } catch (IllegalArgumentException refused) {
      // evidence that does not hold up
    }
  }

  private static void recordsMessage(byte[] bytes) {
    RecordsMessage message;
    try {
      message = RecordsCodec.decode(bytes);
    } catch (ProtoException refused) {
      return;
    }
    byte[] once = RecordsCodec.encode(message);
    roundTrip("records message", once, RecordsCodec.encode(RecordsCodec.decode(once)));
  }

  private static void jobsMessage(byte[] bytes) {
    JobsMessage message;
    try {
      message = JobsCodec.decode(bytes);
    } catch (ProtoException refused) {
      return;
    }
    byte[] once = JobsCodec.encode(message);
    roundTrip("jobs message", once, JobsCodec.encode(JobsCodec.decode(once)));
  }

  private static void settlementRecord(byte[] bytes) {
    SettlementRecord record;
    try {
      record = SettlementRecord.decode(bytes);
    } catch (IllegalArgumentException refused) {
      return;
    }
    byte[] once = record.encode();
    roundTrip("settlement record", once, SettlementRecord.decode(once).encode());
    if (record.signatureProblem().isEmpty() && !record.signers().isEmpty()) {
      throw new AssertionError("random bytes carry valid validator signatures: " + record);
    }
    record.hashHex();
  }

  private static void jobRecord(byte[] bytes) {
    JobRecord record;
    try {
      record = JobRecord.decode(bytes);
    } catch (VerificationException refused) {
      return;
    }
    byte[] once = record.encode();
    roundTrip("job record", once, JobRecord.decode(once).encode());
    try {
      record.check();
    } catch (VerificationException refused) {
      // a record whose parts do not belong together
    }
    record.checkable();
  }

  private static void fraudProof(byte[] bytes) {
    FraudProof proof;
    try {
      proof = FraudProof.decode(bytes);
    } catch (VerificationException refused) {
      return;
    }
    byte[] once = proof.encode();
    roundTrip("fraud proof", once, FraudProof.decode(once).encode());
    proof.verifySignature();
  }

  private static void roundTrip(String what, byte[] once, byte[] twice) {
    if (!Arrays.equals(once, twice)) {
      throw new AssertionError(what + " does not survive encode/decode: " + Arrays.toString(once) + " vs " + Arrays.toString(twice));
    }
  }
}
