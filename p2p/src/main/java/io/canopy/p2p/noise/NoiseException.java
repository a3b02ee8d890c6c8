package io.canopy.p2p.noise;

/**
 * Why a Noise handshake or transport message failed: a message that does not decrypt or has the
 * wrong size, a bad identity signature, an unexpected peer. The message is the reason logged
 * when the connection is closed.
 */
public final class NoiseException extends Exception {
  private static final long serialVersionUID = 1L;

  public NoiseException(String message) {
    super(message);
  }

  public NoiseException(String message, Throwable cause) {
    super(message, cause);
  }
}
