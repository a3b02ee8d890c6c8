package io.canopy.validator.compute;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.Ed25519PublicKey;
import io.canopy.identity.PeerId;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.JobRequest;
import io.canopy.protocol.compute.Receipt;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A validator's signed statement that a re-run of a sampled job does not agree with the node's
 * receipt (spec/compute-verification.md §6.4). It carries everything needed to check it by
 * re-running the job: the countersigned receipt, the job, the kept output of a non-exact embedding
 * receipt, and the hash the validator's re-run gave.
 *
 * <pre>
 * message FraudProof {
 *   bytes receipt           = 1;  // CountersignedReceipt encoding (spec/compute.md §3.8)
 *   bytes job               = 2;  // JobRequest encoding (§3.1)
 *   bytes output            = 3;  // the delivered output; only for a non-exact embedding receipt
 *   bytes rerun_output_hash = 4;  // SHA-256 of the validator's re-run output
 *   bytes validator         = 5;  // the validator's peer ID (Ed25519, inline key)
 *   bytes signature         = 6;  // Ed25519 over "canopy-fraud-v1" ‖ fields 1–5 as encoded
 * }
 * </pre>
 *
 * Decoding checks the record (§6.1); {@link #verifySignature} checks the validator's signature;
 * {@link ComputeVerifier#confirm} checks the accusation by re-running.
 */
public record FraudProof(JobRecord record, byte[] rerunOutputHash, PeerId validator, byte[] signature) {
  public static final String SIGNING_DOMAIN = "canopy-fraud-v1";
  /** Largest encoding accepted: a job with the largest input and the largest kept output, plus the envelope. */
  public static final int MAX_SIZE = JobRequest.MAX_INPUT_SIZE + ReExecutor.DEFAULT_MAX_OUTPUT + 16 * 1024;
  private static final byte[] DOMAIN = SIGNING_DOMAIN.getBytes(StandardCharsets.US_ASCII);

  public FraudProof {
    Objects.requireNonNull(record, "record");
    Objects.requireNonNull(validator, "validator");
    Objects.requireNonNull(signature, "signature");
    if (rerunOutputHash == null || rerunOutputHash.length != Receipt.HASH_LENGTH) {
      throw new IllegalArgumentException("the re-run output hash must be " + Receipt.HASH_LENGTH + " bytes");
    }
    if (signature.length != Receipt.SIGNATURE_LENGTH) {
      throw new IllegalArgumentException("the signature must be " + Receipt.SIGNATURE_LENGTH + " bytes");
    }
  }

  /** The proof for {@code record}, whose re-run gave {@code rerunOutputHash}, signed by the validator. */
  public static FraudProof sign(Ed25519PrivateKey validatorKey, JobRecord record, byte[] rerunOutputHash) {
    FraudProof unsigned = new FraudProof(record, rerunOutputHash, validatorKey.peerId(), new byte[Receipt.SIGNATURE_LENGTH]);
    return new FraudProof(record, rerunOutputHash.clone(), unsigned.validator, validatorKey.sign(unsigned.signedBytes()));
  }

  /** The node accused. */
  public PeerId node() {
    return record.receipt().node();
  }

  public long epoch() {
    return record.receipt().epoch();
  }

  /** {@code "canopy-fraud-v1" ‖ fields 1–5}, as {@link #encode} writes them. */
  public byte[] signedBytes() {
    byte[] fields = fields().toByteArray();
    byte[] out = Arrays.copyOf(DOMAIN, DOMAIN.length + fields.length);
    System.arraycopy(fields, 0, out, DOMAIN.length, fields.length);
    return out;
  }

  /** Whether the signature is {@link #validator}'s over the other fields. */
  public boolean verifySignature() {
    Optional<Ed25519PublicKey> key;
    try {
      key = validator.ed25519PublicKey();
    } catch (RuntimeException e) {
      return false;
    }
    return key.isPresent() && key.get().verify(signedBytes(), signature);
  }

  public byte[] encode() {
    return fields().bytes(6, signature).toByteArray();
  }

  /**
   * Decodes a proof and checks its record (§6.1).
   *
   * @throws VerificationException {@code MALFORMED} for bytes that do not decode, or the record's failure
   */
  public static FraudProof decode(byte[] bytes) {
    if (bytes.length > MAX_SIZE) {
      throw new VerificationException(VerificationFailure.MALFORMED, "fraud proof of " + bytes.length + " bytes exceeds " + MAX_SIZE);
    }
    CountersignedReceipt receipt = null;
    JobRequest job = null;
    byte[] output = null;
    byte[] rerunHash = null;
    PeerId validator = null;
    byte[] signature = null;
    FraudProof proof;
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> receipt = CountersignedReceipt.decode(r.bytes());
          case 2 -> job = JobRequest.decode(r.bytes());
          case 3 -> output = r.bytes();
          case 4 -> rerunHash = r.bytes();
          case 5 -> validator = PeerId.fromBytes(r.bytes());
          case 6 -> signature = r.bytes();
          default -> r.skip();
        }
      }
      if (receipt == null || job == null || rerunHash == null || validator == null || signature == null) {
        throw new IllegalArgumentException("fraud proof lacks a field");
      }
      proof = new FraudProof(new JobRecord(receipt, job, output), rerunHash, validator, signature);
    } catch (RuntimeException e) {
      throw new VerificationException(VerificationFailure.MALFORMED, "fraud proof does not decode: " + e.getMessage(), e);
    }
    proof.record.check();
    return proof;
  }

  private ProtoWriter fields() {
    ProtoWriter w = new ProtoWriter(1024 + record.job().input().length + (record.output() == null ? 0 : record.output().length))
        .bytes(1, record.countersigned().encode())
        .bytes(2, record.job().encode());
    if (record.output() != null) {
      w.bytes(3, record.output());
    }
    return w.bytes(4, rerunOutputHash).bytes(5, validator.toBytes());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FraudProof p && Arrays.equals(encode(), p.encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  @Override
  public String toString() {
    return "FraudProof[" + record.job().jobId() + " by " + node() + ", epoch " + epoch() + ", re-run " + JobRecord.hex(rerunOutputHash)
        + " by " + validator + "]";
  }
}
