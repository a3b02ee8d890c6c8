package io.canopy.protocol.compute;

/** Encodes and decodes {@link ComputeMessage}s (the interface's codec is package-private to keep its API small). */
public final class ComputeCodec {
  private ComputeCodec() {}

  public static byte[] encode(ComputeMessage message) {
    return ComputeMessage.encode(message);
  }

  /** {@link ComputeMessageException} with the reason if {@code bytes} is not a valid message (at most {@link ComputeMessage#MAX_FRAME_SIZE}). */
  public static ComputeMessage decode(byte[] bytes) {
    return ComputeMessage.decode(bytes);
  }
}
