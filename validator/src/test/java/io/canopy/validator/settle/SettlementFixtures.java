package io.canopy.validator.settle;

import io.canopy.identity.Ed25519PrivateKey;
import io.canopy.identity.PeerId;
import io.canopy.multiformats.Cid;
import io.canopy.multiformats.Multicodec;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.protocol.compute.Receipt;
import io.canopy.protocol.compute.Usage;
import io.canopy.validator.ledger.Accounts;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Deterministic keys, receipts and inputs for settlement tests. */
final class SettlementFixtures {
  static final String NETWORK = "canopy-test";
  static final Cid MODEL = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "model-a".getBytes(StandardCharsets.UTF_8));
  static final Cid OTHER_MODEL = Cid.of(1, Multicodec.RAW, Multicodec.SHA2_256, "model-b".getBytes(StandardCharsets.UTF_8));
  static final byte[] H = Receipt.sha256(new byte[0]);

  private SettlementFixtures() {}

  /** Key number {@code n} of the role {@code role}: the same on every run. */
  static Ed25519PrivateKey key(String role, int n) {
    byte[] seed = Receipt.sha256(ByteBuffer.allocate(64).put(role.getBytes(StandardCharsets.UTF_8)).putInt(48, n).array());
    return Ed25519PrivateKey.fromSeed(seed);
  }

  static List<Ed25519PrivateKey> validators(int n) {
    return java.util.stream.IntStream.range(0, n).mapToObj(i -> key("validator", i)).toList();
  }

  static Set<PeerId> peers(List<Ed25519PrivateKey> keys) {
    return keys.stream().map(Ed25519PrivateKey::peerId).collect(Collectors.toSet());
  }

  static CountersignedReceipt receipt(Ed25519PrivateKey node, Ed25519PrivateKey gateway, String jobId, String account, Cid model,
                                      long prompt, long completion, long epoch) {
    Receipt r = Receipt.sign(node, jobId, model, H, H, H, new Usage(prompt, completion), epoch, 1_000, 2_000, true);
    return CountersignedReceipt.sign(gateway, r, account, 3_000);
  }

  /** The ledger account of {@code name} at the gateway that countersigns the short-form receipts. */
  static String gatewayUser(String name) {
    return Accounts.gatewayUser(key("gateway", 0).peerId(), name);
  }

  static CountersignedReceipt receipt(Ed25519PrivateKey node, String jobId, String account, long tokens, long epoch) {
    return receipt(node, key("gateway", 0), jobId, account, MODEL, tokens / 2, tokens - tokens / 2, epoch);
  }

  static EpochInputs.ReplicaResult replica(String deal, String owner, Ed25519PrivateKey node, long size, long price,
                                           EpochInputs.Outcome outcome) {
    return new EpochInputs.ReplicaResult(deal, owner, node.peerId(), size, price, outcome);
  }
}
