package io.canopy.p2p.kad;

/** A record that its namespace's validator refuses (bad signature, wrong key, stale sequence, ...); the message says why. */
public class InvalidRecordException extends IllegalArgumentException {
  public InvalidRecordException(String reason) {
    super(reason);
  }

  public InvalidRecordException(String reason, Throwable cause) {
    super(reason, cause);
  }
}
