package io.canopy.protocol.compute;

import io.canopy.identity.DomainSignatures;
import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.protobuf.ProtoReader;
import io.canopy.protobuf.ProtoWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A gateway's countersignature on a node's receipt (spec/compute.md §3.8): the gateway states
 * that it sent the job on behalf of {@code account} and accepted the output, so the job can be
 * billed to that account and paid to the node once validators have checked it.
 *
 * @param receipt the node's receipt, verified by the gateway before it countersigned
 * @param gateway the countersigning gateway's peer ID (Ed25519, key inline)
 * @param account the gateway account the job is billed to (1..128 characters)
 * @param countersignedMillis Unix ms when the gateway countersigned
 */
public record CountersignedReceipt(Receipt receipt, PeerId gateway, String account, long countersignedMillis, byte[] signature) {
  public static final String SIGNING_DOMAIN = "canopy-countersign-v1";
  public static final int MAX_ACCOUNT_LENGTH = 128;
  private static final byte[] DOMAIN = SIGNING_DOMAIN.getBytes(StandardCharsets.US_ASCII);

  public CountersignedReceipt {
    Objects.requireNonNull(receipt, "receipt");
    Objects.requireNonNull(gateway, "gateway");
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(signature, "signature");
    if (account.isEmpty() || account.length() > MAX_ACCOUNT_LENGTH) {
      throw new ComputeMessageException("account must be 1.." + MAX_ACCOUNT_LENGTH + " characters");
    }
    if (countersignedMillis < 0 || signature.length != Receipt.SIGNATURE_LENGTH) {
      throw new ComputeMessageException("countersignature time or signature out of range");
    }
  }

  /** Countersigns {@code receipt} with the gateway's key. */
  public static CountersignedReceipt sign(Ed25519PrivateKey gatewayKey, Receipt receipt, String account, long nowMillis) {
    CountersignedReceipt unsigned = new CountersignedReceipt(receipt, gatewayKey.peerId(), account, nowMillis,
        new byte[Receipt.SIGNATURE_LENGTH]);
    return new CountersignedReceipt(receipt, unsigned.gateway, account, nowMillis, gatewayKey.sign(unsigned.signedBytes()));
  }

  /** {@code "canopy-countersign-v1" ‖ fields 1–4}, every field written, in field order. */
  public byte[] signedBytes() {
    byte[] fields = fields().toByteArray();
    return DomainSignatures.withDomain(DOMAIN, fields);
  }

  /** Whether both signatures hold: the node's on the receipt and the gateway's on the whole. */
  public boolean verify() {
    return receipt.verify() && DomainSignatures.verify(gateway, signedBytes(), signature);
  }

  public byte[] encode() {
    return fields().bytes(5, signature).toByteArray();
  }

  public static CountersignedReceipt decode(byte[] bytes) {
    Receipt receipt = null;
    PeerId gateway = null;
    String account = null;
    long at = 0;
    byte[] signature = null;
    try {
      ProtoReader r = new ProtoReader(bytes);
      while (r.next()) {
        switch (r.field()) {
          case 1 -> receipt = Receipt.decode(r.bytes());
          case 2 -> gateway = PeerId.fromBytes(r.bytes());
          case 3 -> account = r.string();
          case 4 -> at = r.varint();
          case 5 -> signature = r.bytes();
          default -> r.skip();
        }
      }
      if (receipt == null || gateway == null || account == null || signature == null) {
        throw new ComputeMessageException("countersigned receipt lacks a field");
      }
      return new CountersignedReceipt(receipt, gateway, account, at, signature);
    } catch (RuntimeException e) {
      throw ComputeMessageException.malformed("countersigned receipt", e);
    }
  }

  private ProtoWriter fields() {
    return new ProtoWriter(512)
        .bytes(1, receipt.encode())
        .bytes(2, gateway.toBytes())
        .string(3, account)
        .varint(4, countersignedMillis);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CountersignedReceipt c && Arrays.equals(encode(), c.encode());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(encode());
  }

  @Override
  public String toString() {
    return "CountersignedReceipt[" + receipt.jobId() + " by " + receipt.node() + ", for " + account + " via " + gateway + "]";
  }
}
