package io.canopy.validator.records;

import io.canopy.validator.ledger.Ledger;
import io.canopy.validator.ledger.StoredRecord;
import java.util.List;
import java.util.OptionalLong;

/** Where a validator's {@link RecordsService} reads settled records: in practice its {@link Ledger}. */
public interface RecordSource {
  /** At most {@code max} encoded settlement records of epochs {@code >= fromEpoch}, ascending by epoch. */
  List<byte[]> records(long fromEpoch, int max);

  /** The last settled epoch, if any. */
  OptionalLong lastSettled();

  static RecordSource fromLedger(Ledger ledger) {
    return new RecordSource() {
      @Override
      public List<byte[]> records(long fromEpoch, int max) {
        return ledger.records(fromEpoch, max).stream().map(StoredRecord::encoded).toList();
      }

      @Override
      public OptionalLong lastSettled() {
        return ledger.lastRecord().map(r -> OptionalLong.of(r.epoch())).orElse(OptionalLong.empty());
      }
    };
  }
}
