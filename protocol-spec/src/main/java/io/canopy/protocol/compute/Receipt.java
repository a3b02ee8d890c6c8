package io.canopy.protocol.compute;

import io.canopy.identity.DomainSignatures;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A compute node's signed statement that it ran job {@code jobId} on model {@code model}, with
 * the input, params and output whose SHA-256 hashes it names (spec/compute.md §3.3). Receipts
 * are the compute proofs: a validator re-runs a sample of them and compares output hashes. Only
 * an {@link #exact} receipt promises that a re-run gives the same output hash; the others came
 * from a runtime that is not bit-exact (an operator's own inference server, for instance).
 *
 * @param exact produced by a bit-exact deterministic runtime: a validator's re-run must give the
 *     same output hash (field 13, signed)
 */
public record Receipt(
    String jobId,
    Cid model,
    byte[] inputHash,
    byte[] paramsHash,
    byte[] outputHash,
    Usage usage,
    PeerId node,
    long epoch,
    long startedMillis,
    long finishedMillis,
    byte[] signature,
    boolean exact) {
  public static final int HASH_LENGTH = 32;
  public static final int SIGNATURE_LENGTH = 64;
  /** The ASCII domain string the signed bytes start with. */
  public static final String SIGNING_DOMAIN = "canopy-receipt-v1";
  private static final byte[] DOMAIN = SIGNING_DOMAIN.getBytes(StandardCharsets.US_ASCII);

  public Receipt {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(usage, "usage");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(signature, "signature");
    if (jobId.isEmpty() || jobId.length() > JobRequest.MAX_JOB_ID_LENGTH) {
      throw new ComputeMessageException("job id must be 1.." + JobRequest.MAX_JOB_ID_LENGTH + " characters");
    }
    checkHash(inputHash, "input");
    checkHash(paramsHash, "params");
    checkHash(outputHash, "output");
    if (epoch < 0 || startedMillis < 0 || finishedMillis < startedMillis) {
      throw new ComputeMessageException("receipt epoch or times out of range");
    }
    if (signature.length != SIGNATURE_LENGTH) {
      throw new ComputeMessageException("receipt signature must be " + SIGNATURE_LENGTH + " bytes");
    }
  }

  /** A receipt of a bit-exact runtime ({@code exact} = true): the fields before field 13, as before it existed. */
  public Receipt(String jobId, Cid model, byte[] inputHash, byte[] paramsHash, byte[] outputHash, Usage usage, PeerId node, long epoch,
                 long startedMillis, long finishedMillis, byte[] signature) {
    this(jobId, model, inputHash, paramsHash, outputHash, usage, node, epoch, startedMillis, finishedMillis, signature, true);
  }

  /**
   * Signs a receipt for {@code request} whose output hashed to {@code outputHash} (the chunks' bytes
   * in order); {@code exact} says whether the runtime is bit-exact (field 13).
   */
  public static Receipt sign(Ed25519PrivateKey nodeKey, JobRequest request, byte[] outputHash, Usage usage, long epoch,
                             long startedMillis, long finishedMillis, boolean exact) {
    return sign(nodeKey, request.jobId(), request.model(), sha256(request.input()), sha256(request.params().encode()), outputHash,
        usage, epoch, startedMillis, finishedMillis, exact);
  }

  /** {@link #sign(Ed25519PrivateKey, JobRequest, byte[], Usage, long, long, long, boolean)} for a bit-exact runtime. */
  public static Receipt sign(Ed25519PrivateKey nodeKey, JobRequest request, byte[] outputHash, Usage usage, long epoch,
                             long startedMillis, long finishedMillis) {
    return sign(nodeKey, request, outputHash, usage, epoch, startedMillis, finishedMillis, true);
  }

  public static Receipt sign(Ed25519PrivateKey nodeKey, String jobId, Cid model, byte[] inputHash, byte[] paramsHash,
                             byte[] outputHash, Usage usage, long epoch, long startedMillis, long finishedMillis, boolean exact) {
    Receipt unsigned = new Receipt(jobId, model, inputHash, paramsHash, outputHash, usage, nodeKey.peerId(), epoch, startedMillis,
        finishedMillis, new byte[SIGNATURE_LENGTH], exact);
    return unsigned.withSignature(nodeKey.sign(unsigned.signedBytes()));
  }

  public Receipt withSignature(byte[] newSignature) {
    return new Receipt(jobId, model, inputHash, paramsHash, outputHash, usage, node, epoch, startedMillis, finishedMillis, newSignature,
        exact);
  }

  /**
   * {@code "canopy-receipt-v1" ‖ fields 1–11 ‖ field 13}, every field written even when zero or
   * false, in field order (spec §3.3).
   */
  public byte[] signedBytes() {
    byte[] fields = fields().bool(13, exact).toByteArray();
    return DomainSignatures.withDomain(DOMAIN, fields);
  }

  /** Whether the signature is {@link #node}'s (an Ed25519 peer ID with its key inline) over the other fields. */
  public boolean verify() {
    return DomainSignatures.verify(node, signedBytes(), signature);
  }

  /** Fields 1–11, the signature (12), then {@code exact} (13, always written). */
  public byte[] encode() {
    return fields().bytes(12, signature).bool(13, exact).toByteArray();
  }

  public static Receipt decode(byte[] bytes) {
    String jobId = null;
    Cid model = null;
    byte[] inputHash = null;
    byte[] paramsHash = null;
    byte[] outputHash = null;
    long prompt = 0;
    long completion = 0;
    PeerId node = null;
    long epoch = 0;
    long started = 0;
    long finished = 0;
    byte[] signature = null;
    // Absent reads as false, the proto3 default: a receipt claims bit-exactness only by saying so.
    boolean exact = false;
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> jobId = r.string();
          case 2 -> model = Cid.fromBytes(r.bytes());
          case 3 -> inputHash = r.bytes();
          case 4 -> paramsHash = r.bytes();
          case 5 -> outputHash = r.bytes();
          case 6 -> prompt = r.varint();
          case 7 -> completion = r.varint();
          case 8 -> node = PeerId.fromBytes(r.bytes());
          case 9 -> epoch = r.varint();
          case 10 -> started = r.varint();
          case 11 -> finished = r.varint();
          case 12 -> signature = r.bytes();
          case 13 -> exact = bool(r.varint());
          default -> r.skip();
        }
      }
      if (jobId == null || model == null || inputHash == null || paramsHash == null || outputHash == null || node == null
          || signature == null) {
        throw new ComputeMessageException("receipt lacks a field");
      }
      return new Receipt(jobId, model, inputHash, paramsHash, outputHash, new Usage(prompt, completion), node, epoch, started, finished,
          signature, exact);
    } catch (RuntimeException e) {
      throw ComputeMessageException.malformed("receipt", e);
    }
  }

  /** SHA-256 of exactly {@code bytes}: the hash a receipt names for inputs, params and outputs. */
  public static byte[] sha256(byte[] bytes) {
    return newSha256().digest(bytes);
  }

  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private ProtoWriter fields() {
    return new ProtoWriter(256)
        .string(1, jobId)
        .bytes(2, model.toBytes())
        .bytes(3, inputHash)
        .bytes(4, paramsHash)
        .bytes(5, outputHash)
        .varint(6, usage.promptTokens())
        .varint(7, usage.completionTokens())
        .bytes(8, node.toBytes())
        .varint(9, epoch)
        .varint(10, startedMillis)
        .varint(11, finishedMillis);
  }

  private static boolean bool(long varint) {
    if (varint != 0 && varint != 1) {
      throw new ComputeMessageException("exact must be 0 or 1, not " + Long.toUnsignedString(varint));
    }
    return varint == 1;
  }

  private static void checkHash(byte[] hash, String what) {
    if (hash == null || hash.length != HASH_LENGTH) {
      throw new ComputeMessageException(what + " hash must be " + HASH_LENGTH + " bytes");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Receipt other && Arrays.equals(encode(), other.encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  @Override
  public String toString() {
    return "Receipt[" + jobId + ", " + model + ", node " + node + ", epoch " + epoch + ", " + usage
        + (exact ? ", exact" : ", not exact") + "]";
  }
}
