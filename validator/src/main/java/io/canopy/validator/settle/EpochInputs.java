package io.canopy.validator.settle;

import io.canopy.identity.PeerId;
import io.canopy.protobuf.ProtoWriter;
import io.canopy.protocol.compute.CountersignedReceipt;
import io.canopy.validator.ledger.Accounts;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * What settling one epoch consumes (spec/settlement.md §7.5): the storage verdicts per (deal,
 * replica), the countersigned compute receipts, the nodes with a fraud proof in the epoch and the
 * validator set. Lists are kept in canonical order (replicas by deal id then node; receipts by job
 * id then node), the order settlement pays them in.
 */
public record EpochInputs(List<ReplicaResult> replicas, List<CountersignedReceipt> receipts, Set<PeerId> fraudNodes,
                          Set<PeerId> validators) {
  static final byte[] DIGEST_DOMAIN = "canopy-settlement-inputs-v1".getBytes(StandardCharsets.US_ASCII);

  /** The quorum's storage verdict on one replica for the epoch. */
  public enum Outcome { PASS, FAIL, UNDECIDED }

  /**
   * One replica's epoch result.
   *
   * @param ownerAccount the ledger account that pays for the deal ({@code user:…})
   * @param pricePerGiBEpoch the deal's price, micro-credits per GiB-epoch
   */
  public record ReplicaResult(String dealId, String ownerAccount, PeerId node, long dealSizeBytes, long pricePerGiBEpoch,
                              Outcome outcome) {
    public ReplicaResult {
      Objects.requireNonNull(dealId, "dealId");
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(outcome, "outcome");
      Accounts.check(ownerAccount);
      if (!Accounts.isUser(ownerAccount)) {
        throw new IllegalArgumentException("a deal is paid from a user: account, not " + ownerAccount);
      }
      if (dealSizeBytes < 0 || pricePerGiBEpoch < 0) {
        throw new IllegalArgumentException("deal size and price must not be negative");
      }
    }

    byte[] encode() {
      return new ProtoWriter(128).string(1, dealId).string(2, ownerAccount).bytes(3, node.toBytes()).varint(4, dealSizeBytes)
          .varint(5, pricePerGiBEpoch).varint(6, outcome.ordinal()).toByteArray();
    }
  }

  public EpochInputs {
    // Sorted by (id, peer ID text); the text form is computed once per item, not per comparison.
    replicas = sorted(replicas, ReplicaResult::dealId, ReplicaResult::node);
    receipts = sorted(receipts, c -> c.receipt().jobId(), c -> c.receipt().node());
    fraudNodes = Set.copyOf(fraudNodes);
    validators = Set.copyOf(validators);
  }

  private record Keyed<T>(byte[] id, String node, T item) {}

  private static <T> List<T> sorted(List<T> items, Function<T, String> id, Function<T, PeerId> node) {
    Map<PeerId, String> text = new HashMap<>();
    List<Keyed<T>> keyed = new ArrayList<>(items.size());
    for (T item : items) {
      keyed.add(new Keyed<>(id.apply(item).getBytes(StandardCharsets.UTF_8), text.computeIfAbsent(node.apply(item), PeerId::toString),
          item));
    }
    // ids by their UTF-8 bytes (spec §7.5); peer ID text is ASCII
    keyed.sort(Comparator.comparing((Keyed<T> k) -> k.id(), Arrays::compareUnsigned).thenComparing(Keyed::node));
    List<T> out = new ArrayList<>(keyed.size());
    for (Keyed<T> k : keyed) {
      out.add(k.item());
    }
    return List.copyOf(out);
  }

  /**
   * SHA-256 of the canonical encoding (§7.5): the domain, the epoch, the prices, then each list
   * (replicas, receipts, fraud nodes, validators) as a u32 count and length-prefixed items, in
   * canonical order (nodes and validators by peer ID text).
   */
  public byte[] digest(long epoch, Prices prices) {
    MessageDigest d = Merkle.sha256();
    d.update(DIGEST_DOMAIN);
    d.update(ByteBuffer.allocate(8).putLong(epoch).array());
    item(d, prices.encode().toByteArray());
    count(d, replicas.size());
    for (ReplicaResult r : replicas) {
      item(d, r.encode());
    }
    count(d, receipts.size());
    for (CountersignedReceipt c : receipts) {
      item(d, c.encode());
    }
    for (Set<PeerId> peers : List.of(fraudNodes, validators)) {
      List<PeerId> sorted = peers.stream().sorted(Comparator.comparing(PeerId::toString)).toList();
      count(d, sorted.size());
      for (PeerId p : sorted) {
        item(d, p.toBytes());
      }
    }
    return d.digest();
  }

  private static void count(MessageDigest d, int n) {
    d.update(ByteBuffer.allocate(4).putInt(n).array());
  }

  private static void item(MessageDigest d, byte[] bytes) {
    count(d, bytes.length);
    d.update(bytes);
  }
}
