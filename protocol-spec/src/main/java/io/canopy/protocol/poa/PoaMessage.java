package io.canopy.protocol.poa;

import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.util.Objects;

/**
 * The messages of {@code /canopy/poa/1.0.0} (spec/proofs.md §5.6): the validator writes one
 * {@link ChallengeRequest}, the node answers with one {@link ProofReply} or {@link Refused}.
 * <pre>
 * message PoaMessage {          // exactly one field is set
 *   bytes   challenge = 1;      // Challenge
 *   bytes   proof     = 2;      // Proof
 *   Refused refused   = 3;      // { Code code = 1; string reason = 2; }
 * }
 * </pre>
 */
public sealed interface PoaMessage {
  String PROTOCOL_ID = "/canopy/poa/1.0.0";
  int MAX_REASON_LENGTH = 1024;

  record ChallengeRequest(Challenge challenge) implements PoaMessage {
    public ChallengeRequest {
      Objects.requireNonNull(challenge, "challenge");
    }
  }

  record ProofReply(Proof proof) implements PoaMessage {
    public ProofReply {
      Objects.requireNonNull(proof, "proof");
    }
  }

  /** The node will not answer; the validator records FAIL with this reason. */
  record Refused(Code code, String reason) implements PoaMessage {
    public Refused {
      Objects.requireNonNull(code, "code");
      reason = reason == null ? "" : reason.length() > MAX_REASON_LENGTH ? reason.substring(0, MAX_REASON_LENGTH) : reason;
    }
  }

  enum Code {
    /** The challenge does not decode. */
    MALFORMED(1),
    /** The challenge names another node. */
    WRONG_NODE(2),
    /** The validator's signature does not verify, or the stream's peer is not the validator. */
    BAD_SIGNATURE(3),
    /** The challenge's epoch is not the current one ± 1: a replay. */
    WRONG_EPOCH(4),
    /** The node does not hold that deal (or not under that root), or lacks a block. */
    NOT_HOLDING(5),
    /** The root is not a UnixFS file (directories: spec §5.2.3, not served yet). */
    UNSUPPORTED(6),
    /** The proof would exceed the limit for its number of draws. */
    TOO_LARGE(7),
    /** Something failed on the node, or the challenge disagrees with the DAG it holds (e.g. the file size). */
    INTERNAL(8);

    final int wire;

    Code(int wire) {
      this.wire = wire;
    }

    static Code of(long wire) {
      for (Code c : values()) {
        if (c.wire == wire) {
          return c;
        }
      }
      return INTERNAL;
    }
  }

  static byte[] encode(PoaMessage message) {
    ProtoWriter w = new ProtoWriter();
    if (message instanceof ChallengeRequest c) {
      w.bytes(1, c.challenge().encode());
    } else if (message instanceof ProofReply p) {
      w.bytes(2, p.proof().encode());
    } else if (message instanceof Refused r) {
      w.message(3, new ProtoWriter().varint(1, r.code().wire).string(2, r.reason()));
    }
    return w.toByteArray();
  }

  static PoaMessage decode(byte[] bytes, int maxDraws) {
    try {
      return ProtoReader.oneof(bytes, "poa message", r -> switch (r.field()) {
        case 1 -> new ChallengeRequest(Challenge.decode(r.bytes()));
        case 2 -> new ProofReply(Proof.decode(r.bytes(), Proof.maxSize(maxDraws), Proof.maxBlocks(maxDraws)));
        case 3 -> decodeRefused(r.bytes());
        default -> {
          r.skip();
          yield null;
        }
      }, PoaMessageException::new);
    } catch (RuntimeException e) {
      throw PoaMessageException.malformed("poa message", e);
    }
  }

  private static Refused decodeRefused(byte[] bytes) {
    long code = Code.INTERNAL.wire;
    String reason = "";
    ProtoReader r = new ProtoReader(bytes);
    while (r.next()) {
      switch (r.field()) {
        case 1 -> code = r.varint();
        case 2 -> reason = r.string();
        default -> r.skip();
      }
    }
    return new Refused(Code.of(code), reason);
  }
}
