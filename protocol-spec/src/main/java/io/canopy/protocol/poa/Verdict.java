package io.canopy.protocol.poa;

import io.canopy.identity.DomainSignatures;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A validator's signed outcome of one storage challenge (spec/proofs.md §5.7), signed over
 * {@code "canopy-verdict-v1" ‖ fields 1–8}. Settlement counts it only through a {@code Quorum}.
 */
public record Verdict(long epoch, String dealId, PeerId node, PeerId validator, Result result, String reason, long proofBytes,
                      long verifyMicros, byte[] signature) {
  public static final byte[] SIGNING_DOMAIN = "canopy-verdict-v1".getBytes(StandardCharsets.US_ASCII);
  public static final int MAX_REASON_LENGTH = 1024;
  public static final int MAX_SIZE = 4 * 1024;

  public enum Result {
    PASS(1), FAIL(2), TIMEOUT(3);

    final int wire;

    Result(int wire) {
      this.wire = wire;
    }

    static Result of(long wire) {
      for (Result r : values()) {
        if (r.wire == wire) {
          return r;
        }
      }
      throw new PoaMessageException("unknown verdict result " + wire);
    }
  }

  public Verdict {
    Objects.requireNonNull(dealId, "dealId");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(validator, "validator");
    Objects.requireNonNull(result, "result");
    Objects.requireNonNull(signature, "signature");
    // Cut at MAX_REASON_LENGTH chars, but not between the two halves of a surrogate pair: a lone
    // half encodes as '?', so the reason would change when it is re-encoded and read again.
    reason = reason == null ? "" : reason.length() > MAX_REASON_LENGTH
        ? reason.substring(0, MAX_REASON_LENGTH - (Character.isHighSurrogate(reason.charAt(MAX_REASON_LENGTH - 1)) ? 1 : 0))
        : reason;
    signature = signature.clone();
    if (epoch < 0 || proofBytes < 0 || verifyMicros < 0) {
      throw new PoaMessageException("epoch, proof bytes and verify time must not be negative");
    }
    if (dealId.isEmpty() || dealId.length() > Challenge.MAX_DEAL_ID_LENGTH) {
      throw new PoaMessageException("deal id must be 1.." + Challenge.MAX_DEAL_ID_LENGTH + " characters");
    }
  }

  public static Verdict sign(Ed25519PrivateKey validatorKey, long epoch, String dealId, PeerId node, Result result, String reason,
                             long proofBytes, long verifyMicros) {
    Verdict unsigned = new Verdict(epoch, dealId, node, validatorKey.peerId(), result, reason, proofBytes, verifyMicros, new byte[0]);
    return new Verdict(epoch, dealId, node, validatorKey.peerId(), result, unsigned.reason, proofBytes, verifyMicros,
        validatorKey.sign(unsigned.signedBytes()));
  }

  /** {@code "canopy-verdict-v1" ‖ fields 1–8 encoded}. */
  public byte[] signedBytes() {
    return DomainSignatures.withDomain(SIGNING_DOMAIN, fields().toByteArray());
  }

  /** Whether the signature is {@link #validator}'s over the other fields. */
  public boolean verify() {
    return DomainSignatures.verify(validator, signedBytes(), signature);
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  public byte[] encode() {
    return fields().bytes(9, signature).toByteArray();
  }

  private ProtoWriter fields() {
    return new ProtoWriter()
        .varint(1, epoch)
        .string(2, dealId)
        .bytes(3, node.toBytes())
        .bytes(4, validator.toBytes())
        .varint(5, result.wire)
        .string(6, reason)
        .varint(7, proofBytes)
        .varint(8, verifyMicros);
  }

  public static Verdict decode(byte[] bytes) {
    if (bytes.length > MAX_SIZE) {
      throw new PoaMessageException("verdict of " + bytes.length + " bytes exceeds " + MAX_SIZE);
    }
    long epoch = 0;
    String dealId = null;
    PeerId node = null;
    PeerId validator = null;
    Result result = null;
    String reason = "";
    long proofBytes = 0;
    long micros = 0;
    byte[] signature = null;
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> epoch = r.varint();
          case 2 -> dealId = r.string();
          case 3 -> node = PeerId.fromBytes(r.bytes());
          case 4 -> validator = PeerId.fromBytes(r.bytes());
          case 5 -> result = Result.of(r.varint());
          case 6 -> reason = r.string();
          case 7 -> proofBytes = r.varint();
          case 8 -> micros = r.varint();
          case 9 -> signature = r.bytes();
          default -> r.skip();
        }
      }
      if (dealId == null || node == null || validator == null || result == null || signature == null) {
        throw new PoaMessageException("verdict lacks its deal id, node, validator, result or signature");
      }
      return new Verdict(epoch, dealId, node, validator, result, reason, proofBytes, micros, signature);
    } catch (RuntimeException e) {
      throw PoaMessageException.malformed("verdict", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Verdict v && Arrays.equals(encode(), v.encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  @Override
  public String toString() {
    return "Verdict[epoch=" + epoch + ", deal=" + dealId + ", node=" + node + ", validator=" + validator + ", " + result
        + (reason.isEmpty() ? "" : " (" + reason + ")") + ", " + proofBytes + " B, " + verifyMicros + " µs]";
  }
}
