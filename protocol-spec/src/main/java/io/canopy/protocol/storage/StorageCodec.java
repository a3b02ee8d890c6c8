package io.canopy.protocol.storage;

/** Encodes and decodes {@link StorageMessage}s (the interface's codec is package-private to keep its API small). */
public final class StorageCodec {
  private StorageCodec() {}

  public static byte[] encode(StorageMessage message) {
    return StorageMessage.encode(message);
  }

  /** {@link StorageMessageException} with the reason if {@code bytes} is not a valid message. */
  public static StorageMessage decode(byte[] bytes) {
    return StorageMessage.decode(bytes);
  }
}
