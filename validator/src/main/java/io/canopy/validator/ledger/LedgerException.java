package io.canopy.validator.ledger;

/**
 * Why the ledger refused an operation or a settlement (spec/settlement.md): the message is the
 * reason, one line, fit to show a user. Whatever was refused posted nothing.
 */
public class LedgerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LedgerException(String message) {
    super(message);
  }

  public LedgerException(String message, Throwable cause) {
    super(message, cause);
  }
}
