package io.canopy.validator.jobs;

import io.canopy.compute.job.ReceiptLog;
import io.canopy.validator.compute.JobRecord;
import java.io.IOException;
import java.util.List;

/** Where a gateway's {@link JobsService} finds its job records: in practice its {@link ReceiptLog}. */
@FunctionalInterface
public interface JobSource {
  /**
   * At most {@code max} records of {@code epoch}, from the {@code from}-th (0-based) in the order
   * the gateway logged them; fewer, or none, past the end. A page asks for one slice, so serving
   * an epoch page by page never reads the whole epoch per page.
   */
  List<JobRecord> records(long epoch, int from, int max) throws IOException;

  /** The records kept in a gateway's log (they are kept there until the settlement paying them is final). */
  static JobSource fromLog(ReceiptLog log) {
    return (epoch, from, max) -> log.entries(epoch, from, max).stream()
        .map(e -> new JobRecord(e.countersigned(), e.job(), e.output()))
        .toList();
  }
}
