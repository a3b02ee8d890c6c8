package io.canopy.validator.records;

import io.canopy.identity.PeerId;
import io.canopy.p2p.host.Host;
import io.canopy.p2p.stream.UnaryRpc;
import io.canopy.validator.settle.SettlementRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * The asking side of {@code /canopy/records/1.0.0} (spec/settlement.md §7.10): one request to a
 * validator, its reply decoded. The records are only decoded here; whether they may be believed
 * (signatures, signers, chain) is {@link SettledRecords}'s to check.
 */
public final class RecordsClient {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  /** What a validator sent: its records decoded, in its order, and its last settled epoch. */
  public record Fetched(List<SettlementRecord> records, OptionalLong lastSettled) {
    public Fetched {
      records = List.copyOf(records);
    }
  }

  private RecordsClient() {}

  /**
   * Asks {@code validator} for at most {@code max} records from {@code fromEpoch} on. Fails if it
   * refuses, its reply is not a records message, a record does not decode or is not of an epoch
   * from {@code fromEpoch} on in ascending order, or no reply comes within {@code timeout}.
   */
  public static CompletableFuture<Fetched> fetch(Host host, PeerId validator, long fromEpoch, int max, Duration timeout) {
    byte[] request = RecordsCodec.encode(new RecordsMessage.Request(fromEpoch, max));
    return UnaryRpc.call(host, validator, RecordsMessage.PROTOCOL_ID, request, RecordsMessage.MAX_REPLY, timeout)
        .thenApplyAsync(reply -> take(validator, fromEpoch, max, reply)); // decoding stays off the host's event loop
  }

  static Fetched take(PeerId validator, long fromEpoch, int max, byte[] reply) {
    RecordsMessage message = RecordsCodec.decode(reply);
    if (message instanceof RecordsMessage.Refused r) {
      throw new IllegalStateException(validator + " refused the records from epoch " + fromEpoch + ": " + r.reason());
    }
    if (!(message instanceof RecordsMessage.Records page)) {
      throw new IllegalStateException(validator + " answered with a request, not records");
    }
    if (page.records().size() > max) {
      throw new IllegalStateException(validator + " sent " + page.records().size() + " records, " + max + " were asked for");
    }
    List<SettlementRecord> out = new ArrayList<>();
    long previous = fromEpoch - 1;
    for (byte[] bytes : page.records()) {
      SettlementRecord record = SettlementRecord.decode(bytes);
      if (record.epoch() <= previous) {
        throw new IllegalStateException(validator + " sent the record of epoch " + record.epoch() + " out of order (after "
            + previous + ", asked from " + fromEpoch + ")");
      }
      previous = record.epoch();
      out.add(record);
    }
    return new Fetched(out, page.lastSettled());
  }
}
