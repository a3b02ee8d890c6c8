package io.canopy.p2p.kad;

import java.util.List;

/** {@code /canopy/} records ({@link SignedRecord}): valid if signed by the peer the key names; the highest sequence wins. */
public final class SignedRecordValidator implements RecordValidator {
  @Override
  public void validate(byte[] key, byte[] value) {
    SignedRecord.verify(key, value);
  }

  @Override
  public int select(byte[] key, List<byte[]> values) {
    int best = 0;
    long bestSequence = -1;
    for (int i = 0; i < values.size(); i++) {
      long sequence = SignedRecord.verify(key, values.get(i)).sequence();
      if (sequence > bestSequence) { // strictly greater: a tie keeps the earliest, as select must be stable
        best = i;
        bestSequence = sequence;
      }
    }
    return best;
  }
}
