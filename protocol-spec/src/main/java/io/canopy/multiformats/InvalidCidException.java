package io.canopy.multiformats;

/** CID text or bytes that do not decode; the message names the CID and what is wrong with it. */
public class InvalidCidException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidCidException(String message) {
    super(message);
  }

  public InvalidCidException(String message, Throwable cause) {
    super(message, cause);
  }
}
