package io.canopy.p2p.kad;

import java.util.List;

/**
 * Validates and orders the values of one key namespace (kad-dht §Entry validation). Both methods
 * are pure functions of their arguments: nodes that see the same records must agree.
 */
public interface RecordValidator {
  /** Throws {@link InvalidRecordException} saying why {@code value} may not be stored under {@code key}. */
  void validate(byte[] key, byte[] value);

  /**
   * The index of the best of {@code values}, all of which passed {@link #validate}. Must be
   * stable: on a tie, the earliest of the best.
   */
  int select(byte[] key, List<byte[]> values);
}
