package io.canopy.identity;

/** Key or peer ID bytes/text that do not decode; the message says what is wrong with them. */
public class KeyFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public KeyFormatException(String message) {
    super(message);
  }

  public KeyFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
