package io.canopy.content.pin;

import java.io.IOException;

/**
 * A pin operation that cannot be done as asked: unpinning what is not pinned, pinning a DAG whose
 * blocks are not all stored. The message is meant for the user (the Kubo RPC API returns it as is).
 */
public class PinException extends IOException {
  private static final long serialVersionUID = 1L;

  public PinException(String message) {
    super(message);
  }

  public PinException(String message, Throwable cause) {
    super(message, cause);
  }
}
