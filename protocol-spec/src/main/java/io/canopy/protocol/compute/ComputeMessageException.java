package io.canopy.protocol.compute;

/** A compute-protocol message that does not decode or breaks a rule of spec/compute.md. */
public final class ComputeMessageException extends RuntimeException {
  public ComputeMessageException(String message) {
    super(message);
  }

  public ComputeMessageException(String message, Throwable cause) {
    super(message, cause);
  }

  static ComputeMessageException malformed(String what, RuntimeException cause) {
    return cause instanceof ComputeMessageException cme ? cme
        : new ComputeMessageException("malformed " + what + ": " + cause.getMessage(), cause);
  }
}
