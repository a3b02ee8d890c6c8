package io.canopy.validator.cosign;

import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import io.canopy.validator.settle.SettlementRecord;
import java.util.Objects;

/**
 * The messages of {@code /canopy/cosign/1.0.0} (spec/settlement.md §7.9), one per stream each
 * way, varint-length prefixed:
 *
 * <pre>
 * message CosignMessage {                 // exactly one field is set
 *   uint64   observations_request = 1;    // epoch → observations
 *   bytes    observations = 2;            // EpochEvidence: what the answering validator saw (no receipts)
 *   Proposal sign_request = 3;            // the record to co-sign, unsigned → signature | refused
 *   bytes    signature = 4;               // Ed25519 over the record's signed bytes
 *   Proposal settled = 5;                 // the final, signed record → ack | refused
 *   bytes    ack = 6;                     // empty
 *   uint64   record_request = 7;          // epoch → settled | refused
 *   string   refused = 8;                 // why, for humans (≤ 4096 characters)
 * }
 * message Proposal { bytes evidence = 1; bytes record = 2; }
 * </pre>
 */
public sealed interface CosignMessage {
  String PROTOCOL_ID = "/canopy/cosign/1.0.0";
  /** Evidence, a record and their envelope. */
  int MAX_SIZE = EpochEvidence.MAX_SIZE + 4 * 1024 * 1024;
  int MAX_REASON = 4096;

  record ObservationsRequest(long epoch) implements CosignMessage {}

  record Observations(EpochEvidence evidence) implements CosignMessage {}

  record SignRequest(EpochEvidence evidence, SettlementRecord record) implements CosignMessage {}

  record Signature(byte[] signature) implements CosignMessage {}

  record Settled(EpochEvidence evidence, SettlementRecord record) implements CosignMessage {}

  record Ack() implements CosignMessage {}

  record RecordRequest(long epoch) implements CosignMessage {}

  record Refused(String reason) implements CosignMessage {
    public Refused {
      Objects.requireNonNull(reason);
      if (reason.length() > MAX_REASON) {
        reason = reason.substring(0, MAX_REASON);
      }
    }
  }

  static byte[] encode(CosignMessage message) {
    ProtoWriter w = new ProtoWriter();
    if (message instanceof ObservationsRequest m) {
      w.varint(1, m.epoch());
    } else if (message instanceof Observations m) {
      w.bytes(2, m.evidence().encode());
    } else if (message instanceof SignRequest m) {
      w.message(3, proposal(m.evidence(), m.record()));
    } else if (message instanceof Signature m) {
      w.bytes(4, m.signature());
    } else if (message instanceof Settled m) {
      w.message(5, proposal(m.evidence(), m.record()));
    } else if (message instanceof Ack) {
      w.bytes(6, new byte[0]);
    } else if (message instanceof RecordRequest m) {
      w.varint(7, m.epoch());
    } else if (message instanceof Refused m) {
      w.string(8, m.reason());
    }
    return w.toByteArray();
  }

  private static ProtoWriter proposal(EpochEvidence evidence, SettlementRecord record) {
    return new ProtoWriter().bytes(1, evidence.encode()).bytes(2, record.encode());
  }

  /** @throws IllegalArgumentException with the reason, for bytes that are not a message */
  static CosignMessage decode(byte[] bytes) {
    try {
      return ProtoReader.oneof(bytes, "cosign message", r -> switch (r.field()) {
        case 1 -> new ObservationsRequest(r.varint());
        case 2 -> new Observations(EpochEvidence.decode(r.bytes()));
        case 3, 5 -> decodeProposal(r.field(), r.bytes());
        case 4 -> new Signature(r.bytes());
        case 6 -> {
          r.bytes();
          yield new Ack();
        }
        case 7 -> new RecordRequest(r.varint());
        case 8 -> new Refused(r.string());
        default -> {
          r.skip();
          yield null;
        }
      }, IllegalArgumentException::new);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed cosign message: " + e.getMessage(), e);
    }
  }

  private static CosignMessage decodeProposal(int field, byte[] bytes) {
    EpochEvidence evidence = null;
    SettlementRecord record = null;
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> evidence = EpochEvidence.decode(r.bytes());
        case 2 -> record = SettlementRecord.decode(r.bytes());
        default -> r.skip();
      }
    }
    if (evidence == null || record == null) {
      throw new IllegalArgumentException("a proposal needs its evidence and its record");
    }
    if (record.epoch() != evidence.epoch()) {
      throw new IllegalArgumentException("a record of epoch " + record.epoch() + " with the evidence of epoch " + evidence.epoch());
    }
    return field == 3 ? new SignRequest(evidence, record) : new Settled(evidence, record);
  }
}
