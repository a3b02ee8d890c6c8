package io.canopy.protocol.poa;

/** A proof-of-access message that does not decode or breaks a rule of spec/proofs.md. */
public final class PoaMessageException extends RuntimeException {
  public PoaMessageException(String message) {
    super(message);
  }

  public PoaMessageException(String message, Throwable cause) {
    super(message, cause);
  }

  static PoaMessageException malformed(String what, RuntimeException cause) {
    return cause instanceof PoaMessageException pme ? pme
        : new PoaMessageException("malformed " + what + ": " + cause.getMessage(), cause);
  }
}
