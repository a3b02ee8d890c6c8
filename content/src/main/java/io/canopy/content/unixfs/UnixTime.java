package io.canopy.content.unixfs;

/** The UnixFS {@code UnixTime} message: seconds since the epoch and optional nanoseconds. */
public record UnixTime(long seconds, Integer nanos) {
  public UnixTime {
    if (nanos != null && (nanos < 1 || nanos > 999_999_999)) {
      throw new UnixFsException("UnixTime FractionalNanoseconds must be in [1, 999999999], got " + nanos);
    }
  }
}
