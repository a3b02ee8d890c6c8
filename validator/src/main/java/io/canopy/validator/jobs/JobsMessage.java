package io.canopy.validator.jobs;

import io.canopy.validator.compute.JobRecord;
import java.util.List;
import java.util.Objects;

/**
 * The messages of {@code /canopy/jobs/1.0.0} (spec/compute-verification.md §6.8): the validator
 * writes one {@link Request}, the gateway answers with one {@link Page} or {@link Refused}.
 * <pre>
 * message JobsMessage {     // exactly one field is set
 *   Request request = 1;    // { uint64 epoch = 1; bytes after = 2; }
 *   Page    page    = 2;    // { repeated bytes record = 1; bytes next = 2; }
 *   Refused refused = 3;    // { string reason = 1; }
 * }
 * </pre>
 * Cursors ({@code after}, {@code next}) are opaque to the validator: it sends back what it got;
 * empty {@code after} is the start, empty {@code next} the end.
 */
public sealed interface JobsMessage {
  String PROTOCOL_ID = "/canopy/jobs/1.0.0";
  /** A request is an epoch and a cursor: far below this. */
  int MAX_REQUEST = 1024;
  int MAX_PAGE_RECORDS = 256;
  /** Records stop filling a page at this many bytes, except the first, which may be up to {@link JobRecord#MAX_SIZE} alone. */
  int MAX_PAGE_BYTES = 8 * 1024 * 1024;
  /** The largest page: its records, their framing and the cursor fit in the 1 KiB over the larger bound. */
  int MAX_REPLY = Math.max(MAX_PAGE_BYTES, JobRecord.MAX_SIZE) + 1024;
  int MAX_REASON_LENGTH = 1024;

  /** The records of {@code epoch} that follow cursor {@code after}. */
  record Request(long epoch, byte[] after) implements JobsMessage {
    public Request {
      Objects.requireNonNull(after, "after");
    }
  }

  /** Encoded {@link JobRecord}s, in the gateway's log order, and the cursor to ask for the rest (empty: no more). */
  record Page(List<byte[]> records, byte[] next) implements JobsMessage {
    public Page {
      records = List.copyOf(records);
      Objects.requireNonNull(next, "next");
    }
  }

  /** The gateway will not answer this request, for {@code reason}. */
  record Refused(String reason) implements JobsMessage {
    public Refused {
      reason = reason == null ? "" : reason.length() > MAX_REASON_LENGTH ? reason.substring(0, MAX_REASON_LENGTH) : reason;
    }
  }
}
