package io.canopy.validator.settle;

import io.canopy.protobuf.ProtoWriter;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the network charges, in micro-credits (spec/settlement.md §7.4), from config.
 *
 * @param perGiBEpochDefault storage price per GiB-epoch for a replica whose deal names none (a deal's own price wins)
 * @param perKiloTokens compute price per 1000 tokens, by model CID (its string form)
 * @param perKiloTokensDefault compute price per 1000 tokens of a model not in {@code perKiloTokens}
 * @param perEmbeddingInput price per embedding input, by model CID; reserved (§7.4): receipts do not
 *     yet count inputs, so embedding jobs are paid per 1000 tokens like any other job
 * @param feeBps validator fee, in basis points of each payout (0..10000)
 */
public record Prices(long perGiBEpochDefault, Map<String, Long> perKiloTokens, long perKiloTokensDefault,
                     Map<String, Long> perEmbeddingInput, int feeBps) {
  public static final int MAX_BPS = 10_000;

  public Prices {
    perKiloTokens = Map.copyOf(perKiloTokens);
    perEmbeddingInput = Map.copyOf(perEmbeddingInput);
    if (perGiBEpochDefault < 0 || perKiloTokensDefault < 0 || feeBps < 0 || feeBps > MAX_BPS) {
      throw new IllegalArgumentException("prices must not be negative and the fee is 0.." + MAX_BPS + " bps");
    }
    for (long p : java.util.stream.Stream.concat(perKiloTokens.values().stream(), perEmbeddingInput.values().stream()).toList()) {
      if (p < 0) {
        throw new IllegalArgumentException("prices must not be negative");
      }
    }
  }

  /** One default compute price for every model. */
  public static Prices of(long perGiBEpochDefault, long perKiloTokensDefault, int feeBps) {
    return new Prices(perGiBEpochDefault, Map.of(), perKiloTokensDefault, Map.of(), feeBps);
  }

  public long perKiloTokens(String model) {
    return perKiloTokens.getOrDefault(model, perKiloTokensDefault);
  }

  /** The canonical encoding that goes into the inputs digest (§7.5): every map in key order. */
  ProtoWriter encode() {
    ProtoWriter w = new ProtoWriter(128).varint(1, perGiBEpochDefault);
    for (Map.Entry<String, Long> e : new TreeMap<>(perKiloTokens).entrySet()) {
      w.message(2, new ProtoWriter(64).string(1, e.getKey()).varint(2, e.getValue()));
    }
    w.varint(3, perKiloTokensDefault);
    for (Map.Entry<String, Long> e : new TreeMap<>(perEmbeddingInput).entrySet()) {
      w.message(4, new ProtoWriter(64).string(1, e.getKey()).varint(2, e.getValue()));
    }
    return w.varint(5, feeBps);
  }
}
