package io.canopy.content.car;

import java.io.IOException;

/**
 * A CAR stream that cannot be read: bad header, truncated section, a block that does not match its
 * CID. The message says what is wrong and where (the section number, counting blocks from 1).
 */
public class CarFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public CarFormatException(String message) {
    super(message);
  }

  public CarFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
