package io.canopy.validator.records;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The messages of {@code /canopy/records/1.0.0} (spec/settlement.md §7.10): any peer writes one
 * {@link Request}, a validator answers with one {@link Records} or {@link Refused}.
 *
 * <pre>
 * message RecordsMessage {   // exactly one field is set
 *   Request request = 1;     // { uint64 from_epoch = 1; uint32 max = 2; }
 *   Records records = 2;     // { repeated bytes record = 1; uint64 last_settled = 2; }  last_settled absent: none settled
 *   string  refused = 3;     // why, for humans (≤ 1024 characters)
 * }
 * </pre>
 *
 * Each {@code record} is a {@code SettlementRecord} encoding (§7.6), signatures included; the
 * records are of consecutive settled epochs from {@code from_epoch} on, ascending.
 */
public sealed interface RecordsMessage {
  String PROTOCOL_ID = "/canopy/records/1.0.0";
  /** Most records one request may ask for. */
  int MAX_RECORDS = 64;
  /** A request is two varints: far below this. */
  int MAX_REQUEST = 64;
  /** Records stop filling a reply at this many bytes; a single record larger than this is refused. */
  int MAX_RECORDS_BYTES = 16 * 1024 * 1024;
  /** The largest reply: the records, their framing, last_settled and the envelope. */
  int MAX_REPLY = MAX_RECORDS_BYTES + 64 * 1024;
  int MAX_REASON_LENGTH = 1024;

  /** The settled records of epochs {@code >= fromEpoch}, at most {@code max} (1..{@link #MAX_RECORDS}). */
  record Request(long fromEpoch, int max) implements RecordsMessage {
    public Request {
      if (fromEpoch < 0) {
        throw new IllegalArgumentException("from_epoch " + fromEpoch + " is negative");
      }
      if (max < 1 || max > MAX_RECORDS) {
        throw new IllegalArgumentException("max " + max + " is not 1.." + MAX_RECORDS);
      }
    }
  }

  /** Encoded settlement records, ascending by epoch, and the last epoch the validator has settled (empty: none yet). */
  record Records(List<byte[]> records, OptionalLong lastSettled) implements RecordsMessage {
    public Records {
      records = List.copyOf(records);
      Objects.requireNonNull(lastSettled, "lastSettled");
    }
  }

  /** The validator will not answer, for {@code reason}. */
  record Refused(String reason) implements RecordsMessage {
    public Refused {
      reason = reason == null ? "" : reason.length() > MAX_REASON_LENGTH ? reason.substring(0, MAX_REASON_LENGTH) : reason;
    }
  }
}
